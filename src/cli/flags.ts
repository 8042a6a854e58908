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
  /** the default as help shows it, when not the value itself ("map[]") */
  defaultText?: string;
  hidden?: boolean;
  /** another name for a flag (docker's hidden --net for --network): values go to that flag */
  aliasOf?: string;
  /**
   * The check docker's flag type makes as a value is set: returns the value to keep; a throw is the
   * flag's "invalid argument" usage error.
   */
  validate?: (value: string) => string;
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
  const assign = (given: FlagSpec, value: string): void => {
    const f = given.aliasOf ? (byName.get(given.aliasOf) ?? given) : given;
    set.add(f.name);
    let raw = value;
    if (f.validate) {
      try {
        raw = f.validate(value);
      } catch (e) {
        bad(`invalid argument ${JSON.stringify(value)} for "${flagLabel(given)}" flag: ${(e as Error).message}`);
      }
    }
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
        // opts.FilterOpt checks each filter as it is given
        if (f.type === 'filter' && raw !== '' && !raw.includes('=')) bad(`invalid argument ${JSON.stringify(raw)} for "${flagLabel(f)}" flag: bad format of filter (expected name=value)`);
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
        // pflag drops the "=" of -f=x, but -f= is the value "="
        if (j < a.length) assign(flag, a[j] === '=' && j + 1 < a.length ? a.slice(j + 1) : a.slice(j));
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
  if (spec.minArgs !== undefined && spec.maxArgs !== undefined && (n < spec.minArgs || n > spec.maxArgs)) {
    throw new UsageError(`'${cmd}' requires at least ${spec.minArgs} and at most ${spec.maxArgs} ${plural(spec.maxArgs)}`, spec, 1);
  }
  if (spec.minArgs !== undefined && n < spec.minArgs) {
    throw new UsageError(`'${cmd}' requires at least ${spec.minArgs} ${plural(spec.minArgs)}`, spec, 1);
  }
  if (spec.maxArgs !== undefined && n > spec.maxArgs) {
    throw new UsageError(spec.maxArgs === 0 ? `'${cmd}' accepts no arguments` : `'${cmd}' requires at most ${spec.maxArgs} ${plural(spec.maxArgs)}`, spec, 1);
  }
}

/** pflag's wrapN: text up to i bytes broken at the last blank, going `slop` over to avoid an orphan word. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap: a flag's usage in the columns from `indent` to `width`, later lines indented. */
export function wrapUsage(indent: number, width: number, s: string): string {
  let i = indent;
  let room = width - i;
  let r = '';
  if (room < 24) {
    i = 16;
    room = width - i;
    r += `\n${' '.repeat(i)}`;
  }
  if (room < 24) return s.replaceAll('\n', r);
  const slop = 5;
  room -= slop;
  const pad = (t: string): string => t.replaceAll('\n', `\n${' '.repeat(i)}`);
  let [l, rest] = wrapN(room, slop, s);
  r += pad(l);
  while (rest !== '') {
    [l, rest] = wrapN(room, slop, rest);
    r += `\n${' '.repeat(i)}${pad(l)}`;
  }
  return r;
}

/** The default pflag shows after a flag's usage; zero values are not shown. */
function defaultText(f: FlagSpec): string {
  if (f.defaultText !== undefined) return ` (default ${f.defaultText})`;
  if (f.default === undefined || ['', '0', 'false'].includes(String(f.default))) return '';
  return ` (default ${typeof f.default === 'string' && f.kind === 'string' ? JSON.stringify(f.default) : String(f.default)})`;
}

/** cobra's help as docker prints it: flags sorted, usages wrapped to 79 columns as pflag does. */
export function helpText(spec: CommandSpec, width = 79): string {
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
      lines.push((left[k].padEnd(w) + wrapUsage(w, width, f.help + defaultText(f))).trimEnd());
    });
    lines.push('');
  }
  return lines.join('\n');
}

export function usageErrorText(e: UsageError): string {
  const s = e.spec;
  const prefix = e.code === 1 ? 'minke: ' : '';
  const tail = e.message.includes('at least') && !e.message.includes('at most') ? `See 'minke ${s.name} --help' for more information` : `Run 'minke ${s.name} --help' for more information`;
  return `${prefix}${e.message}\n\nUsage:  minke ${s.name} ${s.usage}\n\n${tail}\n`;
}

/** docker's help for --format on list commands (flagsHelper.FormatHelp). */
export const formatHelp = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`;

/** docker's help for --format on inspect commands (flagsHelper.InspectFormatHelp). */
export const inspectFormatHelp = `Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`;
