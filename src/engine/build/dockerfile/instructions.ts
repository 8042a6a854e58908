/**
 * Typed instructions and stages, as BuildKit's instructions.Parse: argument counts, flags
 * (with BuildKit's words: `unknown flag: foo`), the instructions Docker refuses. Words are left
 * as written (quotes included): expandCommand (expand.ts) does what dispatch does with them.
 */
import { DockerfileError } from './errors.js';
import { goQuote } from './go-text.js';
import { parseDuration, parseInt32, withSuggestion } from './go-values.js';
import { splitCommand } from './line-parsers.js';
import { heredocBody, parseDockerfile, parseHeredoc, type Heredoc, type Node, type ParseResult } from './parser.js';
import { parseMount, type Mount } from './run-mount.js';

interface Base {
  /** First line of the instruction (1-based). */
  line: number;
  endLine: number;
  /** The instruction as written, continuations joined, trimmed. */
  original: string;
}

/** A shell-form (`shell: true`, one string run by SHELL) or exec-form command line. */
export interface CommandLine {
  shell: boolean;
  cmd: string[];
}

/** A COPY/ADD source given inline by a heredoc (`COPY <<EOF /file`). */
export interface SourceContent {
  /** The heredoc's name, which is the file name at the destination. */
  path: string;
  /** The body, `<<-` tabs already stripped. */
  data: string;
  /** Whether variables in the body are expanded (delimiter unquoted). */
  expand: boolean;
}

export interface KeyValue {
  key: string;
  value: string;
  /** The legacy `ENV k v` / `LABEL k v` form (no `=`). */
  legacy: boolean;
}

export interface RunCommand extends Base, CommandLine {
  kind: 'run';
  /** Heredocs of the line (`RUN <<EOF`), raw bodies with their chomp flag. */
  heredocs: Heredoc[];
  /** The --mount values as written; expandCommand reads them again with variables expanded. */
  mountSpecs: string[];
  /** The mounts as written (final after expandCommand, which reads the expanded specs). */
  mounts: Mount[];
  network: 'default' | 'none' | 'host';
  security: 'sandbox' | 'insecure';
  /** The flags given (`mount`, `network`, `security`). */
  flagsUsed: string[];
}

interface CopyLike extends Base {
  sources: string[];
  dest: string;
  /** Heredoc sources, in order, as files to write (name, body with `<<-` applied, expansion). */
  contents: SourceContent[];
  /** The line's heredocs as the parser read them (raw bodies). */
  heredocs: Heredoc[];
  chown: string;
  chmod: string;
  link: boolean;
  exclude: string[];
}

export interface CopyCommand extends CopyLike {
  kind: 'copy';
  from: string;
  parents: boolean;
}

export interface AddCommand extends CopyLike {
  kind: 'add';
  keepGitDir: boolean;
  checksum: string;
  /** --unpack given (true/false); undefined leaves ADD's default (local archives are extracted). */
  unpack?: boolean;
}

export interface EnvCommand extends Base { kind: 'env'; pairs: KeyValue[] }
export interface LabelCommand extends Base { kind: 'label'; pairs: KeyValue[] }
/** ARG: each name with its default, and the comment documenting it (`# NAME does this`). */
export interface ArgCommand extends Base { kind: 'arg'; args: { key: string; value?: string; comment?: string }[] }
export interface WorkdirCommand extends Base { kind: 'workdir'; path: string }
export interface UserCommand extends Base { kind: 'user'; user: string }
export interface CmdCommand extends Base, CommandLine { kind: 'cmd'; heredocs: Heredoc[] }
export interface EntrypointCommand extends Base, CommandLine { kind: 'entrypoint' }
export interface ExposeCommand extends Base { kind: 'expose'; ports: string[] }
export interface VolumeCommand extends Base { kind: 'volume'; volumes: string[] }
export interface StopSignalCommand extends Base { kind: 'stopsignal'; signal: string }
export interface ShellCommand extends Base { kind: 'shell'; shell: string[] }
export interface MaintainerCommand extends Base { kind: 'maintainer'; maintainer: string }
/** ONBUILD: the trigger's text (heredoc bodies appended), parsed again when the image is a base. */
export interface OnbuildCommand extends Base { kind: 'onbuild'; expression: string }

