/**
 * The instructions as the builder dispatches them: the parser's Stage and Command (parseStages,
 * after expandCommand), narrowed to the fields the builder reads. Kept apart so that the builder
 * depends only on what it uses of the parser's richer types.
 */

export interface KeyValue { key: string; value: string }
export interface ArgDef { key: string; value?: string }

interface Base { line: number; original: string }

export interface RunMount {
  type: 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
  target?: string;
  source?: string;
  from?: string;
  id?: string;
  readonly?: boolean;
}

export interface Heredoc { name: string; content: string; expand?: boolean; chomp?: boolean }

export type Command =
  | Base & { kind: 'run'; shell: boolean; cmd: string[]; mounts?: RunMount[]; network?: string; heredocs?: Heredoc[] }
  | Base & {
    kind: 'copy' | 'add'; sources: string[]; dest: string; from?: string; chown?: string; chmod?: string;
    link?: boolean; parents?: boolean; exclude?: string[]; heredocs?: Heredoc[]; keepGitDir?: boolean; checksum?: string;
  }
  | Base & { kind: 'env'; pairs: KeyValue[] }
  | Base & { kind: 'label'; pairs: KeyValue[] }
  | Base & { kind: 'arg'; args: ArgDef[] }
  | Base & { kind: 'workdir'; path: string }
  | Base & { kind: 'user'; user: string }
  | Base & { kind: 'cmd' | 'entrypoint'; shell: boolean; cmd: string[] }
  | Base & { kind: 'expose'; ports: string[] }
  | Base & { kind: 'volume'; volumes: string[] }
  | Base & { kind: 'stopsignal'; signal: string }
  | Base & { kind: 'healthcheck'; test: string[] | null; interval?: number; timeout?: number; startPeriod?: number; startInterval?: number; retries?: number }
  | Base & { kind: 'shell'; shell: string[] }
  | Base & { kind: 'onbuild'; expression: string }
  | Base & { kind: 'maintainer'; maintainer: string };

export interface Stage {
  name?: string;
  index: number;
  /** The FROM reference before ARG expansion. */
  baseName: string;
  platform?: string;
  commands: Command[];
  line: number;
  original: string;
}
