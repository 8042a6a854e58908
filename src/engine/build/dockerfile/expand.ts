/**
 * The word expansion BuildKit applies when it dispatches an instruction (dockerfile2llb): ADD,
 * COPY, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR, ARG, RUN's --mount values and
 * FROM's reference and platform. RUN, CMD and ENTRYPOINT bodies are left to the shell. Which
 * variables are in scope (ARG/ENV, meta args) is the builder's business: it passes `env`.
 */
import { DockerfileError } from './errors.js';
import { goQuote } from './go-text.js';
import type { Command, Stage } from './instructions.js';
import { parseMount } from './run-mount.js';
import { ShellLex, ShellLexError, type Env } from './shell-lex.js';

/** The platform ARGs BuildKit defines in every stage (values from the build and target platform). */
export const PLATFORM_ARGS = ['TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT'] as const;

/** Build args usable without an ARG instruction (kept out of the image history, as Docker does). */
export const PROXY_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'] as const;

/** Every built-in ARG: the platform ones and the default proxy ones. */
export const BUILTIN_ARGS: readonly string[] = [...PLATFORM_ARGS, ...PROXY_ARGS];

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** The values of the platform ARGs (`TARGETPLATFORM=linux/arm/v7`, `TARGETVARIANT=v7`...). */
export function platformArgs(build: Platform, target: Platform): Map<string, string> {
  const format = (p: Platform): string => [p.os, p.architecture, p.variant].filter(Boolean).join('/');
  return new Map([
    ['BUILDPLATFORM', format(build)], ['BUILDOS', build.os], ['BUILDARCH', build.architecture], ['BUILDVARIANT', build.variant ?? ''],
    ['TARGETPLATFORM', format(target)], ['TARGETOS', target.os], ['TARGETARCH', target.architecture], ['TARGETVARIANT', target.variant ?? ''],
  ]);
}

export interface ExpandOptions {
  /** The file name errors are given with (default `Dockerfile`). */
  file?: string;
}

/**
 * A copy of the command with its words expanded as BuildKit does at dispatch (quotes removed
 * too, so always call it before using ENV/LABEL/ARG values). Errors are DockerfileErrors at
 * the command's line.
 */
export function expandCommand(cmd: Command, lex: ShellLex, env: Env, opts: ExpandOptions = {}): Command {
  const w = (s: string): string => lex.processWord(s, env);
  const ws = (l: string[]): string[] => l.map(w);
  // heredoc bodies of COPY/ADD: quotes are plain text there, the escape is always \
  const raw = new ShellLex('\\', { skipProcessQuotes: true });
  try {
    switch (cmd.kind) {
      case 'env':
      case 'label':
        return { ...cmd, pairs: cmd.pairs.map((p) => ({ ...p, key: w(p.key), value: w(p.value) })) };
      case 'arg':
        return { ...cmd, args: cmd.args.map((a) => (a.value === undefined ? { key: w(a.key) } : { key: w(a.key), value: w(a.value) })) };
      case 'workdir': return { ...cmd, path: w(cmd.path) };
      case 'user': return { ...cmd, user: w(cmd.user) };
      case 'stopsignal': return { ...cmd, signal: w(cmd.signal) };
      case 'volume': return { ...cmd, volumes: ws(cmd.volumes) };
      case 'expose': return { ...cmd, ports: cmd.ports.flatMap((p) => lex.processWords(p, env)) };
      case 'copy':
      case 'add': {
        const contents = cmd.contents.map((c) => (c.expand ? { ...c, data: raw.processWord(c.data, env) } : c));
        const common = { sources: ws(cmd.sources), dest: w(cmd.dest), chown: w(cmd.chown), chmod: w(cmd.chmod), exclude: ws(cmd.exclude), contents };
        return cmd.kind === 'copy' ? { ...cmd, ...common, from: w(cmd.from) } : { ...cmd, ...common, checksum: w(cmd.checksum) };
      }
      case 'run':
        return { ...cmd, mounts: cmd.mountSpecs.map((s) => parseMount(s, w)) };
      default:
        return cmd;
    }
  } catch (e) {
    throw new DockerfileError(opts.file ?? 'Dockerfile', cmd.line, (e as Error).message, { cause: e });
  }
}

/** FROM's reference and --platform expanded with the meta ARGs, with BuildKit's checks. */
export function expandFrom(stage: Stage, lex: ShellLex, env: Env, opts: ExpandOptions = {}): { baseName: string; platform?: string } {
  const fail = (msg: string, cause?: unknown): never => {
    throw new DockerfileError(opts.file ?? 'Dockerfile', stage.line, msg, { cause });
  };
  let baseName = '';
  try {
    baseName = lex.processWord(stage.baseName, env);
  } catch (e) {
    if (!(e instanceof ShellLexError)) throw e;
    fail(`failed to parse stage name ${goQuote(stage.baseName)}: ${e.message}`, e);
  }
  if (baseName === '') fail(`base name (${stage.baseName}) should not be blank`);
  if (stage.platform === undefined) return { baseName };
  let platform = '';
  try {
    platform = lex.processWord(stage.platform, env);
  } catch (e) {
    if (!(e instanceof ShellLexError)) throw e;
    fail(`failed to process arguments for platform ${stage.platform}: ${e.message}`, e);
  }
  return { baseName, platform };
}
