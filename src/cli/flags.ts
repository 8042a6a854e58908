/**
 * Flag parsing with the docker CLI's (spf13/pflag) semantics: `-it` bundles, `-p8080:80` and
 * `-e=X` attached values, `--rm=false`, repeated list flags, `--` ends flags, and for run/exec
 * flags stop at the first positional so `run IMAGE CMD -x` passes `-x` to the container.
 * Help and errors read like docker's. Hand-written rather than commander so start-up imports
 * nothing and errors match docker's wording and exit code (125).
 */

export type FlagKind = 'bool' | 'string' | 'list' | 'int' | 'float';

export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  help: string;
  /** type word shown in help ("list", "string", "bytes", "duration", "int"...) */
  type?: string;
  default?: string | number | boolean;
  hidden?: boolean;
}

export interface CommandSpec {
  /** "run", "container ls"... as shown in usage */
  name: string;
  usage: string;
  description: string;
  aliases?: string[];
  flags: FlagSpec[];
  /** flags end at the first positional (docker run/exec/create) */
  stopAtPositional?: boolean;
  minArgs?: number;
  maxArgs?: number;
  exactArgs?: number;
}

export type FlagValue = string | number | boolean | string[];

export class Parsed {
  constructor(
    readonly values: Map<string, FlagValue>,
    readonly args: string[],
    readonly set: Set<string>,
  ) {}
  bool(name: string): boolean {
    return this.values.get(name) === true;
  }
  str(name: string): string {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : v === undefined ? '' : String(v);
  }
  num(name: string): number {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : Number(v ?? 0);
  }
  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }
  has(name: string): boolean {
    return this.set.has(name);
  }
}

/** A usage error: printed with the command's usage line, exit 125 (flags) or 1 (arguments). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly spec: CommandSpec,
    readonly code: number,
  ) {
    super(message);
  }
}

/** An error that ends the command with a status and an already-worded message (maybe empty). */
export class StatusError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

function parseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

function flagLabel(f: FlagSpec): string {
  return f.short ? `-${f.short}, --${f.name}` : `--${f.name}`;
}

export const helpFlag: FlagSpec = { name: 'help', kind: 'bool', help: 'Print usage', hidden: true };

export function parseFlags(spec: CommandSpec, argv: string[]): Parsed {
  const flags = [...spec.flags, helpFlag];
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short as string, f]));
  const values = new Map<string, FlagValue>();
  const set = new Set<string>();
  for (const f of flags) {
    if (f.kind === 'list') values.set(f.name, []);
    else if (f.default !== undefined) values.set(f.name, f.default);
    else if (f.kind === 'bool') values.set(f.name, false);
  }
  const args: string[] = [];
  const bad = (msg: string): never => {
    throw new UsageError(msg, spec, 125);
  };
  const assign = (f: FlagSpec, raw: string): void => {
    set.add(f.name);
    switch (f.kind) {
      case 'bool': {
        const b = parseBool(raw);
        if (b === undefined) bad(`invalid argument "${raw}" for "${flagLabel(f)}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
        values.set(f.name, b as boolean);
        break;
      }
      case 'int':
        if (!/^[-+]?\d+$/.test(raw)) bad(`invalid argument "${raw}" for "${flagLabel(f)}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
        values.set(f.name, Number(raw));
        break;
      case 'float':
        if (raw.trim() === '' || Number.isNaN(Number(raw))) bad(`invalid argument "${raw}" for "${flagLabel(f)}" flag: strconv.ParseFloat: parsing "${raw}": invalid syntax`);
        values.set(f.name, Number(raw));
        break;
      case 'list':
        (values.get(f.name) as string[]).push(raw);
        break;
      default:
        values.set(f.name, raw);
    }
  };
  let i = 0;
  while (i < argv.length) {
    const a = argv[i++];
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--') ) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const f = byName.get(name);
      if (!f) bad(`unknown flag: --${name}`);
      const flag = f as FlagSpec;
      if (eq >= 0) assign(flag, a.slice(eq + 1));
      else if (flag.kind === 'bool') assign(flag, 'true');
      else if (i < argv.length) assign(flag, argv[i++]);
      else bad(`flag needs an argument: --${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      let j = 1;
      while (j < a.length) {
        const c = a[j];
        const f = byShort.get(c) ?? (c === 'h' ? helpFlag : undefined);
        if (!f) bad(`unknown shorthand flag: '${c}' in ${a}`);
        const flag = f as FlagSpec;
        j++;
        if (flag.kind === 'bool') {
          if (a[j] === '=') {
            assign(flag, a.slice(j + 1));
            break;
          }
          assign(flag, 'true');
          continue;
        }
        if (j < a.length) assign(flag, a[j] === '=' ? a.slice(j + 1) : a.slice(j));
        else if (i < argv.length) assign(flag, argv[i++]);
        else bad(`flag needs an argument: '${c}' in -${c}`);
        break;
      }
      continue;
    }
    args.push(a);
    if (spec.stopAtPositional) {
      args.push(...argv.slice(i));
      break;
    }
  }
  return new Parsed(values, args, set);
}

export function checkArgs(spec: CommandSpec, p: Parsed): void {
  const n = p.args.length;
  const cmd = `minke ${spec.name}`;
  const plural = (k: number): string => (k === 1 ? 'argument' : 'arguments');
  if (spec.exactArgs !== undefined && n !== spec.exactArgs) {
    throw new UsageError(`'${cmd}' requires ${spec.exactArgs} ${plural(spec.exactArgs)}`, spec, 1);
  }
  if (spec.minArgs !== undefined && n < spec.minArgs) {
    throw new UsageError(`'${cmd}' requires at least ${spec.minArgs} ${plural(spec.minArgs)}`, spec, 1);
  }
  if (spec.maxArgs !== undefined && n > spec.maxArgs) {
    throw new UsageError(spec.maxArgs === 0 ? `'${cmd}' accepts no arguments` : `'${cmd}' requires at most ${spec.maxArgs} ${plural(spec.maxArgs)}`, spec, 1);
  }
}

export function helpText(spec: CommandSpec): string {
  const lines = [`Usage:  minke ${spec.name} ${spec.usage}`.trimEnd(), ``, spec.description, ``];
  if (spec.aliases?.length) lines.push('Aliases:', `  ${spec.aliases.map((a) => `minke ${a}`).join(', ')}`, '');
  const shown = spec.flags.filter((f) => !f.hidden).sort((a, b) => (a.name < b.name ? -1 : 1));
  if (shown.length) {
    lines.push('Options:');
    const left = shown.map((f) => {
      const t = f.kind === 'bool' ? '' : ` ${f.type ?? f.kind}`;
      return `${f.short ? `  -${f.short}, ` : '      '}--${f.name}${t}`;
    });
    const w = Math.max(...left.map((l) => l.length)) + 3;
    shown.forEach((f, k) => {
      const def = f.default !== undefined && f.default !== '' && f.default !== false ? ` (default ${typeof f.default === 'string' && f.kind === 'string' ? `"${f.default}"` : String(f.default)})` : '';
      lines.push(left[k].padEnd(w) + f.help + def);
    });
    lines.push('');
  }
  return lines.join('\n');
}

export function usageErrorText(e: UsageError): string {
  const s = e.spec;
  const prefix = e.code === 1 ? 'minke: ' : '';
  const tail = e.message.includes('at least') ? `See 'minke ${s.name} --help' for more information` : `Run 'minke ${s.name} --help' for more information`;
  return `${prefix}${e.message}\n\nUsage:  minke ${s.name} ${s.usage}\n\n${tail}\n`;
}
