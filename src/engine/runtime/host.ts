/** Facts about the host that shape every bundle, read once per process. */
import { existsSync, readFileSync } from 'node:fs';
import { sys } from '../../core/native.js';

/** All capabilities runc 1.1 knows, in kernel order (bit = index). */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export interface HostInfo {
  /** True on a pure cgroup v2 host (/sys/fs/cgroup/cgroup.controllers exists). */
  cgroupV2: boolean;
  /** Capabilities the kernel knows (up to cap_last_cap). */
  knownCaps: string[];
  /** Capabilities in this process's bounding set: a container cannot get more. */
  boundingCaps: Set<string>;
  /** Whether this process may lower oom_score_adj (CAP_SYS_RESOURCE in the effective set). */
  canLowerOomScore: boolean;
  /** Hard rlimits of this process, by RLIMIT_ name; undefined = unlimited. */
  hardLimits: Map<string, number | undefined>;
  /** Whether the kernel runs x32 system calls (seccomp filters then cover that ABI too). */
  x32Abi: boolean;
  /** Whether containers can get a block I/O weight (v1: blkio.weight or blkio.bfq.weight; v2: the io controller). */
  blkioWeight: boolean;
}

let cached: HostInfo | undefined;

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function capSet(hex: string | undefined, known: readonly string[]): Set<string> {
  const out = new Set<string>();
  if (hex === undefined) return new Set(known);
  const bits = BigInt(`0x${hex}`);
  known.forEach((c, i) => {
    if ((bits >> BigInt(i)) & 1n) out.add(c);
  });
  return out;
}

const LIMIT_NAMES: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK', 'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE', 'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

export function hostInfo(): HostInfo {
  if (cached) return cached;
  const last = Number(readOr('/proc/sys/kernel/cap_last_cap', String(ALL_CAPABILITIES.length - 1)).trim());
  const knownCaps = ALL_CAPABILITIES.slice(0, Math.min(last + 1, ALL_CAPABILITIES.length));
  const status = readOr('/proc/self/status', '');
  const field = (name: string): string | undefined => status.match(new RegExp(`^${name}:\\s*([0-9a-f]+)`, 'm'))?.[1];
  const eff = capSet(field('CapEff'), knownCaps);
  const hardLimits = new Map<string, number | undefined>();
  for (const line of readOr('/proc/self/limits', '').split('\n')) {
    const m = line.match(/^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/);
    const name = m ? LIMIT_NAMES[m[1]!] : undefined;
    if (m && name) hardLimits.set(name, m[3] === 'unlimited' ? undefined : Number(m[3]));
  }
  cached = {
    cgroupV2: existsSync('/sys/fs/cgroup/cgroup.controllers'),
    knownCaps,
    boundingCaps: capSet(field('CapBnd'), knownCaps),
    canLowerOomScore: eff.has('CAP_SYS_RESOURCE'),
    hardLimits,
    x32Abi: x32Abi(),
    blkioWeight: existsSync('/sys/fs/cgroup/cgroup.controllers')
      ? /\bio\b/.test(readOr('/sys/fs/cgroup/cgroup.controllers', ''))
      : existsSync('/sys/fs/cgroup/blkio/blkio.weight') || existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight'),
  };
  return cached;
}

function x32Abi(): boolean {
  if (process.arch !== 'x64') return false;
  try {
    return sys().x32Abi();
  } catch {
    return true; // unknown: keep the ABI covered
  }
}
