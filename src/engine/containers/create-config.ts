import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { InvalidArgument, NotFound } from '../../core/errors.js';
import { familiarString, isIdLike, parseReference } from '../images/references.js';
import { formatPlatform, hostPlatform, platformMatches, type Platform } from '../images/platforms.js';
import type { ImageRuntimeConfig } from '../images/types.js';
import type { ContainerConfig, HostConfig, RestartPolicy } from './model.js';
import { isNoRestart } from './restart-policy.js';
import { defaultLogConfig, type LogConfig } from './log-config.js';
import { hostInfo } from '../runtime/host.js';

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Validates a container name as docker does; returns it with its leading slash. */
export function validateName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new InvalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith('/') ? name : `/${name}`;
}

function envKey(e: string): string {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
}

/** Merges user env over image env: same keys replaced in place, new keys appended. */
export function mergeEnv(image: readonly string[], user: readonly string[]): string[] {
  const out = [...image];
  for (const e of user) {
    const k = envKey(e);
    const i = out.findIndex((x) => envKey(x) === k);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/** dockerd's merge of the image's env under the user's: the user's first, then the image's other keys. */
function userThenImageEnv(user: readonly string[], image: readonly string[]): string[] {
  if (user.length === 0) return [...image];
  const keys = new Set(user.map(envKey));
  return [...user, ...image.filter((e) => !keys.has(envKey(e)))];
}

/**
 * Fills the container config from the image's, with docker's rules (daemon/commit.go merge):
 * the entrypoint and cmd come from the image only when the user gave no entrypoint; env and
 * labels are layered; user, workdir, stop signal and healthcheck fall back to the image's.
 */
export function mergeImageConfig(user: ContainerConfig, image: ImageRuntimeConfig | undefined): ContainerConfig {
  const c: ContainerConfig = { ...user };
  const img = image ?? {};
  if (!c.User) c.User = img.User ?? '';
  if (img.ExposedPorts) c.ExposedPorts = { ...img.ExposedPorts, ...(c.ExposedPorts ?? {}) };
  // As Go's nil slices and maps: nothing from either side stays null.
  const env = userThenImageEnv(c.Env ?? [], img.Env ?? []);
  c.Env = env.length ? env : null;
  if (img.Labels) c.Labels = { ...img.Labels, ...(c.Labels ?? {}) };
  const noEntrypoint = !c.Entrypoint || c.Entrypoint.length === 0;
  if (noEntrypoint) {
    if (!c.Cmd || c.Cmd.length === 0) {
      c.Cmd = img.Cmd ?? null;
      if (img.ArgsEscaped !== undefined) c.ArgsEscaped = img.ArgsEscaped;
    }
    if (!c.Entrypoint) c.Entrypoint = img.Entrypoint ?? null;
  } else if (c.Entrypoint!.length === 1 && c.Entrypoint![0] === '') {
    // `--entrypoint ""` clears the image's entrypoint without taking its cmd.
    c.Entrypoint = null;
  }
  if (!c.WorkingDir) c.WorkingDir = img.WorkingDir ?? '';
  if (img.Volumes) c.Volumes = { ...(c.Volumes ?? {}), ...img.Volumes };
  else if (c.Volumes && Object.keys(c.Volumes).length === 0) c.Volumes = null;
  if (!c.StopSignal && img.StopSignal) c.StopSignal = img.StopSignal;
  if (img.Healthcheck) {
    if (!c.Healthcheck) c.Healthcheck = img.Healthcheck;
    else {
      const h = { ...c.Healthcheck };
      if (!h.Test || h.Test.length === 0) h.Test = img.Healthcheck.Test;
      h.Interval ||= img.Healthcheck.Interval;
      h.Timeout ||= img.Healthcheck.Timeout;
      h.StartPeriod ||= img.Healthcheck.StartPeriod;
      h.StartInterval ||= img.Healthcheck.StartInterval;
      h.Retries ||= img.Healthcheck.Retries;
      c.Healthcheck = h;
    }
  }
  if (!c.OnBuild && img.OnBuild) c.OnBuild = img.OnBuild;
  if (!c.Shell && img.Shell) c.Shell = img.Shell;
  return c;
}

/** The process docker runs: entrypoint + cmd, as Path and Args. */
export function commandOf(c: ContainerConfig): { path: string; args: string[] } {
  const argv = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  if (argv.length === 0) throw new InvalidArgument('no command specified');
  return { path: argv[0]!, args: argv.slice(1) };
}

/**
 * Go's strslice: Entrypoint, Cmd (and the capability lists) may come as one string, which is a
 * one-element list, not a list of characters.
 */
export function normalizeStringLists(c: ContainerConfig, hc: HostConfig | undefined): void {
  const one = (v: unknown): string[] | null | undefined => (typeof v === 'string' ? [v] : (v as string[] | null | undefined));
  c.Entrypoint = one(c.Entrypoint);
  c.Cmd = one(c.Cmd);
  if (hc) {
    hc.CapAdd = one(hc.CapAdd);
    hc.CapDrop = one(hc.CapDrop);
  }
}

/**
 * dockerd's checks of a network mode against the options that need a network of the container's
 * own (runconfig's validateNetContainerMode and the host mode's link check), in its order.
 */
export function validateNetworkMode(c: ContainerConfig, hc: HostConfig): void {
  const mode = hc.NetworkMode ?? '';
  const parts = mode.split(':');
  const container = parts[0] === 'container';
  if (container && !parts[1]) throw new InvalidArgument('Invalid network mode: invalid container format container:<name|id>');
  if (container) {
    if (c.Hostname) throw new InvalidArgument('conflicting options: hostname and the network mode');
    if (hc.Links?.length) throw new InvalidArgument("conflicting options: container type network can't be used with links. This would result in undefined behavior");
    if (hc.Dns?.length) throw new InvalidArgument('conflicting options: dns and the network mode');
    if (hc.ExtraHosts?.length) throw new InvalidArgument('conflicting options: custom host-to-IP mapping and the network mode');
  }
  if ((container || mode === 'host') && c.MacAddress) throw new InvalidArgument('conflicting options: mac-address and the network mode');
  if (container) {
    if (Object.keys(hc.PortBindings ?? {}).length || hc.PublishAllPorts) throw new InvalidArgument('conflicting options: port publishing and the container type network mode');
    if (Object.keys(c.ExposedPorts ?? {}).length) throw new InvalidArgument('conflicting options: port exposing and the container type network mode');
  }
  if (mode === 'host' && hc.Links?.length) throw new InvalidArgument("conflicting options: host type networking can't be used with links. This would result in undefined behavior");
}

/** Docker's ValidateRestartPolicy (v25+ wording); an empty name is accepted as older clients send it. */
export function validateRestartPolicy(rp: RestartPolicy): void {
  const count = rp.MaximumRetryCount ?? 0;
  switch (rp.Name) {
    case 'always':
    case 'unless-stopped':
    case 'no':
      if (count !== 0) {
        throw new InvalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'${count < 0 ? ' and cannot be negative' : ''}`);
      }
      return;
    case 'on-failure':
      if (count < 0) throw new InvalidArgument('invalid restart policy: maximum retry count cannot be negative');
      return;
    case '':
      return;
    default:
      throw new InvalidArgument(`invalid restart policy: unknown policy '${String(rp.Name)}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
}
const MIN_MEMORY = 6 * 1024 * 1024;

/** A cpuset list ("0-2,4"), as Go's parsers.ParseUintList; undefined when malformed. */
export function parseUintList(v: string): Set<number> | undefined {
  const out = new Set<number>();
  for (const part of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return undefined;
    for (let i = a; i <= b && i - a < 4096; i++) out.add(i);
  }
  return out;
}

function onlineNodes(): string {
  try {
    return readFileSync('/sys/devices/system/node/online', 'utf8').trim() || '0';
  } catch {
    return '0';
  }
}

/**
 * Whether the kernel schedules real-time tasks per cgroup (CONFIG_RT_GROUP_SCHED): cgroup v1's
 * cpu controller has cpu.rt_period_us then; cgroup v2 has no such budget at all (as dockerd's sysinfo).
 */
export function cpuRealtimeSupported(): boolean {
  return ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct'].some((d) => existsSync(`${d}/cpu.rt_period_us`));
}

/**
 * Rejects host configs docker rejects, naming the option; fills docker's defaults (the engine's
 * log configuration for a container that names none). What dockerd discards with a warning is
 * dropped and the warning added to `warnings`.
 */
export function validateHostConfig(h: HostConfig, logDefault?: LogConfig, warnings: string[] = []): HostConfig {
  const hc: HostConfig = { ...h };
  hc.NetworkMode ||= 'bridge';
  if (hc.NetworkMode === 'default') hc.NetworkMode = 'bridge';
  hc.RestartPolicy ??= { Name: 'no', MaximumRetryCount: 0 };
  validateRestartPolicy(hc.RestartPolicy);
  if (hc.AutoRemove && !isNoRestart(hc.RestartPolicy)) {
    throw new InvalidArgument(`can't create 'AutoRemove' container with restart policy`);
  }
  if (hc.Memory && hc.Memory > 0 && hc.Memory < MIN_MEMORY) {
    throw new InvalidArgument('Minimum memory limit allowed is 6MB');
  }
  if (hc.MemorySwap && hc.MemorySwap > 0 && hc.Memory && hc.MemorySwap < hc.Memory) {
    throw new InvalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (hc.MemorySwap && hc.MemorySwap > 0 && !hc.Memory) {
    throw new InvalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (hc.MemoryReservation && hc.MemoryReservation > 0 && hc.MemoryReservation < MIN_MEMORY) {
    throw new InvalidArgument('Minimum memory reservation allowed is 6MB');
  }
  if (hc.MemoryReservation && hc.Memory && hc.MemoryReservation > hc.Memory) {
    throw new InvalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  const ncpu = cpus().length;
  if (hc.NanoCpus) {
    if (hc.CpuPeriod || hc.CpuQuota) throw new InvalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    if (hc.NanoCpus < 0 || hc.NanoCpus > ncpu * 1e9) {
      throw new InvalidArgument(`Range of CPUs is from 0.01 to ${ncpu.toFixed(2)}, as there are only ${ncpu} CPUs available`);
    }
  }
  for (const [what, v] of [['cpus', hc.CpusetCpus], ['mems', hc.CpusetMems]] as const) {
    if (!v) continue;
    const ids = parseUintList(v);
    if (!ids) throw new InvalidArgument(`Invalid value ${v} for cpuset ${what}`);
    const available = what === 'cpus' ? `0-${ncpu - 1}` : onlineNodes();
    const have = parseUintList(available) ?? new Set<number>();
    if ([...ids].some((i) => !have.has(i))) {
      throw new InvalidArgument(`Requested ${what === 'cpus' ? 'CPUs' : 'memory nodes'} are not available - requested ${v}, available: ${available}`);
    }
  }
  // As dockerd (verifyPlatformContainerResources): a weight the kernel cannot apply is dropped with a warning.
  if (hc.BlkioWeight && !hostInfo().blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    hc.BlkioWeight = 0;
  }
  if (hc.BlkioWeight && (hc.BlkioWeight < 10 || hc.BlkioWeight > 1000)) throw new InvalidArgument('Range of blkio weight is from 10 to 1000');
  if (hc.CpuShares !== undefined && hc.CpuShares < 0) throw new InvalidArgument(`invalid CPU shares (${hc.CpuShares}): value must be a positive integer`);
  if ((hc.CpuRealtimePeriod || hc.CpuRealtimeRuntime) && !cpuRealtimeSupported()) throw new InvalidArgument('kernel does not support CPU real-time scheduler');
  if (hc.CpuRealtimePeriod && hc.CpuRealtimeRuntime && hc.CpuRealtimeRuntime > hc.CpuRealtimePeriod) {
    throw new InvalidArgument('cpu real-time runtime cannot be higher than cpu real-time period');
  }
  // CpuCount is for Windows containers: dockerd keeps and shows it on Linux, where it means nothing.
  if (hc.CpuPercent && hc.CpuPercent > 0) {
    warnings.push('linux does not support CPU percent. Percent discarded.');
    hc.CpuPercent = 0;
  }
  if (hc.IOMaximumBandwidth) throw new InvalidArgument('invalid option: QoS maximum bandwidth configuration is not supported on linux');
  if (hc.IOMaximumIOps) throw new InvalidArgument('invalid option: QoS maximum IOPs configuration is not supported on linux');
  // The docker CLI sends -1 for an unset swappiness and 0 for an unset pids limit: both mean none.
  if (hc.MemorySwappiness === -1) hc.MemorySwappiness = null;
  if (hc.MemorySwappiness !== undefined && hc.MemorySwappiness !== null && (hc.MemorySwappiness < 0 || hc.MemorySwappiness > 100)) {
    throw new InvalidArgument(`Invalid value: ${hc.MemorySwappiness}, valid memory swappiness range is 0-100`);
  }
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null && hc.PidsLimit <= 0) hc.PidsLimit = null;
  hc.OomKillDisable ??= false;
  // The daemon's default cgroup namespace mode: the host's on cgroup v1, a private one on v2.
  if (!hc.CgroupnsMode) hc.CgroupnsMode = hostInfo().cgroupV2 ? 'private' : 'host';
  if (hc.CpuQuota && hc.CpuQuota > 0 && hc.CpuQuota < 1000) throw new InvalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (hc.CpuPeriod && (hc.CpuPeriod < 1000 || hc.CpuPeriod > 1000000)) throw new InvalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (hc.OomScoreAdj !== undefined && (hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000)) {
    throw new InvalidArgument(`Invalid value ${hc.OomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  if (hc.ShmSize !== undefined && hc.ShmSize < 0) throw new InvalidArgument('SHM size can not be less than 0');
  for (const u of hc.Ulimits ?? []) {
    if (u.Soft > u.Hard) throw new InvalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  }
  // Namespace modes as dockerd takes them.
  const ipc = hc.IpcMode ?? '';
  if (ipc && !['private', 'shareable', 'host', 'none'].includes(ipc) && !/^container:./.test(ipc)) throw new InvalidArgument(`invalid IPC mode: ${ipc}`);
  const pid = hc.PidMode ?? '';
  if (pid && pid !== 'host' && !/^container:./.test(pid)) throw new InvalidArgument(`invalid PID mode: ${pid}`);
  const uts = hc.UTSMode ?? '';
  if (uts && uts !== 'host') throw new InvalidArgument(`invalid UTS mode: ${uts}`);
  for (const dest of Object.keys(hc.Tmpfs ?? {})) {
    if (!dest.startsWith('/')) throw new InvalidArgument(`invalid mount config for type "tmpfs": invalid mount path: '${dest}' mount path must be absolute`);
    if (/^\/+$/.test(dest)) throw new InvalidArgument(`invalid mount config for type "tmpfs": invalid specification: destination can't be '/'`);
  }
  // As dockerd: an empty log driver is the engine's default one, with its default options.
  hc.LogConfig = defaultLogConfig(hc.LogConfig, logDefault);
  if (hc.Isolation && hc.Isolation !== 'default') throw new InvalidArgument(`Invalid isolation: "${hc.Isolation}" - linux only supports 'default'`);
  for (const opt of hc.SecurityOpt ?? []) {
    const [k, v] = opt.includes('=') ? [opt.slice(0, opt.indexOf('=')), opt.slice(opt.indexOf('=') + 1)] : opt.split(':', 2);
    if (k === 'no-new-privileges') {
      if (v !== undefined && v !== 'true' && v !== 'false') throw new InvalidArgument(`invalid --security-opt 2: "${opt}"`);
    } else if (k === 'seccomp' || k === 'apparmor' || k === 'label' || k === 'systempaths' || k === 'mask' || k === 'unmask') {
      // accepted
    } else {
      throw new InvalidArgument(`invalid --security-opt 1: "${opt}"`);
    }
  }
  return hc;
}

/** Docker's duration fields are nanoseconds; health checks under 1ms are rejected. */
/** Config.Env as dockerd checks it: no empty entries, no entry without a name. */
export function validateEnv(c: ContainerConfig): void {
  for (const e of c.Env ?? []) {
    if (e === '' || e.startsWith('=')) throw new InvalidArgument(`invalid environment variable: ${e}`);
  }
}

export function validateHealth(c: ContainerConfig): void {
  const h = c.Healthcheck;
  if (!h) return;
  // Go reads a null as the zero value ("the default"), and inspect leaves zero fields out: so do we.
  for (const k of Object.keys(h) as Array<keyof typeof h>) if (h[k] === null) delete h[k];
  const ms = 1_000_000;
  for (const [k, v] of [['Interval', h.Interval], ['Timeout', h.Timeout], ['StartPeriod', h.StartPeriod], ['StartInterval', h.StartInterval]] as const) {
    if (v !== undefined && v !== 0 && v < ms) throw new InvalidArgument(`${k} in Healthcheck cannot be less than 1ms`);
  }
  if (h.Retries !== undefined && h.Retries < 0) throw new InvalidArgument('Retries in Healthcheck cannot be negative');
}

/** The image as docker names it in errors: `busybox:latest` for `busybox`, IDs as given. */
export function imageNameForError(ref: string): string {
  if (isIdLike(ref)) return ref;
  try {
    return familiarString(parseReference(ref));
  } catch {
    return ref;
  }
}

/**
 * An image of another platform than the one asked for is not there for that platform (404, as
 * dockerd); with none asked for, it is used with a warning when it is not the host's.
 */
export function checkPlatform(ref: string, img: { os: string; architecture: string; variant?: string }, wanted: Platform | undefined): string[] {
  const have: Platform = { os: img.os, architecture: img.architecture, ...(img.variant ? { variant: img.variant } : {}) };
  if (wanted) {
    if (!platformMatches(wanted, have)) {
      throw new NotFound(`image with reference ${ref} was found but does not match the specified platform: wanted ${formatPlatform(wanted)}, actual: ${formatPlatform(have)}`);
    }
    return [];
  }
  const host = hostPlatform();
  if (platformMatches(host, have)) return [];
  return [`The requested image's platform (${formatPlatform(have)}) does not match the detected host platform (${formatPlatform(host)}) and no specific platform was requested`];
}
