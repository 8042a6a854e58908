/**
 * The container runtime: OCI bundles run by runc under one conmon per container (and per exec
 * session), exit codes from conmon's exit files, cgroup stats. One object per engine; every
 * container is addressed by its ID.
 */
import { trace } from '../../core/trace.js';
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough, Transform, type Readable, type Writable } from 'node:stream';
import { SystemError } from '../../core/errors.js';
import { Runc, type RuncState } from './runc.js';
import { ContainerStartError, conmonFailure, createWithConmon, runtimeArgs, spawnConmon } from './conmon.js';
import { ExitWatcher, readExitCode } from './exit-watcher.js';
import { attachBundle, resizeTerminal, type Attachment } from './attach.js';
import { CgroupPaths, readStats, removeCgroups, wasOomKilled, type ContainerStats } from './stats.js';
import { effectiveCapabilities, type OciSpec, type OciResources, DEFAULT_CGROUP_PARENT } from './spec.js';
import { hostInfo } from './host.js';
import type { ResolvedUser } from './user.js';

export interface RuntimeOptions {
  /** State directory (under the engine's exec root): runc root, exit files, exec sessions. */
  root: string;
  runcPath?: string;
  /** Default: `conmon` from PATH. */
  conmonPath?: string;
  cgroupParent?: string;
}

export interface CreateOptions {
  id: string;
  bundleDir: string;
  spec: OciSpec;
  logPath: string;
  /** Defaults to the runtime's shared exit directory. */
  exitDir?: string;
  /** A runc-compatible binary other than the engine's runc (a configured runtime), and its global options. */
  binary?: RuntimeBinary;
  stdin: boolean;
  tty: boolean;
  leaveStdinOpen?: boolean;
  logSizeMax?: number;
}

export interface ExecOptions {
  args: string[];
  env: string[];
  cwd?: string;
  user?: Pick<ResolvedUser, 'uid' | 'gid' | 'additionalGids'>;
  tty: boolean;
  stdin: boolean;
  detach?: boolean;
  privileged?: boolean;
  /** Capabilities to grant instead of the container's. */
  caps?: string[];
  consoleSize?: { height: number; width: number };
}

export interface ExecSession {
  id: string;
  pid: number;
  /** Null when stdin is not attached. */
  stdin: Writable | null;
  /** Docker multiplexed frames without a TTY, raw terminal bytes with one; empty when detached. */
  output: Readable;
  /** The exit code; resolves after the output ended. */
  exit: Promise<number>;
  resize(rows: number, cols: number): Promise<void>;
}

export interface RuntimeBinary {
  path: string;
  args?: readonly string[];
}

export type ResourceUpdate = Pick<OciResources, 'memory' | 'cpu' | 'pids' | 'blockIO'>;

/** Strips docker's 8-byte frame headers (the bridge's output) leaving raw bytes, for TTY sessions. */
export function unframe(): Transform {
  let buf: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      buf = buf.length > 0 ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 8) {
        const len = buf.readUInt32BE(4);
        if (buf.length < 8 + len) break;
        this.push(buf.subarray(8, 8 + len));
        buf = buf.subarray(8 + len);
      }
      cb();
    },
  });
}

export class Runtime {
  readonly runc: Runc;
  readonly runcRoot: string;
  readonly exitDir: string;
  readonly socketDir: string;
  readonly execDir: string;
  /** Which binary each container was created with, for containers not run by the engine's runc. */
  readonly binaryDir: string;
  readonly cgroupParent: string;
  private readonly runcs = new Map<string, Runc>();
  private readonly watcher: ExitWatcher;
  private readonly cgroups = new Map<string, string>();
  private prepared: Promise<void> | undefined;

  constructor(readonly opts: RuntimeOptions) {
    this.runcRoot = join(opts.root, 'runc');
    this.exitDir = join(opts.root, 'exits');
    this.socketDir = join(opts.root, 'sockets');
    this.execDir = join(opts.root, 'exec');
    this.binaryDir = join(opts.root, 'binaries');
    this.cgroupParent = opts.cgroupParent ?? DEFAULT_CGROUP_PARENT;
    this.runc = new Runc(this.runcRoot, opts.runcPath);
    this.watcher = new ExitWatcher(this.exitDir);
  }

  private prepare(): Promise<void> {
    this.prepared ??= Promise.all([this.runcRoot, this.exitDir, this.socketDir, this.execDir, this.binaryDir].map((d) => mkdir(d, { recursive: true }))).then(() => {});
    return this.prepared;
  }

  /**
   * The runc a container is driven by: the binary it was created with, recorded beside the runtime's
   * state so an engine adopting the container after a restart (or a configuration reload) uses it too.
   */
  runcOf(id: string): Runc {
    let r = this.runcs.get(id);
    if (!r) {
      r = this.runc;
      try {
        const b = JSON.parse(readFileSync(join(this.binaryDir, id), 'utf8')) as RuntimeBinary;
        r = new Runc(this.runcRoot, b.path, b.args);
      } catch {
        // none recorded: the engine's runc
      }
      this.runcs.set(id, r);
    }
    return r;
  }

