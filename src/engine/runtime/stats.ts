/**
 * Container resource usage from the cgroup filesystem (v1 per-controller hierarchies or the v2
 * unified one), in the Docker Engine API's /containers/{id}/stats shape, and OOM-kill detection.
 */
import { readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { isErrno } from '../../core/errors.js';
import { hostInfo } from './host.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';
const CLOCK_TICKS = 100;

export interface BlkioEntry { major: number; minor: number; op: string; value: number }
export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage: number;
  online_cpus: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}
export interface ContainerStats {
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: {
    io_service_bytes_recursive: BlkioEntry[] | null;
    io_serviced_recursive: BlkioEntry[] | null;
    io_queue_recursive: BlkioEntry[] | null;
    io_service_time_recursive: BlkioEntry[] | null;
    io_wait_time_recursive: BlkioEntry[] | null;
    io_merged_recursive: BlkioEntry[] | null;
    io_time_recursive: BlkioEntry[] | null;
    sectors_recursive: BlkioEntry[] | null;
  };
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats | Record<string, never>;
  memory_stats: { usage?: number; max_usage?: number; stats?: Record<string, number>; failcnt?: number; limit?: number };
}

const missing = (err: unknown): boolean => isErrno(err, 'ENOENT') || isErrno(err, 'ENODEV') || isErrno(err, 'EINVAL') || isErrno(err, 'ENOTSUP');

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (missing(err)) return undefined;
    throw err;
  }
}

/**
 * The same, read at once: for the few cgroup files read when a container exits, a synchronous
 * read takes microseconds, where a trip through libuv's threads queues behind the clean-up's
 * file work beside it.
 */
function readTextNow(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (missing(err)) return undefined;
    throw err;
  }
}

