/**
 * The OCI runtime config (runtime-spec 1.0.2) for a container, built the way moby does
 * (oci/defaults.go DefaultLinuxSpec + daemon/oci_linux.go createSpec): same default mounts,
 * capabilities, masked/readonly paths, device rules, namespaces, sysctls and resource mapping.
 * Pure apart from reading host facts (host.ts), the seccomp profile (cached) and, for
 * privileged containers and --device, the host's /dev.
 */
import { lstatSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgument } from '../../core/errors.js';
import { hostInfo } from './host.js';
import { defaultSeccomp, convertProfile, type OciSeccomp, type SeccompProfile } from './seccomp.js';
import type { ResolvedUser } from './user.js';
import type { ReadOnlyMode } from './rro.js';

// ---- OCI types (the subset minke writes) ----
export interface OciMount { destination: string; type?: string; source?: string; options?: string[] }
export interface OciDevice { path: string; type: string; major: number; minor: number; fileMode?: number; uid?: number; gid?: number }
export interface OciDeviceRule { allow: boolean; type?: string; major?: number; minor?: number; access?: string }
export interface OciNamespace { type: string; path?: string }
export interface OciRlimit { type: string; hard: number; soft: number }
export interface OciResources {
  devices?: OciDeviceRule[];
  memory?: { limit?: number; reservation?: number; swap?: number; swappiness?: number; disableOOMKiller?: boolean };
  cpu?: { shares?: number; quota?: number; period?: number; realtimeRuntime?: number; realtimePeriod?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
  blockIO?: { weight?: number };
}
export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    consoleSize?: { height: number; width: number };
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective?: string[]; permitted?: string[]; inheritable?: string[] };
    rlimits?: OciRlimit[];
    noNewPrivileges?: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly?: boolean };
  hostname?: string;
  domainname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: {
    sysctl?: Record<string, string>;
    resources: OciResources;
    cgroupsPath: string;
    namespaces: OciNamespace[];
    devices: OciDevice[];
    seccomp?: OciSeccomp;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    rootfsPropagation?: string;
  };
}

// ---- input ----
export type MountInput =
  | {
    type: 'bind'; source: string; destination: string; readonly?: boolean; propagation?: Propagation; nonRecursive?: boolean;
    /** How readonly applies to the mounts below this one (see rro.ts); recursiveReadOnly: it does (`rro`). */
    readOnlyMode?: ReadOnlyMode; recursiveReadOnly?: boolean;
  }
  | { type: 'tmpfs'; destination: string; options?: string };
export type Propagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';
export interface DeviceMapping { pathOnHost: string; pathInContainer?: string; permissions?: string }
export type NamespaceMode = 'private' | 'host' | { path: string };

export interface ResourcesInput {
  /** Bytes; 0/undefined = unlimited. */
  memory?: number;
  /** Memory+swap bytes; -1 unlimited; undefined/0 = 2 × memory when memory is set (docker). */
  memorySwap?: number;
  memoryReservation?: number;
  memorySwappiness?: number;
  oomKillDisable?: boolean;
  /** `--cpus` × 1e9. */
  nanoCpus?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** Real-time scheduling budget in microseconds (cgroup v1 cpu.rt_runtime_us / cpu.rt_period_us). */
  realtimeRuntime?: number;
  realtimePeriod?: number;
  /** > 0 limit; ≤ 0 unlimited (-1 in the spec). */
  pidsLimit?: number;
  blkioWeight?: number;
}

export interface ContainerSpecInput {
  id: string;
  /** The rootfs path written to root.path (absolute, or relative to the bundle). */
  rootfs: string;
  args: string[];
  /** The image's and the user's env (KEY=VALUE), applied over PATH/HOSTNAME/TERM defaults. */
  env?: string[];
  cwd?: string;
  /** From resolveUser(); root when absent. */
  user?: ResolvedUser;
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  hostname?: string;
  domainname?: string;
  readonlyRootfs?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  noNewPrivileges?: boolean;
  /** 'default' (the Docker profile), 'unconfined', or a docker-format profile. */
  seccomp?: 'default' | 'unconfined' | SeccompProfile;
  seccompProfilePath?: string;
  /** Override docker's masked/readonly path lists (`--security-opt systempaths=unconfined` = []). */
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mounts?: MountInput[];
  devices?: DeviceMapping[];
  deviceCgroupRules?: string[];
  /** 'none' = own netns with only loopback (like private here); { path } = join a prepared netns. */
  network?: 'private' | 'none' | 'host' | { path: string };
  ipc?: NamespaceMode | 'none' | 'shareable';
  pid?: NamespaceMode;
  uts?: 'private' | 'host';
  /** Default as docker: private on cgroup v2, host on v1. */
  cgroupns?: 'private' | 'host';
  /** /dev/shm size in bytes (docker default 64 MiB). */
  shmSize?: number;
  /** A host directory to bind on /dev/shm (shared memory of a shareable IPC namespace), instead of a tmpfs. */
  shmSource?: string;
  resources?: ResourcesInput;
  ulimits?: { name: string; soft: number; hard: number }[];
  oomScoreAdj?: number;
  sysctls?: Record<string, string>;
  /** cgroupfs parent; default /minke. */
  cgroupParent?: string;
  /** `--init`: path of an init binary on the host (tini/docker-init), or true to look one up. */
  init?: boolean | string;
  annotations?: Record<string, string>;
}

