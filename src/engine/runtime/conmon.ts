/**
 * conmon, driven as podman drives it: sync pipe (fd 3) for `{"data": N, "message"?}` answers,
 * start pipe (fd 4) to let it proceed, and for exec an attach pipe (fd 5) that says when the
 * attach socket is ready. conmon daemonises: its first process exits at once and the monitor
 * keeps running, holding the container's stdio, the log and the exit file.
 */
import { trace } from '../../core/trace.js';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { SystemError } from '../../core/errors.js';
import { spawnProcess, type SpawnedProcess } from '../../core/spawn.js';
import { runcMessage, RUNC_PATH } from './runc.js';

export const CONMON_PATH = 'conmon';

/** A container process that could not be started; `exitCode` is docker's 127 (not found), 126 (cannot invoke) or 128. */
export class ContainerStartError extends SystemError {
  readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = startFailureExitCode(message);
  }
}

/** Docker's mapping of a start failure to the exit code `docker run` reports. */
export function startFailureExitCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|not executable|exec format error|is a directory/i.test(message)) return 126;
  return 128;
}

interface PipeMessage { data: number; message?: string }

/** Reads newline-separated JSON messages from a conmon pipe. */
export class PipeReader {
  private buf = '';
  private queue: (PipeMessage | null)[] = [];
  private waiting: ((m: PipeMessage | null) => void) | undefined;

  constructor(stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line === '') continue;
        try {
          this.push(JSON.parse(line) as PipeMessage);
        } catch {
          this.push({ data: -1, message: line });
        }
      }
    });
    const end = (): void => this.push(null);
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  private push(m: PipeMessage | null): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w(m);
    } else this.queue.push(m);
  }

  /** The next message, or null when the pipe closed. */
  next(): Promise<PipeMessage | null> {
    if (this.queue.length > 0) {
      const m = this.queue[0]!;
      if (m !== null) this.queue.shift();
      return Promise.resolve(m);
    }
    return new Promise((resolve) => {
      this.waiting = (m) => {
        if (m === null) this.queue.push(null);
        resolve(m);
      };
    });
  }
}

export interface ConmonSpawn {
  child: SpawnedProcess;
  sync: PipeReader;
  syncStream: Readable;
  start: Writable;
  attach?: PipeReader;
  attachStream?: Readable;
  /** conmon's own stderr, for failures conmon reports only there. */
  errText(): string;
}

/**
 * Spawns conmon (without forking the engine: core/spawn.ts). A conmon that cannot be executed
 * is a ContainerStartError at once, with nothing left behind.
 */
export function spawnConmon(args: string[], opts: { errPath: string; attachPipe?: boolean; cwd?: string; conmonPath?: string }): ConmonSpawn {
  const errFd = openSync(opts.errPath, 'w');
  const env: NodeJS.ProcessEnv = { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' };
  if (opts.attachPipe) env._OCI_ATTACHPIPE = '5';
  let child: SpawnedProcess;
  try {
    child = spawnProcess(opts.conmonPath ?? CONMON_PATH, args, {
      stdio: opts.attachPipe ? ['ignore', 'ignore', errFd, 'pipe', 'pipe', 'pipe'] : ['ignore', 'ignore', errFd, 'pipe', 'pipe'],
      env,
      cwd: opts.cwd,
      detached: true,
    });
  } catch (err) {
    // The errno's name, not its text: "no such file" would read as the container's command missing (127).
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ContainerStartError(`OCI runtime ${opts.attachPipe ? 'exec' : 'create'} failed: cannot start ${opts.conmonPath ?? CONMON_PATH} (${code}): unknown`, { cause: err });
  } finally {
    closeSync(errFd);
  }
  const syncStream = child.stdio[3]!;
  const start = child.stdio[4]!;
  start.on('error', () => {});
  syncStream.on('error', () => {});
  const out: ConmonSpawn = {
    child,
    sync: new PipeReader(syncStream),
    syncStream,
    start,
    errText: () => {
      try {
        return readFileSync(opts.errPath, 'utf8').trim();
      } catch {
        return '';
      }
    },
  };
  if (opts.attachPipe) {
    out.attachStream = child.stdio[5]!;
    out.attachStream.on('error', () => {});
    out.attach = new PipeReader(out.attachStream);
  }
  return out;
}

export interface ContainerConmonOptions {
  id: string;
  bundleDir: string;
  logPath: string;
  exitDir: string;
  runcRoot: string;
  socketDir: string;
  stdin: boolean;
  tty: boolean;
  leaveStdinOpen?: boolean;
  runcPath?: string;
  /** Global options of the runtime binary (daemon.json runtimeArgs). */
  runcArgs?: readonly string[];
  /** conmon cuts the log file at this size, a new file in its place (the rotation keeps the old: see log-files.ts). */
  logSizeMax?: number;
  conmonPath?: string;
}

/** conmon passes each --runtime-arg to the runtime before its subcommand. */
export function runtimeArgs(args: readonly string[] | undefined): string[] {
  return (args ?? []).flatMap((a) => ['--runtime-arg', a]);
}

export function containerConmonArgs(o: ContainerConmonOptions): string[] {
  const args = [
    '--api-version', '1', '-c', o.id, '-u', o.id, '-r', o.runcPath ?? RUNC_PATH, '-b', o.bundleDir,
    '-p', `${o.bundleDir}/pidfile`, '-l', `k8s-file:${o.logPath}`, '--exit-dir', o.exitDir,
    '--socket-dir-path', o.socketDir, '--full-attach', ...runtimeArgs(o.runcArgs), '--runtime-arg', `--root=${o.runcRoot}`,
    '--conmon-pidfile', `${o.bundleDir}/conmon.pid`, '--log-level', 'error',
  ];
  if (o.stdin) args.push('-i');
  if (o.tty) args.push('-t');
  if (o.leaveStdinOpen) args.push('--leave-stdin-open');
  if (o.logSizeMax !== undefined && o.logSizeMax > 0) args.push('--log-size-max', String(o.logSizeMax));
  return args;
}

/** Turns a conmon failure answer into an error carrying runc's reason. */
export function conmonFailure(what: string, msg: PipeMessage | null, errText: string): ContainerStartError {
  const reason = msg?.message ? runcMessage(msg.message) : errText ? runcMessage(errText) : 'conmon exited without an answer';
  return new ContainerStartError(`OCI runtime ${what} failed: ${reason}: unknown`);
}

/** Starts conmon for a container and waits until `runc create` is done; returns the container's pid. */
export async function createWithConmon(o: ContainerConmonOptions): Promise<{ pid: number; conmonPid: number }> {
  const errPath = `${o.bundleDir}/conmon.err`;
  const c = spawnConmon(containerConmonArgs(o), { errPath, cwd: o.bundleDir, conmonPath: o.conmonPath });
  c.start.end('0');
  trace(o.id, 'conmon: spawned');
  const msg = await c.sync.next();
  trace(o.id, 'conmon: answered');
  c.syncStream.destroy();
  if (!msg || msg.data <= 0) throw conmonFailure('create', msg, c.errText());
  const conmonPid = Number((await readFile(`${o.bundleDir}/conmon.pid`, 'utf8').catch(() => '0')).trim()) || 0;
  return { pid: msg.data, conmonPid };
}