  private async recordBinary(id: string, binary: RuntimeBinary | undefined): Promise<Runc> {
    const path = join(this.binaryDir, id);
    if (!binary || (binary.path === this.runc.path && !binary.args?.length)) {
      await unlink(path).catch(() => {});
      this.runcs.set(id, this.runc);
      return this.runc;
    }
    await writeFile(path, JSON.stringify(binary));
    const r = new Runc(this.runcRoot, binary.path, binary.args);
    this.runcs.set(id, r);
    return r;
  }

  private forget(id: string): void {
    this.runcs.delete(id);
    rmSync(join(this.binaryDir, id), { force: true });
  }

  cgroupPaths(id: string): CgroupPaths {
    return new CgroupPaths(this.cgroups.get(id) ?? join(this.cgroupParent, id));
  }

  /** Writes config.json, runs conmon (→ runc create) and waits for the container's pid. Cleans up on failure. */
  async create(o: CreateOptions): Promise<{ pid: number; conmonPid: number }> {
    trace(o.id, 'runtime: spec built');
    await this.prepare();
    const exitDir = o.exitDir ?? this.exitDir;
    await Promise.all([
      writeFile(join(o.bundleDir, 'config.json'), JSON.stringify(o.spec)),
      unlink(join(exitDir, o.id)).catch(() => {}),
    ]);
    this.cgroups.set(o.id, o.spec.linux.cgroupsPath);
    const runc = await this.recordBinary(o.id, o.binary);
    trace(o.id, 'runtime: config written');
    try {
      return await createWithConmon({
        id: o.id, bundleDir: o.bundleDir, logPath: o.logPath, exitDir, runcRoot: this.runcRoot,
        socketDir: this.socketDir, stdin: o.stdin, tty: o.tty, leaveStdinOpen: o.leaveStdinOpen,
        runcPath: runc.path, runcArgs: runc.args, logSizeMax: o.logSizeMax, conmonPath: this.opts.conmonPath,
      });
    } catch (err) {
      await this.cleanupFailed(o.id, o.bundleDir);
      throw err;
    }
  }

