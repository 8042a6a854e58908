/**
 * Starting child processes without forking the engine (src/native/spawn.c): libuv's fork copies
 * the page tables of the whole Node process and stops the event loop meanwhile, a cost that grows
 * with the engine's memory and lands on every container start (conmon, CNI plugins). The child
 * sees what a child_process.spawn child sees: the given stdio and no other descriptor, default
 * signal dispositions, an empty signal mask, the given environment and working directory.
 */
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { sys } from './native.js';

/** 'ignore' is /dev/null; 'pipe' a socket pair whose other end the parent gets; a number, the parent's own fd. */
export type StdioSpec = 'ignore' | 'pipe' | number;

export interface ExitStatus { code: number | null; signal: NodeJS.Signals | null }

export interface SpawnedProcess {
  pid: number;
  /** The parent's end of each 'pipe' slot (readable and writable), else null. */
  stdio: (Socket | null)[];
  /** Resolves once the process has ended and been reaped. */
  exited: Promise<ExitStatus>;
  /** Signals the process unless it has been reaped. */
  kill(signal?: NodeJS.Signals): void;
}

export interface SpawnOptions {
  /** The child's whole environment (default: the engine's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdio: StdioSpec[];
  /** A session of its own (setsid), as child_process's `detached`. */
  detached?: boolean;
}

const signalNames = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([k, v]) => [v, k as NodeJS.Signals]));

function envList(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out.push(`${k}=${v}`);
  return out;
}

/**
 * Spawns `file` (searched in the engine's PATH when it has no '/'). Throws at once when it
 * cannot be executed (err.code ENOENT, EACCES, ...), where child_process would emit 'error'.
 */
export function spawnProcess(file: string, args: string[], opts: SpawnOptions): SpawnedProcess {
  const pairs: ([number, number] | undefined)[] = [];
  const fds: number[] = [];
  try {
    for (const s of opts.stdio) {
      if (s === 'pipe') {
        const pair = sys().socketpair();
        pairs.push(pair);
        fds.push(pair[1]);
      } else {
        pairs.push(undefined);
        fds.push(s === 'ignore' ? -1 : s);
      }
    }
  } catch (err) {
    for (const p of pairs) if (p) { closeSync(p[0]); closeSync(p[1]); }
    throw err;
  }
  let reaped = false;
  let resolveExit: (s: ExitStatus) => void = () => {};
  const exited = new Promise<ExitStatus>((resolve) => { resolveExit = resolve; });
  let pid: number;
  try {
    pid = sys().spawn(file, [file, ...args], envList(opts.env ?? process.env), opts.cwd ?? null, fds, opts.detached ?? false, (code, signal) => {
      reaped = true;
      resolveExit({ code, signal: signal === null ? null : (signalNames.get(signal) ?? null) });
    });
  } catch (err) {
    for (const p of pairs) if (p) closeSync(p[0]);
    throw err;
  } finally {
    for (const p of pairs) if (p) closeSync(p[1]);
  }
  const stdio = pairs.map((p) => (p ? new Socket({ fd: p[0], readable: true, writable: true }) : null));
  return {
    pid,
    stdio,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (reaped) return;
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    },
  };
}

export interface ExecResult extends ExitStatus { stdout: string; stderr: string }

/**
 * Runs a program to its end, as child_process.execFile: `input` on its stdin, its stdout and
 * stderr collected; killed (SIGTERM) after timeoutMs. Resolves whatever the exit status; rejects
 * only when it cannot be started.
 */
export async function execProcess(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  const c = spawnProcess(file, args, { env: opts.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const collect = (s: Socket): Promise<string> => new Promise((resolve) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  const [stdout, stderr] = [collect(c.stdio[1]!), collect(c.stdio[2]!)];
  if (c.stdio[0]) {
    c.stdio[0].on('error', () => {});
    c.stdio[0].end(opts.input ?? '');
  }
  const timer = setTimeout(() => c.kill('SIGTERM'), opts.timeoutMs ?? 60_000);
  try {
    const status = await c.exited;
    return { ...status, stdout: await stdout, stderr: await stderr };
  } finally {
    clearTimeout(timer);
  }
}
