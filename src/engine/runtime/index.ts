/**
 * The runtime as the containers service sees it (containers/ports.ts RuntimePort): docker records
 * in, bundles and conmon sessions out.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NotFound, SystemError } from '../../core/errors.js';
import type { AttachStreams, ExecProcess, ExecRequest, LogEntry, LogPosition, LogQuery, ResourceUpdate, RunRequest, RuntimePort, RuntimeState } from '../containers/ports.js';
import type { LogPolicy } from '../containers/log-config.js';
import { specInputFor } from '../containers/spec-input.js';
import { Runtime, unframe } from './runtime.js';
import { DEFAULT_CGROUP_PARENT, buildSpec, type MountInput, type OciResources, type OciSpec } from './spec.js';
import { initCpuRealtimeParents, type CpuRealtimeBudget } from './rt-cgroup.js';
import { recursiveReadOnlyUnsupported } from './rro.js';
import { resolveUser } from './user.js';
import { readLogs, logPosition } from './logs.js';
import { LogFiles } from './log-files.js';
import { RUNC_PATH } from './runc.js';
import { RuntimeTable } from './runtimes.js';
import { watchOom, type OomWatch } from './oom.js';

export { Runtime, unframe } from './runtime.js';
export type { CreateOptions, ExecOptions, ExecSession, RuntimeOptions } from './runtime.js';
export { buildSpec, effectiveCapabilities, containerEnv, DEFAULT_CAPABILITIES } from './spec.js';
export type { ContainerSpecInput, OciSpec, MountInput } from './spec.js';
export { resolveUser } from './user.js';
export type { ResolvedUser } from './user.js';
export { readLogs, logPosition } from './logs.js';
export type { LogLine, ReadLogsOptions } from './logs.js';
export { ContainerStartError, startFailureExitCode } from './conmon.js';
export { readExitCode, ExitWatcher } from './exit-watcher.js';
export { readStats, wasOomKilled, CgroupPaths } from './stats.js';
export { RuntimeTable, STOCK_RUNTIME } from './runtimes.js';
export type { RuntimeConfig } from './runtimes.js';
export type { ContainerStats } from './stats.js';

export interface CreateRuntimeOptions {
  execRoot: string;
  /** The runtimes containers may name, and the default one. */
  runtimes?: RuntimeTable;
  /** The engine's default ulimits (dockerd's --default-ulimit), for containers that set none of that name. */
  defaultUlimits?: () => Record<string, { Name: string; Soft: number; Hard: number }>;
  log?: (level: string, msg: string) => void;
  cgroupParent?: string;
  /** The daemon's --cpu-rt-period / --cpu-rt-runtime for the containers' parent cgroups. */
  cpuRealtime?: CpuRealtimeBudget;
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
  /** The logs of running containers, by path: their rotation, and what their readers follow. */
  private readonly logFiles = new Map<string, LogFiles>();

  constructor(
    readonly rt: Runtime,
    readonly runtimes = new RuntimeTable(),
    private readonly defaultUlimits: () => Record<string, { Name: string; Soft: number; Hard: number }> = () => ({}),
    private readonly log: (level: string, msg: string) => void = () => {},
    private readonly cpuRealtime: CpuRealtimeBudget = {},
  ) {}

  runtimeName(requested: string | undefined): string {
    return this.runtimes.resolveName(requested);
  }

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
    // As dockerd's mergeUlimits: the engine's defaults for the limits the container did not set.
    const own = new Set((input.ulimits ?? []).map((u) => u.name));
    const defaults = Object.entries(this.defaultUlimits()).filter(([name]) => !own.has(name)).map(([, u]) => ({ name: u.Name, soft: u.Soft, hard: u.Hard }));
    if (defaults.length) input.ulimits = [...(input.ulimits ?? []), ...defaults];
    const binary = this.runtimes.binary(req.rec.HostConfig.Runtime);
    await this.resolveReadOnlyModes(input.mounts ?? []);
    const spec = buildSpec(input);
    const cpu = spec.linux.resources.cpu;
    if (cpu?.realtimeRuntime || cpu?.realtimePeriod) initCpuRealtimeParents(input.cgroupParent ?? DEFAULT_CGROUP_PARENT, this.cpuRealtime);
    const c = req.rec.Config;
    const files = await this.keepLog(req.logPath, req.logPolicy, false);
    try {
      const started = await this.rt.run(
        { id: req.rec.Id, bundleDir: req.bundleDir, spec, logPath: req.logPath, binary, stdin: c.OpenStdin ?? false, tty: c.Tty ?? false, leaveStdinOpen: (c.OpenStdin ?? false) && !(c.StdinOnce ?? false),
          logSizeMax: req.logPolicy.maxSize },
        req.beforeStart,
      );
      files.start(req.bundleDir);
      return started;
    } catch (err) {
      await this.unwatchLog(req.logPath);
      throw err;
    }
  }

  /** A log kept per its policy from now on (the one kept before, a previous run's, let go first). */
  private async keepLog(path: string, policy: LogPolicy, adopted: boolean): Promise<LogFiles> {
    // Registered at once: an exit noticed meanwhile stops this one (its prepare then does nothing).
    const previous = this.logFiles.get(path);
    const files = new LogFiles(path, policy, (msg) => this.log('warn', msg));
    this.logFiles.set(path, files);
    await previous?.stop(true);
    files.prepare(adopted);
    return files;
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
    for await (const l of readLogs(path, { ...q, exited, source: this.logFiles.get(path) }, signal)) yield { stream: l.stream, time: l.time, data: l.line };
  }

  logPosition(path: string): Promise<LogPosition> {
    return logPosition(path);
  }

  async watchLog(path: string, bundleDir: string, policy: LogPolicy): Promise<void> {
    const files = await this.keepLog(path, policy, true);
    files.start(bundleDir);
  }

  async unwatchLog(path: string): Promise<void> {
    const files = this.logFiles.get(path);
    await files?.stop(true);
    if (this.logFiles.get(path) === files) this.logFiles.delete(path);
  }

  async closeLogs(): Promise<void> {
    await Promise.all([...this.logFiles.values()].map((f) => f.stop(false)));
  }
}

/** The engine's runtime: state under EXECROOT/runtime. */
export async function createRuntime(o: CreateRuntimeOptions): Promise<RuntimeAdapter> {
  await Promise.resolve();
  return new RuntimeAdapter(new Runtime({ root: join(o.execRoot, 'runtime'), runcPath: RUNC_PATH, cgroupParent: o.cgroupParent }), o.runtimes, o.defaultUlimits, o.log);
}