  private async cleanupFailed(id: string, bundleDir: string): Promise<void> {
    await this.runcOf(id).delete(id, true).catch(() => {});
    const conmon = Number((await readFile(join(bundleDir, 'conmon.pid'), 'utf8').catch(() => '')).trim());
    if (conmon > 0) {
      try {
        process.kill(conmon, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await removeCgroups(this.cgroupPaths(id)).catch(() => {});
    this.cgroups.delete(id);
    this.forget(id);
  }

  async start(id: string): Promise<void> {
    await this.runcOf(id).start(id);
  }

  /** create + start, with `beforeStart` (networking, attach clients connecting) in between. */
  async run(o: CreateOptions, beforeStart?: (pid: number) => Promise<void>): Promise<{ pid: number; conmonPid: number }> {
    const r = await this.create(o);
    try {
      if (beforeStart) await beforeStart(r.pid);
      await this.runcOf(o.id).startFast(o.id);
    } catch (err) {
      await this.cleanupFailed(o.id, o.bundleDir);
      throw err;
    }
    return r;
  }

  kill(id: string, signal = 'SIGTERM', all = false): Promise<void> {
    return this.runcOf(id).kill(id, signal, all);
  }

  /** runc delete, then any cgroup directories left. */
  async delete(id: string, force = false): Promise<void> {
    if (await this.deleteStopped(id)) return;
    try {
      await this.runcOf(id).delete(id, force);
      this.forget(id);
    } finally {
      await removeCgroups(this.cgroupPaths(id)).catch(() => {});
      this.cgroups.delete(id);
    }
  }

  /**
   * `runc delete` of a stopped container is: remove its cgroups, remove its state dir. Done here
   * without a runc process when conmon has recorded the exit and the cgroups are empty; anything
   * else (a cgroup still holding processes) is left to runc.
   */
  private async deleteStopped(id: string): Promise<boolean> {
    if (!this.cgroups.has(id) || (await this.exitCode(id)) === undefined) return false;
    trace(id, 'delete: exit code read');
    try {
      await removeCgroups(this.cgroupPaths(id), true);
    } catch {
      return false;
    }
    trace(id, 'delete: cgroups removed');
    rmSync(join(this.runcRoot, id), { recursive: true, force: true }); // state.json, on tmpfs
    this.cgroups.delete(id);
    this.forget(id);
    return true;
  }

  async state(id: string): Promise<RuncState> {
    return this.runcOf(id).state(id);
  }

  pause(id: string): Promise<void> {
    return this.runcOf(id).pause(id);
  }

  resume(id: string): Promise<void> {
    return this.runcOf(id).resume(id);
  }

  update(id: string, resources: ResourceUpdate): Promise<void> {
    return this.runcOf(id).update(id, resources);
  }

  ps(id: string): Promise<number[]> {
    return this.runcOf(id).ps(id);
  }

  list(): Promise<RuncState[]> {
    return this.runc.list();
  }

  /** Resolves with the exit code once the container's process ended (conmon's exit file). */
  waitExit(id: string, signal?: AbortSignal, exitDir?: string): Promise<number> {
    if (exitDir && exitDir !== this.exitDir) return new ExitWatcher(exitDir).wait(id, signal);
    return this.watcher.wait(id, signal);
  }

  exitCode(id: string, exitDir = this.exitDir): Promise<number | undefined> {
    return readExitCode(exitDir, id);
  }

  attach(bundleDir: string, opts: { stdin: boolean }): Attachment {
    return attachBundle(bundleDir, opts);
  }

  resize(bundleDir: string, rows: number, cols: number): Promise<void> {
    return resizeTerminal(bundleDir, rows, cols);
  }

  stats(id: string, previous?: ContainerStats): Promise<ContainerStats> {
    return readStats(this.cgroupPaths(id), previous);
  }

  oomKilled(id: string): Promise<boolean> {
    return wasOomKilled(this.cgroupPaths(id));
  }

  /** Runs a process in a running container through its own conmon (exec session). */
  async exec(id: string, bundleDir: string, o: ExecOptions): Promise<ExecSession> {
    await this.prepare();
    const base = JSON.parse(await readFile(join(bundleDir, 'config.json'), 'utf8')) as OciSpec;
    const proc: OciSpec['process'] = { ...base.process, args: o.args, env: o.env, cwd: o.cwd || base.process.cwd, terminal: o.tty };
    delete proc.consoleSize;
    if (o.tty && o.consoleSize) proc.consoleSize = o.consoleSize;
    if (o.user) proc.user = { uid: o.user.uid, gid: o.user.gid, additionalGids: o.user.additionalGids };
    const caps = o.caps ?? (o.privileged ? effectiveCapabilities({ privileged: true }) : base.process.capabilities.bounding);
    proc.capabilities = proc.user.uid === 0 ? { bounding: caps, effective: caps, permitted: caps } : { bounding: caps };
    if (proc.oomScoreAdj !== undefined && proc.oomScoreAdj < 0 && !hostInfo().canLowerOomScore) proc.oomScoreAdj = 0;

    const execId = randomBytes(8).toString('hex');
    const dir = join(this.execDir, execId);
    await mkdir(dir);
    await writeFile(join(dir, 'process.json'), JSON.stringify(proc));
    const args = [
      '--api-version', '1', '-c', id, '-u', execId, '-r', this.runcOf(id).path, '-b', dir, '-p', join(dir, 'pidfile'),
      '-l', 'none', '--exit-dir', dir, '--socket-dir-path', this.socketDir, '--full-attach',
      ...runtimeArgs(this.runcOf(id).args), '--runtime-arg', `--root=${this.runcRoot}`, '--log-level', 'error',
      '--exec', '--exec-attach', '--exec-process-spec', join(dir, 'process.json'),
    ];
    if (o.tty) args.push('-t');
    if (o.stdin && !o.detach) args.push('-i');
    const c = spawnConmon(args, { errPath: join(dir, 'conmon.err'), attachPipe: true, cwd: dir, conmonPath: this.opts.conmonPath });
    let attachment: Attachment | undefined;
    const fail = async (err: unknown): Promise<never> => {
      attachment?.close();
      c.start.destroy();
      c.syncStream.destroy();
      c.attachStream?.destroy();
      await rm(dir, { recursive: true, force: true }).catch(() => {});
      throw err;
    };
    c.start.write('0');
    const ready = await c.attach!.next();
    if (!ready || ready.data < 0) return fail(conmonFailure('exec', ready, c.errText()));
    if (!o.detach) {
      attachment = attachBundle(dir, { stdin: o.stdin });
      try {
        await attachment.ready;
      } catch (err) {
        return fail(err);
      }
    }
    c.start.end('1');
    const started = await c.sync.next();
    if (!started || started.data <= 0) {
      return fail(conmonFailure('exec', started, c.errText()));
    }
    const exitMsg = c.sync.next().then(async (m) => {
      c.syncStream.destroy();
      c.attachStream?.destroy();
      if (m && m.data >= 0 && m.message === undefined) return m.data;
      const code = await readExitCode(dir, id).catch(() => undefined);
      if (code !== undefined) return code;
      throw m?.message ? new ContainerStartError(m.message) : new SystemError('exec session ended without an exit code');
    });
    const exit = (async () => {
      try {
        const code = await exitMsg;
        if (attachment) await attachment.done;
        return code;
      } finally {
        await rm(dir, { recursive: true, force: true }).catch(() => {});
      }
    })();
    exit.catch(() => {});
    let output: Readable;
    if (!attachment) {
      const empty = new PassThrough();
      empty.end();
      output = empty;
    } else output = o.tty ? attachment.output.pipe(unframe()) : attachment.output;
    return {
      id: execId,
      pid: started.data,
      stdin: attachment?.stdin ?? null,
      output,
      exit,
      resize: (rows, cols) => resizeTerminal(dir, rows, cols),
    };
  }

  /** Stops watching exit files. */
  close(): void {
    this.watcher.close();
  }
}
