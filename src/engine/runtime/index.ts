/**
 * The runtime as the containers service sees it (containers/ports.ts RuntimePort): docker records
 * in, bundles and conmon sessions out.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NotFound, SystemError } from '../../core/errors.js';
import type { AttachStreams, ExecProcess, ExecRequest, LogEntry, LogQuery, ResourceUpdate, RunRequest, RuntimePort, RuntimeState } from '../containers/ports.js';
import { specInputFor } from '../containers/spec-input.js';
import { Runtime, unframe } from './runtime.js';
import { buildSpec, type MountInput, type OciResources, type OciSpec } from './spec.js';
import { recursiveReadOnlyUnsupported } from './rro.js';
import { resolveUser } from './user.js';
import { readLogs, logSize } from './logs.js';
import { RUNC_PATH } from './runc.js';
import { watchOom, type OomWatch } from './oom.js';

export { Runtime, unframe } from './runtime.js';
export type { CreateOptions, ExecOptions, ExecSession, RuntimeOptions } from './runtime.js';
export { buildSpec, effectiveCapabilities, containerEnv, DEFAULT_CAPABILITIES } from './spec.js';
export type { ContainerSpecInput, OciSpec, MountInput } from './spec.js';
export { resolveUser } from './user.js';
export type { ResolvedUser } from './user.js';
export { readLogs, logSize } from './logs.js';
export type { LogLine, ReadLogsOptions } from './logs.js';
export { ContainerStartError, startFailureExitCode } from './conmon.js';
export { readExitCode, ExitWatcher } from './exit-watcher.js';
export { readStats, wasOomKilled, CgroupPaths } from './stats.js';
export type { ContainerStats } from './stats.js';

export interface CreateRuntimeOptions {
  execRoot: string;
  /** `runc` or a path to a runc-compatible binary. */
  runtimeName?: string;
  log?: (level: string, msg: string) => void;
  cgroupParent?: string;
}

function toOciResources(r: ResourceUpdate): OciResources {
  const out: OciResources = {};
  const mem: NonNullable<OciResources['memory']> = {};
  if (r.memory !== undefined && r.memory > 0) mem.limit = r.memory;
  if (r.memorySwap !== undefined && r.memorySwap !== 0) mem.swap = r.memorySwap;
  else if (mem.limit !== undefined) mem.swap = mem.limit * 2;
  if (r.memoryReservation !== undefined && r.memoryReservation > 0) mem.reservation = r.memoryReservation;
  if (Object.keys(mem).length > 0) out.memory = mem;
  const cpu: NonNullable<OciResources['cpu']> = {};
  if (r.nanoCpus !== undefined && r.nanoCpus > 0) {
    cpu.period = 100000;
    cpu.quota = Math.round((r.nanoCpus * 100000) / 1e9);
  }
  if (r.cpuPeriod) cpu.period = r.cpuPeriod;
  if (r.cpuQuota) cpu.quota = r.cpuQuota;
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  if (r.pidsLimit !== undefined) out.pids = { limit: r.pidsLimit > 0 ? r.pidsLimit : -1 };
  if (r.blkioWeight) out.blockIO = { weight: r.blkioWeight };
  return out;
}

function isTerminal(bundleDir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(bundleDir, 'config.json'), 'utf8')) as OciSpec).process.terminal;
  } catch {
    return false;
  }
}

/** Adapts Runtime to the containers service's port. */
export class RuntimeAdapter implements RuntimePort {
  constructor(readonly rt: Runtime) {}

  /** Init pid of a container known to runc, by full ID or unique prefix (for `container:<id>` namespace modes). */
  private pidOf(ref: string): number {
    let ids: string[] = [];
    try {
      ids = readdirSync(this.rt.runcRoot);
    } catch {
      // none yet
    }
    const hits = ids.includes(ref) ? [ref] : ids.filter((i) => i.startsWith(ref));
    if (hits.length !== 1) throw new NotFound(`No such container: ${ref}`);
    const state = JSON.parse(readFileSync(join(this.rt.runcRoot, hits[0]!, 'state.json'), 'utf8')) as { init_process_pid?: number };
    if (!state.init_process_pid) throw new NotFound(`No such container: ${ref}`);
    return state.init_process_pid;
  }

