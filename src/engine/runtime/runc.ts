/** The runc command line: one short-lived process per operation, errors carrying runc's own reason. */
import { constants, openSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { NotFound, SystemError, Conflict, InvalidArgument, isErrno } from '../../core/errors.js';
import { execProcess } from '../../core/spawn.js';

export const RUNC_PATH = '/usr/sbin/runc';

export interface RuncState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
  rootfs?: string;
  created?: string;
}

/** The message inside runc's logrus line (`time=... level=error msg="..."`), unescaped; else the text trimmed. */
export function runcMessage(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l.trim() !== '');
  const msgs: string[] = [];
  for (const line of lines) {
    const m = /msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) {
      try {
        msgs.push(JSON.parse(`"${m[1]!}"`) as string);
      } catch {
        msgs.push(m[1]!);
      }
    } else if (line.trim().startsWith('{')) {
      try {
        const j = JSON.parse(line) as { msg?: string; level?: string };
        if (j.msg) msgs.push(j.msg);
      } catch {
        msgs.push(line.trim());
      }
    } else msgs.push(line.trim());
  }
  return msgs.join(': ') || text.trim();
}

export class Runc {
  /** `args`: global options of a configured runtime (daemon.json runtimeArgs), before runc's own. */
  constructor(readonly root: string, readonly path = RUNC_PATH, readonly args: readonly string[] = []) {}

  /** Runs runc with the global --root (spawned without forking the engine); rejects with runc's message. */
  async run(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
    const r = await execProcess(this.path, [...this.args, `--root=${this.root}`, ...args], { timeoutMs: opts.timeoutMs ?? 60_000 }).catch((err: unknown) => {
      throw new SystemError(`runc ${args[0] ?? ''}: ${(err as Error).message}`, { cause: err });
    });
    if (r.code === 0) return r.stdout;
    const msg = runcMessage(r.stderr || `runc exited with ${r.signal ?? `status ${r.code}`}`);
    const id = args[args.length - 1] ?? '';
    if (/does not exist|container not found/i.test(msg)) throw new NotFound(`No such container: ${id}`);
    if (/not running|not paused|is paused|already/i.test(msg)) throw new Conflict(msg);
    throw new SystemError(`runc ${args[0] ?? ''}: ${msg}`);
  }

  /**
   * What `runc start` does, without a second runc process on the hot path: runc's init waits,
   * blocked opening the container's exec.fifo for writing, until a reader opens it; its one byte
   * read, the process execs. The fifo is opened read-write (never blocks, and no EOF can be seen
   * before init has opened it) and watched through libuv. Falls back to `runc start` when there
   * is no fifo, or when nothing arrives in time.
   */
  async startFast(id: string, timeoutMs = 2000): Promise<void> {
    const fifo = join(this.root, id, 'exec.fifo');
    let fd: number;
    try {
      fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return this.start(id);
      throw err;
    }
    const sock = new Socket({ fd, readable: true, writable: false });
    const got = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      sock.once('data', () => { clearTimeout(timer); resolve(true); });
      sock.once('error', () => { clearTimeout(timer); resolve(false); });
    });
    sock.destroy();
    if (!got) return this.start(id);
    await unlink(fifo).catch(() => {});
  }

  async start(id: string): Promise<void> {
    await this.run(['start', id]);
  }

  async kill(id: string, signal = 'SIGTERM', all = false): Promise<void> {
    await this.run(all ? ['kill', '--all', id, signal] : ['kill', id, signal]);
  }

  async delete(id: string, force = false): Promise<void> {
    await this.run(force ? ['delete', '--force', id] : ['delete', id]);
  }

  async state(id: string): Promise<RuncState> {
    return JSON.parse(await this.run(['state', id])) as RuncState;
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  async ps(id: string): Promise<number[]> {
    const out = await this.run(['ps', '--format', 'json', id]);
    return (JSON.parse(out) as number[] | null) ?? [];
  }

  async list(): Promise<RuncState[]> {
    const out = await this.run(['list', '--format', 'json']);
    return (JSON.parse(out) as RuncState[] | null) ?? [];
  }

  /** `runc update -r -` with an OCI LinuxResources document on stdin. */
  async update(id: string, resources: object): Promise<void> {
    const r = await execProcess(this.path, [...this.args, `--root=${this.root}`, 'update', '--resources', '-', id], { input: JSON.stringify(resources) });
    if (r.code !== 0) {
      const msg = `Cannot update container ${id}: ${runcMessage(r.stderr || `runc exited with ${r.signal ?? `status ${r.code}`}`)}`;
      // A value the kernel's cgroup refuses (cpu-shares below 2 on cgroup v1) is the request's fault.
      throw /(minimum|maximum) allowed cpu-shares/.test(msg) ? new InvalidArgument(msg) : new SystemError(msg);
    }
  }
}