export const DEFAULT_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
export const DEFAULT_CGROUP_PARENT = '/minke';
export const IN_CONTAINER_INIT_PATH = '/sbin/docker-init';
/** Where --init looks for a binary, in order (docker-init, Debian's tini, catatonit). */
export const INIT_CANDIDATES = ['/usr/bin/docker-init', '/usr/libexec/docker/docker-init', '/usr/bin/tini-static', '/usr/bin/tini', '/usr/libexec/podman/catatonit', '/usr/bin/catatonit'];

export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];
export const DEFAULT_MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777'] },
  ];
}

function defaultDeviceRules(): OciDeviceRule[] {
  const allow = (major: number, minor: number): OciDeviceRule => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    allow(1, 5), allow(1, 3), allow(1, 9), allow(1, 8), allow(5, 0), allow(5, 1),
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ];
}

/** moby's NormalizeLegacyCapabilities: upper-case, add CAP_, accept ALL, reject unknown. */
export function normalizeCapabilities(caps: readonly string[]): string[] {
  const known = new Set(hostInfo().knownCaps);
  return caps.map((raw) => {
    let c = raw.toUpperCase();
    if (c === 'ALL') return c;
    if (!c.startsWith('CAP_')) c = `CAP_${c}`;
    if (!known.has(c)) throw new InvalidArgument(`unknown capability: "${c}"`);
    return c;
  });
}

/** moby's TweakCapabilities, limited to what this host's bounding set can grant. */
export function effectiveCapabilities(input: Pick<ContainerSpecInput, 'capAdd' | 'capDrop' | 'privileged'>): string[] {
  const host = hostInfo();
  let caps: string[];
  if (input.privileged) caps = [...host.knownCaps];
  else if ((input.capAdd?.length ?? 0) === 0 && (input.capDrop?.length ?? 0) === 0) caps = [...DEFAULT_CAPABILITIES];
  else {
    const drop = normalizeCapabilities(input.capDrop ?? []);
    const add = normalizeCapabilities(input.capAdd ?? []);
    if (add.includes('ALL')) caps = host.knownCaps.filter((c) => !drop.includes(c));
    else if (drop.includes('ALL')) caps = add;
    else caps = [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add];
    caps = [...new Set(caps)];
  }
  return caps.filter((c) => host.boundingCaps.has(c));
}