  async run(req: RunRequest): Promise<{ pid: number; conmonPid: number }> {
    const input = await specInputFor(req.rec, req.rootfs, { pidOf: (ref) => this.pidOf(req.containerId ? req.containerId(ref) : ref) });
    if (req.netns) input.network = { path: req.netns };
    if (req.shmSource) input.shmSource = req.shmSource;
    if (req.extraEnv?.length) input.env = [...req.extraEnv, ...(input.env ?? [])];
    if (!input.cgroupParent && this.rt.cgroupParent) input.cgroupParent = this.rt.cgroupParent;
    await this.resolveReadOnlyModes(input.mounts ?? []);
    const spec = buildSpec(input);
    const c = req.rec.Config;
    return this.rt.run(
      { id: req.rec.Id, bundleDir: req.bundleDir, spec, logPath: req.logPath, stdin: c.OpenStdin ?? false, tty: c.Tty ?? false, leaveStdinOpen: (c.OpenStdin ?? false) && !(c.StdinOnce ?? false) },
      req.beforeStart,
    );
  }

  /** Read-only binds made recursive where the kernel and runc allow it; refused where asked and they do not. */
  private async resolveReadOnlyModes(mounts: MountInput[]): Promise<void> {
    const ro = mounts.filter((m) => m.type === 'bind' && m.readonly && m.readOnlyMode && m.readOnlyMode !== 'non-recursive');
    if (ro.length === 0) return;
    const why = await recursiveReadOnlyUnsupported(this.rt.runc.path);
    for (const m of ro) {
      if (m.type !== 'bind') continue;
      if (why && m.readOnlyMode === 'force-recursive') throw new SystemError(why);
      m.recursiveReadOnly = !why;
    }
  }

  waitExit(id: string): Promise<number> {
    return this.rt.waitExit(id);
  }

  exitCode(id: string): Promise<number | undefined> {
    return this.rt.exitCode(id);
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    try {
      const s = await this.rt.state(id);
      return { status: s.status === 'creating' ? 'created' : s.status, pid: s.pid };
    } catch (err) {
      if (err instanceof NotFound) return undefined;
      throw err;
    }
  }

  kill(id: string, signal: string, all?: boolean): Promise<void> {
    return this.rt.kill(id, signal, all);
  }

  pause(id: string): Promise<void> {
    return this.rt.pause(id);
  }

  resume(id: string): Promise<void> {
    return this.rt.resume(id);
  }

  async delete(id: string): Promise<void> {
    try {
      await this.rt.delete(id, true);
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
    }
  }

  oomKilled(id: string): Promise<boolean> {
    return this.rt.oomKilled(id);
  }

  watchOom(bundleDir: string, onOom: () => void): OomWatch {
    return watchOom(bundleDir, onOom);
  }

  pids(id: string): Promise<number[]> {
    return this.rt.ps(id);
  }

  async stats(id: string): Promise<Record<string, unknown>> {
    return { ...(await this.rt.stats(id)) };
  }

  update(id: string, r: ResourceUpdate): Promise<void> {
    return this.rt.update(id, toOciResources(r));
  }

  async exec(id: string, bundleDir: string, req: ExecRequest): Promise<ExecProcess> {
    const user = await resolveUser(join(bundleDir, 'rootfs'), req.user, req.groupAdd ?? []);
    const s = await this.rt.exec(id, bundleDir, {
      args: req.args, env: req.env, cwd: req.cwd, user, tty: req.tty, stdin: req.stdin, privileged: req.privileged,
      consoleSize: req.consoleSize && req.consoleSize[0] > 0 ? { height: req.consoleSize[0], width: req.consoleSize[1] } : undefined,
    });
    return { pid: s.pid, stdin: s.stdin, output: s.output, exit: s.exit, resize: s.resize };
  }

  async attach(bundleDir: string, stdin: boolean): Promise<AttachStreams> {
    const a = this.rt.attach(bundleDir, { stdin });
    await a.ready;
    return { stdin: a.stdin, output: isTerminal(bundleDir) ? a.output.pipe(unframe()) : a.output, close: () => a.close() };
  }

  resize(bundleDir: string, rows: number, cols: number): Promise<void> {
    return this.rt.resize(bundleDir, rows, cols);
  }

  async *logs(path: string, q: LogQuery, signal: AbortSignal, exited: Promise<unknown>): AsyncIterable<LogEntry> {
    for await (const l of readLogs(path, { ...q, exited }, signal)) yield { stream: l.stream, time: l.time, data: l.line };
  }

  logSize(path: string): Promise<number> {
    return logSize(path);
  }
}

/** The engine's runtime: state under EXECROOT/runtime. */
export async function createRuntime(o: CreateRuntimeOptions): Promise<RuntimeAdapter> {
  const runcPath = !o.runtimeName || o.runtimeName === 'runc' ? RUNC_PATH : o.runtimeName;
  await Promise.resolve();
  return new RuntimeAdapter(new Runtime({ root: join(o.execRoot, 'runtime'), runcPath, cgroupParent: o.cgroupParent }));
}