async function readNum(path: string): Promise<number | undefined> {
  const t = (await readText(path))?.trim();
  if (t === undefined || t === '' || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

async function readKeyed(path: string): Promise<Record<string, number>> {
  return keyed(await readText(path));
}

function keyed(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** Host CPU time in ns, as docker computes system_cpu_usage (user..softirq of /proc/stat). */
export async function systemCpuUsage(): Promise<number> {
  const first = ((await readText('/proc/stat')) ?? '').split('\n')[0] ?? '';
  const f = first.trim().split(/\s+/);
  if (f[0] !== 'cpu') return 0;
  const ticks = f.slice(1, 8).reduce((s, x) => s + Number(x), 0);
  return (ticks * 1e9) / CLOCK_TICKS;
}

/** Where a container's cgroup lives, per controller (v1) or unified (v2). */
export class CgroupPaths {
  constructor(readonly cgroupsPath: string, readonly v2 = hostInfo().cgroupV2, readonly root = CGROUP_ROOT) {}

  dir(controller: string): string {
    // A relative path (--cgroup-parent without a leading /) is, for runc, below the cgroup of the
    // process that runs it (ours: conmon and runc inherit it), with any ".." cleaned away.
    const path = this.cgroupsPath.startsWith('/') ? this.cgroupsPath : join(ownCgroup(this.v2 ? '' : controller), join('/', this.cgroupsPath));
    return this.v2 ? join(this.root, path) : join(this.root, controller, path);
  }
}

let ownCgroups: Map<string, string> | undefined;

/** This process's cgroup for a v1 controller ('' for the v2 hierarchy), from /proc/self/cgroup. */
function ownCgroup(controller: string): string {
  if (!ownCgroups) {
    ownCgroups = new Map();
    for (const line of (readTextNow('/proc/self/cgroup') ?? '').split('\n')) {
      const m = /^\d+:([^:]*):(.*)$/.exec(line);
      if (m) for (const c of m[1]!.split(',')) ownCgroups.set(c, m[2]!);
    }
  }
  // hierarchies by their directory names: "cpu,cpuacct", "systemd" (name=systemd), "unified" (v2)
  const key = controller === 'systemd' ? 'name=systemd' : controller === 'unified' ? '' : controller.split(',')[0]!;
  return ownCgroups.get(key) ?? '/';
}

function parseBlkioV1(text: string | undefined): BlkioEntry[] | null {
  if (text === undefined) return null;
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+) (\S+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out;
}

function emptyCpu(): CpuStats {
  return {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: 0,
    online_cpus: 0,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/** One stats sample. `previous` (the last sample) fills precpu_stats and preread as docker streams do. */
export async function readStats(paths: CgroupPaths, previous?: ContainerStats): Promise<ContainerStats> {
  const read = new Date().toISOString();
  const online = cpus().length;
  const cpu = emptyCpu();
  cpu.online_cpus = online;
  const [sys] = await Promise.all([systemCpuUsage()]);
  cpu.system_cpu_usage = sys;
  const memory: ContainerStats['memory_stats'] = {};
  const pids: ContainerStats['pids_stats'] = {};
  const blkio: ContainerStats['blkio_stats'] = {
    io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null,
    io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null,
    io_time_recursive: null, sectors_recursive: null,
  };
  const hostMem = totalmem();

  if (paths.v2) {
    const d = paths.dir('');
    const st = await readKeyed(join(d, 'cpu.stat'));
    cpu.cpu_usage.total_usage = (st.usage_usec ?? 0) * 1000;
    cpu.cpu_usage.usage_in_usermode = (st.user_usec ?? 0) * 1000;
    cpu.cpu_usage.usage_in_kernelmode = (st.system_usec ?? 0) * 1000;
    cpu.throttling_data = { periods: st.nr_periods ?? 0, throttled_periods: st.nr_throttled ?? 0, throttled_time: (st.throttled_usec ?? 0) * 1000 };
    const usage = await readNum(join(d, 'memory.current'));
    if (usage !== undefined) {
      memory.usage = usage;
      memory.stats = await readKeyed(join(d, 'memory.stat'));
      const limit = await readNum(join(d, 'memory.max'));
      memory.limit = limit === undefined || limit > hostMem ? hostMem : limit;
    }
    pids.current = await readNum(join(d, 'pids.current'));
    pids.limit = await readNum(join(d, 'pids.max'));
    const io = await readText(join(d, 'io.stat'));
    if (io !== undefined) {
      const bytes: BlkioEntry[] = [];
      const ios: BlkioEntry[] = [];
      for (const line of io.split('\n')) {
        const [dev, ...kv] = line.trim().split(/\s+/);
        const m = dev ? /^(\d+):(\d+)$/.exec(dev) : null;
        if (!m) continue;
        const v = Object.fromEntries(kv.map((p) => p.split('=') as [string, string]));
        const major = Number(m[1]);
        const minor = Number(m[2]);
        bytes.push({ major, minor, op: 'read', value: Number(v.rbytes ?? 0) }, { major, minor, op: 'write', value: Number(v.wbytes ?? 0) });
        ios.push({ major, minor, op: 'read', value: Number(v.rios ?? 0) }, { major, minor, op: 'write', value: Number(v.wios ?? 0) });
      }
      blkio.io_service_bytes_recursive = bytes;
      blkio.io_serviced_recursive = ios;
    }
  } else {
    const acct = paths.dir('cpuacct');
    cpu.cpu_usage.total_usage = (await readNum(join(acct, 'cpuacct.usage'))) ?? 0;
    const percpu = (await readText(join(acct, 'cpuacct.usage_percpu')))?.trim();
    if (percpu) cpu.cpu_usage.percpu_usage = percpu.split(/\s+/).map(Number);
    const ticks = await readKeyed(join(acct, 'cpuacct.stat'));
    cpu.cpu_usage.usage_in_usermode = ((ticks.user ?? 0) * 1e9) / CLOCK_TICKS;
    cpu.cpu_usage.usage_in_kernelmode = ((ticks.system ?? 0) * 1e9) / CLOCK_TICKS;
    const th = await readKeyed(join(paths.dir('cpu'), 'cpu.stat'));
    cpu.throttling_data = { periods: th.nr_periods ?? 0, throttled_periods: th.nr_throttled ?? 0, throttled_time: th.throttled_time ?? 0 };
    const md = paths.dir('memory');
    const usage = await readNum(join(md, 'memory.usage_in_bytes'));
    if (usage !== undefined) {
      memory.usage = usage;
      memory.max_usage = await readNum(join(md, 'memory.max_usage_in_bytes'));
      memory.failcnt = await readNum(join(md, 'memory.failcnt'));
      memory.stats = await readKeyed(join(md, 'memory.stat'));
      const limit = await readNum(join(md, 'memory.limit_in_bytes'));
      memory.limit = limit === undefined || limit > hostMem ? hostMem : limit;
    }
    const pd = paths.dir('pids');
    pids.current = await readNum(join(pd, 'pids.current'));
    pids.limit = await readNum(join(pd, 'pids.max'));
    const bd = paths.dir('blkio');
    const pick = async (name: string): Promise<BlkioEntry[] | null> => {
      const cfq = parseBlkioV1(await readText(join(bd, `blkio.${name}`)));
      if (cfq && cfq.length > 0) return cfq;
      return parseBlkioV1(await readText(join(bd, `blkio.throttle.${name}`)));
    };
    blkio.io_service_bytes_recursive = await pick('io_service_bytes_recursive');
    blkio.io_serviced_recursive = await pick('io_serviced_recursive');
  }
  if (pids.limit === undefined) delete pids.limit;
  if (pids.current === undefined) delete pids.current;
  return {
    read,
    preread: previous?.read ?? '0001-01-01T00:00:00Z',
    pids_stats: pids,
    blkio_stats: blkio,
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu,
    precpu_stats: previous?.cpu_stats ?? emptyCpu(),
    memory_stats: memory,
  };
}

/** True when the kernel OOM-killed a process of the container. Read before the cgroup is removed. */
export async function wasOomKilled(paths: CgroupPaths): Promise<boolean> {
  if (paths.v2) return (keyed(readTextNow(join(paths.dir(''), 'memory.events'))).oom_kill ?? 0) > 0;
  const ctl = keyed(readTextNow(join(paths.dir('memory'), 'memory.oom_control')));
  if (ctl.oom_kill !== undefined) return ctl.oom_kill > 0;
  const failcnt = Number(readTextNow(join(paths.dir('memory'), 'memory.failcnt'))?.trim() ?? 0);
  return failcnt > 0 && ctl.under_oom === 1;
}

/** Removes the container's cgroup dirs; `strict` reports a cgroup still holding processes (EBUSY). */
export async function removeCgroups(paths: CgroupPaths, strict = false): Promise<void> {
  let dirs = [paths.dir('')];
  if (!paths.v2) {
    try {
      dirs = readdirSync(paths.root).map((c) => paths.dir(c));
    } catch {
      dirs = [];
    }
  }
  // rmdir of a cgroup is a quick kernel call: done at once (see readTextNow)
  for (const d of dirs) {
    try {
      rmdirSync(d);
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR') && (strict || !isErrno(err, 'EBUSY'))) throw err;
    }
  }
}