export interface HealthcheckCommand extends Base {
  kind: 'healthcheck';
  /** `['NONE']`, `['CMD', ...args]` (exec form) or `['CMD-SHELL', 'command']`. */
  test: string[];
  /** Nanoseconds; 0 when not given. */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export type Command =
  | RunCommand | CopyCommand | AddCommand | EnvCommand | LabelCommand | ArgCommand | WorkdirCommand
  | UserCommand | CmdCommand | EntrypointCommand | ExposeCommand | VolumeCommand | StopSignalCommand
  | HealthcheckCommand | ShellCommand | OnbuildCommand | MaintainerCommand;

export interface Stage {
  /** `FROM x AS name`, lower case. */
  name?: string;
  index: number;
  /** The FROM reference as written (ARGs not expanded). */
  baseName: string;
  /** --platform as written. */
  platform?: string;
  commands: Command[];
  line: number;
  original: string;
  /** The comment above FROM that documents the stage (`# NAME does this`). */
  comment?: string;
}

export interface Stages {
  /** ARGs before the first FROM. */
  metaArgs: ArgCommand[];
  stages: Stage[];
}

/** Every instruction BuildKit knows, for "did you mean" suggestions. */
export const INSTRUCTIONS = ['add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label', 'maintainer', 'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir'];

type FlagType = 'bool' | 'string' | 'strings';

/** BuildKit's BFlags: declared flags, then one parse of the node's flags with its error words. */
class Flags {
  private readonly decl = new Map<string, FlagType>();
  private readonly values = new Map<string, string[]>();
  readonly used = new Set<string>();

  constructor(private readonly args: string[]) {}

  add(name: string, type: FlagType): this {
    this.decl.set(name, type);
    return this;
  }

  parse(): this {
    for (const arg of this.args) {
      if (arg === '--') break; // the end of the flags, as POSIX
      if (!arg.startsWith('--')) throw new Error(`arg should start with -- : ${arg}`);
      const eq = arg.indexOf('=');
      // BuildKit's messages name the flag with its dashes, its suggestions without
      const flagName = eq < 0 ? arg : arg.slice(0, eq);
      const name = flagName.slice(2);
      const value = eq < 0 ? '' : arg.slice(eq + 1);
      const type = this.decl.get(name);
      if (!type) throw new Error(withSuggestion(`unknown flag: ${flagName}`, name, [...this.decl.keys()], true));
      if (this.used.has(name) && type !== 'strings') throw new Error(`duplicate flag specified: ${flagName}`);
      this.used.add(name);
      if (type === 'bool') {
        if (eq >= 0 && value === '') throw new Error(`missing a value on flag: ${flagName}`);
        const lower = value.toLowerCase();
        if (lower !== '' && lower !== 'true' && lower !== 'false') throw new Error(`expecting boolean value for flag ${flagName}, not: ${value}`);
        this.values.set(name, [lower === '' ? 'true' : lower]);
      } else {
        if (eq < 0) throw new Error(`missing a value on flag: ${flagName}`);
        this.values.set(name, [...(type === 'strings' ? (this.values.get(name) ?? []) : []), value]);
      }
    }
    return this;
  }

  str(name: string, def = ''): string {
    return this.values.get(name)?.[0] ?? def;
  }

  bool(name: string): boolean {
    return this.values.get(name)?.[0] === 'true';
  }