/** docker's CreateDaemonEnvironment: PATH, HOSTNAME, TERM defaults, replaced or extended by env. */
export function containerEnv(env: readonly string[], hostname: string, tty: boolean): string[] {
  const out = [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${hostname}`];
  if (tty) out.push('TERM=xterm');
  const index = new Map(out.map((e, i) => [e.split('=')[0]!, i]));
  const erased = new Set<string>();
  for (const e of env) {
    const key = e.split('=')[0]!;
    // As dockerd: a name without "=" (`-e VAR` with VAR unset on the client) removes the variable.
    if (!e.includes('=')) {
      erased.add(key);
      continue;
    }
    erased.delete(key);
    const at = index.get(key);
    if (at !== undefined) out[at] = e;
    else {
      index.set(key, out.length);
      out.push(e);
    }
  }
  return erased.size ? out.filter((e) => !erased.has(e.split('=')[0]!)) : out;
}

function devMajorMinor(rdev: number): [number, number] {
  const d = BigInt(rdev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return [Number(major), Number(minor)];
}

function deviceFromPath(hostPath: string, containerPath: string): OciDevice | undefined {
  const st = statSync(hostPath);
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  const [major, minor] = devMajorMinor(st.rdev);
  return { path: containerPath, type, major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/** containerd's HostDevices: every device node under /dev except pts, shm, fd, mqueue and the console. */
function hostDevices(): OciDevice[] {
  const out: OciDevice[] = [];
  const skip = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (!skip.has(name)) walk(p);
        continue;
      }
      if (p === '/dev/console') continue;
      const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
      if (!type) continue;
      const [major, minor] = devMajorMinor(st.rdev);
      out.push({ path: p, type, major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
    }
  };
  walk('/dev');
  return out;
}

const CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** `--device-cgroup-rule 'c 1:3 rwm'` → a device cgroup rule (moby's AppendDevicePermissionsFromCgroupRules). */
export function parseDeviceCgroupRule(rule: string): OciDeviceRule {
  const m = CGROUP_RULE.exec(rule);
  if (!m) throw new InvalidArgument(`invalid device cgroup format '${rule}'`);
  const out: OciDeviceRule = { allow: true, type: m[1]!, access: m[4]! };
  if (m[2] !== '*') out.major = Number(m[2]);
  if (m[3] !== '*') out.minor = Number(m[3]);
  return out;
}

function findInit(init: boolean | string): string {
  if (typeof init === 'string') return init;
  const found = INIT_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new InvalidArgument('exec: "docker-init": executable file not found in $PATH');
  return found;
}

function sysctlExists(name: string): boolean {
  return existsSync(join('/proc/sys', name.replaceAll('.', '/')));
}

/** docker's MergeTmpfsOptions, simplified: later options win, flags deduplicated. */
function tmpfsOptions(data: string | undefined): string[] {
  const opts = ['noexec', 'nosuid', 'nodev', 'rprivate', ...(data ? data.split(',') : [])];
  const flags = new Map<string, string>();
  const pairs: Record<string, [string, string]> = {
    exec: ['exec', 'noexec'], noexec: ['exec', 'noexec'], suid: ['suid', 'nosuid'], nosuid: ['suid', 'nosuid'],
    dev: ['dev', 'nodev'], nodev: ['dev', 'nodev'], ro: ['ro', 'rw'], rw: ['ro', 'rw'],
  };
  for (const o of opts) {
    const key = o.includes('=') ? o.split('=')[0]! : (pairs[o]?.join('|') ?? o);
    flags.delete(key);
    flags.set(key, o);
  }
  return [...flags.values()];
}

function sortMounts(ms: MountInput[]): MountInput[] {
  // moby sorts by number of path components so parents are mounted before children
  const depth = (p: string): number => p.split('/').filter(Boolean).length;
  return [...ms].sort((a, b) => depth(a.destination) - depth(b.destination));
}

/** Builds config.json for a container. */
/** A host directory bound over one of the spec's default mounts. */
function hostBind(destination: string, source: string): OciMount {
  return { destination, type: 'bind', source, options: ['rbind', 'nosuid', 'noexec', 'nodev'] };
}

export function buildSpec(input: ContainerSpecInput): OciSpec {
  const host = hostInfo();
  if (input.args.length === 0) throw new InvalidArgument('No command specified');
  const privileged = input.privileged === true;
  const user = input.user ?? { uid: 0, gid: 0, additionalGids: [0], home: '/' };
  const caps = effectiveCapabilities(input);
  const hostname = input.hostname ?? input.id.slice(0, 12);
  const pidMode = input.pid ?? 'private';

  let args = [...input.args];
  const mounts = defaultMounts();
  const userMounts = sortMounts(input.mounts ?? []);
  if (input.init && pidMode === 'private') {
    args = [IN_CONTAINER_INIT_PATH, '--', ...args];
  }

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: input.terminal === true,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args,
      env: containerEnv(input.env ?? [], hostname, input.terminal === true),
      cwd: input.cwd || '/',
      // moby SetCapabilities: non-root users get only the bounding set, as execve would leave them
      capabilities: user.uid === 0 ? { bounding: caps, effective: caps, permitted: caps } : { bounding: caps },
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs === true },
    hostname,
    mounts: [],
    linux: {
      sysctl: {},
      resources: { devices: defaultDeviceRules() },
      cgroupsPath: join(input.cgroupParent ?? DEFAULT_CGROUP_PARENT, input.id),
      namespaces: [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }],
      devices: [],
      maskedPaths: input.maskedPaths ?? [...DEFAULT_MASKED_PATHS],
      readonlyPaths: input.readonlyPaths ?? [...DEFAULT_READONLY_PATHS],
    },
  };
  if (input.domainname) spec.domainname = input.domainname;
  if (input.terminal && input.consoleSize) spec.process.consoleSize = input.consoleSize;
  if (input.noNewPrivileges) spec.process.noNewPrivileges = true;
  if (input.annotations) spec.annotations = { ...input.annotations };

  // oom_score_adj: a negative value needs CAP_SYS_RESOURCE; without it runc would fail the start
  const oom = input.oomScoreAdj ?? 0;
  spec.process.oomScoreAdj = oom < 0 && !host.canLowerOomScore ? 0 : oom;

  // rlimits: only those asked for (docker inherits the daemon's otherwise), never above the host's hard limit
  if (input.ulimits && input.ulimits.length > 0) {
    spec.process.rlimits = input.ulimits.map((u) => {
      const type = `RLIMIT_${u.name.toUpperCase()}`;
      const cap = host.hardLimits.get(type);
      const clamp = (v: number): number => (cap !== undefined && (v < 0 || v > cap) ? cap : v);
      return { type, soft: clamp(u.soft), hard: clamp(u.hard) };
    });
  }

  // namespaces
  const setNs = (type: string, mode: NamespaceMode | undefined): void => {
    const ns = spec.linux.namespaces;
    const i = ns.findIndex((n) => n.type === type);
    if (mode === 'host') {
      if (i >= 0) ns.splice(i, 1);
    } else if (mode !== undefined && mode !== 'private') {
      if (i >= 0) ns[i] = { type, path: mode.path };
      else ns.push({ type, path: mode.path });
    }
  };
  const net = input.network ?? 'private';
  setNs('network', net === 'none' || net === 'private' ? 'private' : net);
  const ipc = input.ipc ?? 'private';
  setNs('ipc', ipc === 'none' || ipc === 'shareable' ? 'private' : ipc);
  setNs('pid', pidMode);
  if (input.uts === 'host') {
    setNs('uts', 'host');
    delete spec.hostname;
  }
  const cgroupns = input.cgroupns ?? (host.cgroupV2 ? 'private' : 'host');
  if (cgroupns === 'private') spec.linux.namespaces.push({ type: 'cgroup' });

  // default sysctls for a private network namespace, then the user's
  if (net !== 'host') {
    if (sysctlExists('net.ipv4.ping_group_range')) spec.linux.sysctl!['net.ipv4.ping_group_range'] = '0 2147483647';
    if (sysctlExists('net.ipv4.ip_unprivileged_port_start')) spec.linux.sysctl!['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  Object.assign(spec.linux.sysctl!, input.sysctls ?? {});

  // resources
  const r = input.resources ?? {};
  const res = spec.linux.resources;
  const mem: NonNullable<OciResources['memory']> = {};
  if (r.memory && r.memory > 0) mem.limit = r.memory;
  if (r.memoryReservation && r.memoryReservation > 0) mem.reservation = r.memoryReservation;
  let swap = r.memorySwap;
  if (r.memory && r.memory > 0 && (swap === undefined || swap === 0)) swap = r.memory * 2;
  if (swap !== undefined && swap !== 0) mem.swap = swap;
  if (r.memorySwappiness !== undefined && r.memorySwappiness >= 0) mem.swappiness = r.memorySwappiness;
  if (r.oomKillDisable) mem.disableOOMKiller = true;
  if (Object.keys(mem).length > 0) res.memory = mem;
  const cpu: NonNullable<OciResources['cpu']> = {};
  if (r.nanoCpus && r.nanoCpus > 0) {
    if ((r.cpuQuota ?? 0) > 0 || (r.cpuPeriod ?? 0) > 0) {
      throw new InvalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    }
    cpu.period = 100000;
    cpu.quota = Math.round((r.nanoCpus * 100000) / 1e9);
  }
  if (r.cpuPeriod && r.cpuPeriod > 0) cpu.period = r.cpuPeriod;
  if (r.cpuQuota && r.cpuQuota > 0) cpu.quota = r.cpuQuota;
  if (r.cpuShares && r.cpuShares > 0) cpu.shares = r.cpuShares;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (r.realtimeRuntime) cpu.realtimeRuntime = r.realtimeRuntime;
  if (r.realtimePeriod) cpu.realtimePeriod = r.realtimePeriod;
  if (Object.keys(cpu).length > 0) res.cpu = cpu;
  if (r.pidsLimit !== undefined) res.pids = { limit: r.pidsLimit > 0 ? r.pidsLimit : -1 };
  if (r.blkioWeight && r.blkioWeight > 0) res.blockIO = { weight: r.blkioWeight };

  // devices
  if (privileged) {
    spec.linux.devices.push(...hostDevices());
    for (const d of input.devices ?? []) {
      const dest = d.pathInContainer ?? d.pathOnHost;
      if (dest === d.pathOnHost) continue;
      const dev = deviceFromPath(d.pathOnHost, dest);
      if (dev) spec.linux.devices.push(dev);
    }
    res.devices = [{ allow: true, access: 'rwm' }];
  } else {
    for (const d of input.devices ?? []) {
      let dev: OciDevice | undefined;
      try {
        dev = deviceFromPath(d.pathOnHost, d.pathInContainer ?? d.pathOnHost);
      } catch {
        throw new InvalidArgument(`error gathering device information while adding custom device "${d.pathOnHost}": no such file or directory`);
      }
      if (!dev) throw new InvalidArgument(`error gathering device information while adding custom device "${d.pathOnHost}": not a device node`);
      spec.linux.devices.push(dev);
      res.devices!.push({ allow: true, type: dev.type, major: dev.major, minor: dev.minor, access: d.permissions ?? 'rwm' });
    }
    for (const rule of input.deviceCgroupRules ?? []) res.devices!.push(parseDeviceCgroupRule(rule));
  }

  // seccomp
  const seccomp = input.seccomp ?? 'default';
  if (!privileged && seccomp !== 'unconfined') {
    spec.linux.seccomp = seccomp === 'default' ? defaultSeccomp(caps, input.seccompProfilePath) : convertProfile(seccomp, { caps });
  }

  // mounts: defaults not overridden by the user, /dev/shm sized, then the user's
  const userDest = new Set(userMounts.map((m) => m.destination));
  const mountDev = userDest.has('/dev');
  for (const m of mounts) {
    if (userDest.has(m.destination)) continue;
    if (mountDev && m.destination.startsWith('/dev/')) continue;
    if (m.destination === '/dev/shm') {
      if (ipc === 'none') continue;
      // As dockerd: the host's IPC namespace comes with the host's shared memory, a shareable
      // one's with the tmpfs kept on the host for it.
      const shared = ipc === 'host' ? '/dev/shm' : input.shmSource;
      if (shared) {
        spec.mounts.push(hostBind('/dev/shm', shared));
        continue;
      }
      m.options!.push(`size=${input.shmSize ?? DEFAULT_SHM_SIZE}`);
    }
    // As dockerd: the host's message queues where the host has them mounted; a host without
    // /dev/mqueue gets a new mqueue mount, which in the host's IPC namespace shows the same queues.
    if (m.destination === '/dev/mqueue' && ipc === 'host' && existsSync('/dev/mqueue')) {
      spec.mounts.push(hostBind('/dev/mqueue', '/dev/mqueue'));
      continue;
    }
    spec.mounts.push(m);
  }
  for (const m of userMounts) {
    if (m.type === 'tmpfs') {
      spec.mounts.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions(m.options) });
      continue;
    }
    const opts = [m.nonRecursive ? 'bind' : 'rbind'];
    if (m.readonly) opts.push(m.recursiveReadOnly ? 'rro' : 'ro');
    if (m.propagation) {
      opts.push(m.propagation);
      if (m.propagation.endsWith('shared')) spec.linux.rootfsPropagation = 'shared';
      else if (m.propagation.endsWith('slave') && spec.linux.rootfsPropagation !== 'shared') spec.linux.rootfsPropagation = 'rslave';
    }
    spec.mounts.push({ destination: m.destination, type: 'bind', source: m.source, options: opts });
  }
  if (input.init && pidMode === 'private') {
    spec.mounts.push({ destination: IN_CONTAINER_INIT_PATH, type: 'bind', source: findInit(input.init), options: ['bind', 'ro'] });
  }
  if (input.readonlyRootfs) {
    for (const m of spec.mounts) {
      if (['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev'].includes(m.destination)) continue;
      if (userDest.has(m.destination)) continue;
      if (!m.options?.includes('ro')) (m.options ??= []).push('ro');
    }
  }
  if (privileged) {
    for (const m of spec.mounts) {
      if (m.destination === '/sys' || m.type === 'cgroup') m.options = m.options?.filter((o) => o !== 'ro');
    }
    delete spec.linux.maskedPaths;
    delete spec.linux.readonlyPaths;
  }
  return spec;
}