  list(name: string): string[] {
    return this.values.get(name) ?? [];
  }
}

/** BuildKit's nodeArgs: an ONBUILD's arguments are its trigger's instruction and arguments. */
function nodeArgs(n: Node): string[] {
  return n.next ? [n.next.instruction, ...nodeArgs(n.next)] : n.args;
}

/** The instruction word as written (its case kept, for messages). */
function instructionWord(n: Node): string {
  return splitCommand(n.original).cmd || n.instruction;
}

const atLeastOne = (c: string): Error => new Error(`${c} requires at least one argument`);
const exactlyOne = (c: string): Error => new Error(`${c} requires exactly one argument`);

function commandLine(n: Node, args: string[]): CommandLine {
  if (args.length === 0) return { shell: !n.json, cmd: [] };
  return n.json ? { shell: false, cmd: [...args] } : { shell: true, cmd: [args.join(' ')] };
}

function keyValues(args: string[], c: string): KeyValue[] {
  if (args.length === 0) throw atLeastOne(c);
  if (args.length % 3 !== 0) throw new Error(`Bad input to ${c}, too many arguments`);
  const out: KeyValue[] = [];
  for (let j = 0; j < args.length; j += 3) {
    if (args[j] === '') throw new Error(`${c} names can not be blank`);
    out.push({ key: args[j], value: args[j + 1], legacy: args[j + 2] === '' });
  }
  return out;
}

function sourcesAndDest(n: Node, args: string[], c: string): Pick<CopyLike, 'sources' | 'dest' | 'contents' | 'heredocs'> {
  const dest = args[args.length - 1];
  if (parseHeredoc(dest)) throw new Error(`${c} cannot accept a heredoc as a destination`);
  const docs = new Map(n.heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const contents: SourceContent[] = [];
  for (const src of args.slice(0, -1)) {
    const h = parseHeredoc(src);
    if (!h) {
      sources.push(src);
      continue;
    }
    const doc = docs.get(h.name);
    contents.push({ path: h.name, data: doc ? heredocBody({ ...doc, chomp: h.chomp }) : '', expand: h.expand });
  }
  return { sources, dest, contents, heredocs: n.heredocs };
}

function interval(f: Flags, name: string): number {
  const s = f.str(name);
  if (s === '') return 0;
  const d = parseDuration(s);
  if (d === 0) return 0;
  if (d < 1e6) throw new Error(`Interval "${name}" cannot be less than 1ms`);
  return d;
}

const stageName = /^[a-z][a-z0-9-_.]*$/;

/** BuildKit's getComment: the comment line that starts with `NAME `, without the name. */
function docComment(comments: string[], name: string | undefined): string | undefined {
  if (!name) return undefined;
  const line = comments.find((c) => c.startsWith(`${name} `));
  return line === undefined ? undefined : line.slice(name.length + 1);
}

type Parsed = Command | (Omit<Stage, 'index'> & { kind: 'from' });

/** One instruction; throws a plain Error that the caller locates. */
function parseInstruction(n: Node): Parsed {
  const args = nodeArgs(n);
  const base: Base = { line: n.startLine, endLine: n.endLine, original: n.original.trim() };
  const flags = new Flags(n.flags);
  switch (n.instruction) {
    case 'env': flags.parse(); return { kind: 'env', pairs: keyValues(args, 'ENV'), ...base };
    case 'label': flags.parse(); return { kind: 'label', pairs: keyValues(args, 'LABEL'), ...base };
    case 'maintainer':
      if (args.length !== 1) throw exactlyOne('MAINTAINER');
      flags.parse();
      return { kind: 'maintainer', maintainer: args[0], ...base };
    case 'add': {
      if (args.length < 2) throw new Error('ADD requires at least two arguments, but only one was provided. Destination could not be determined.');
      flags.add('exclude', 'strings').add('chown', 'string').add('chmod', 'string').add('link', 'bool')
        .add('keep-git-dir', 'bool').add('checksum', 'string').add('unpack', 'bool').parse();
      return {
        kind: 'add', chown: flags.str('chown'), chmod: flags.str('chmod'),
        link: flags.bool('link'), keepGitDir: flags.bool('keep-git-dir'), checksum: flags.str('checksum'),
        exclude: flags.list('exclude'), unpack: flags.used.has('unpack') ? flags.bool('unpack') : undefined,
        ...sourcesAndDest(n, args, 'ADD'), ...base,
      };
    }
    case 'copy': {
      if (args.length < 2) throw new Error('COPY requires at least two arguments, but only one was provided. Destination could not be determined.');
      flags.add('exclude', 'strings').add('parents', 'bool').add('chown', 'string').add('from', 'string')
        .add('chmod', 'string').add('link', 'bool').parse();
      return {
        kind: 'copy', from: flags.str('from'), chown: flags.str('chown'),
        chmod: flags.str('chmod'), link: flags.bool('link'), parents: flags.bool('parents'), exclude: flags.list('exclude'),
        ...sourcesAndDest(n, args, 'COPY'), ...base,
      };
    }
    case 'from': {
      let name: string | undefined;
      if (args.length === 3 && args[1].toLowerCase() === 'as') {
        name = args[2].toLowerCase();
        if (!stageName.test(name)) throw new Error(`invalid name for build stage: ${goQuote(args[2])}, name can't start with a number or contain symbols`);
      } else if (args.length !== 1) {
        throw new Error('FROM requires either one or three arguments');
      }
      flags.add('platform', 'string').parse();
      const platform = flags.str('platform');
      const comment = docComment(n.comments, name);
      return {
        kind: 'from', name, baseName: args[0], platform: platform || undefined, commands: [], line: n.startLine, original: n.original.trim(),
        ...(comment === undefined ? {} : { comment }),
      };
    }
    case 'onbuild': {
      if (args.length === 0) throw atLeastOne('ONBUILD');
      flags.parse();
      const trigger = args[0].trim().toUpperCase();
      if (trigger === 'ONBUILD') throw new Error('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (trigger === 'MAINTAINER' || trigger === 'FROM') throw new Error(`${trigger} isn't allowed as an ONBUILD trigger`);
      let expression = n.original.replace(/^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*/i, '');
      for (const h of n.heredocs) expression += `\n${h.content}${h.name}`;
      return { kind: 'onbuild', expression, ...base };
    }
    case 'workdir':
      if (args.length !== 1) throw exactlyOne('WORKDIR');
      flags.parse();
      return { kind: 'workdir', path: args[0], ...base };
    case 'run': {
      flags.add('mount', 'strings').add('network', 'string').add('security', 'string').parse();
      // BuildKit's post-parse hooks, in their order: mounts, network, security
      const mountSpecs = flags.list('mount');
      const mounts: Mount[] = [];
      for (const spec of mountSpecs) {
        parseMount(spec); // BuildKit's parse-time check
        try {
          mounts.push(parseMount(spec, (w) => w));
        } catch (e) {
          // a variable may make it valid: decided once expanded
          if (!spec.includes('$')) throw e;
        }
      }
      const network = flags.str('network', 'default');
      if (network !== 'default' && network !== 'none' && network !== 'host') throw new Error(`invalid network mode ${goQuote(network)}`);
      const security = flags.str('security', 'sandbox');
      if (security !== 'sandbox' && security !== 'insecure') throw new Error(`security ${goQuote(security)} is not valid`);
      return {
        kind: 'run', heredocs: n.heredocs, mountSpecs, mounts, network, security, flagsUsed: [...flags.used],
        ...commandLine(n, args), ...base,
      };
    }
    case 'cmd':
      flags.parse();
      return { kind: 'cmd', heredocs: n.heredocs, ...commandLine(n, args), ...base };
    case 'entrypoint':
      flags.parse();
      return { kind: 'entrypoint', ...commandLine(n, args), ...base };
    case 'healthcheck': {
      if (args.length === 0) throw atLeastOne('HEALTHCHECK');
      const typ = args[0].toUpperCase();
      const rest = args.slice(1);
      const h = { kind: 'healthcheck' as const, interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0, ...base };
      if (typ === 'NONE') {
        if (rest.length !== 0) throw new Error('HEALTHCHECK NONE takes no arguments');
        return { test: ['NONE'], ...h };
      }
      flags.add('interval', 'string').add('timeout', 'string').add('start-period', 'string').add('start-interval', 'string').add('retries', 'string').parse();
      if (typ !== 'CMD') throw new Error(`Unknown type ${goQuote(typ)} in HEALTHCHECK (try CMD)`);
      const line = commandLine(n, rest);
      if (line.cmd.length === 0) throw new Error('Missing command after HEALTHCHECK CMD');
      let retries = 0;
      if (flags.str('retries') !== '') {
        retries = parseInt32(flags.str('retries'));
        if (retries < 0) throw new Error(`--retries cannot be negative (${retries})`);
      }
      return {
        kind: 'healthcheck', test: [n.json ? 'CMD' : 'CMD-SHELL', ...line.cmd], interval: interval(flags, 'interval'), timeout: interval(flags, 'timeout'),
        startPeriod: interval(flags, 'start-period'), startInterval: interval(flags, 'start-interval'), retries, ...base,
      };
    }
    case 'expose':
      if (args.length === 0) throw atLeastOne('EXPOSE');
      flags.parse();
      return { kind: 'expose', ports: [...args].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), ...base };
    case 'user':
      if (args.length !== 1) throw exactlyOne('USER');
      flags.parse();
      return { kind: 'user', user: args[0], ...base };
    case 'volume': {
      if (args.length === 0) throw atLeastOne('VOLUME');
      flags.parse();
      const volumes = args.map((v) => v.trim());
      if (volumes.some((v) => v === '')) throw new Error('VOLUME specified can not be an empty string');
      return { kind: 'volume', volumes, ...base };
    }
    case 'stopsignal':
      // BuildKit reads no flags for STOPSIGNAL
      if (args.length !== 1) throw exactlyOne('STOPSIGNAL');
      return { kind: 'stopsignal', signal: args[0], ...base };
    case 'arg': {
      if (args.length === 0) throw atLeastOne('ARG');
      flags.parse();
      return {
        kind: 'arg', args: args.map((a) => {
          const eq = a.indexOf('=');
          if (eq === 0) throw new Error('ARG names can not be blank');
          const key = eq < 0 ? a : a.slice(0, eq);
          const comment = docComment(n.comments, key);
          return { key, ...(eq < 0 ? {} : { value: a.slice(eq + 1) }), ...(comment === undefined ? {} : { comment }) };
        }),
        ...base,
      };
    }
    case 'shell': {
      flags.parse();
      if (args.length === 0) throw atLeastOne('SHELL');
      if (!n.json) throw new Error('SHELL requires the arguments to be in JSON form');
      return { kind: 'shell', shell: [...args], ...base };
    }
  }
  const word = instructionWord(n);
  // named as written, as current BuildKit (older ones upper-cased it)
  throw new Error(withSuggestion(`unknown instruction: ${word}`, word, INSTRUCTIONS, false));
}

/** One instruction as a typed command (ONBUILD triggers, for instance). FROM is refused here. */
export function parseCommand(n: Node, file = 'Dockerfile'): Command {
  const c = locate(n, file, () => parseInstruction(n));
  if (c.kind === 'from') throw new DockerfileError(file, n.startLine, 'FROM is not a command');
  return c;
}

/**
 * An ONBUILD trigger of a base image (its config's OnBuild entry) as the command it runs in the
 * stage built on it, as BuildKit dispatches triggers.
 */
export function parseTrigger(trigger: string, file = 'Dockerfile'): Command {
  const r = parseDockerfile(trigger, { file });
  if (r.nodes.length !== 1) throw new DockerfileError(file, 0, 'onbuild trigger should be a single expression');
  return parseCommand(r.nodes[0], file);
}

function locate<T>(n: Node, file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DockerfileError) throw e;
    throw new DockerfileError(file, n.startLine, (e as Error).message, { cause: e });
  }
}

/** The stages of a parsed Dockerfile and the ARGs before its first FROM. */
export function parseStages(result: ParseResult): Stages {
  const file = result.file;
  const metaArgs: ArgCommand[] = [];
  const stages: Stage[] = [];
  for (const n of result.nodes) {
    const c = locate(n, file, () => parseInstruction(n));
    if (c.kind === 'from') {
      const { kind: _kind, ...stage } = c;
      stages.push({ index: stages.length, ...stage });
      continue;
    }
    if (stages.length === 0) {
      if (c.kind === 'arg') {
        metaArgs.push(c);
        continue;
      }
      throw new DockerfileError(file, n.startLine, 'no build stage in current context');
    }
    stages[stages.length - 1].commands.push(c);
  }
  return { metaArgs, stages };
}
