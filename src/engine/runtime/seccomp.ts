/**
 * Docker's seccomp profile format (moby profiles/seccomp: archMap, names, includes/excludes by
 * caps, arches and minKernel) converted to the OCI `linux.seccomp` section, as moby's
 * setupSeccomp does. The default profile file is read once; conversions are cached per
 * capability set.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { InvalidArgument } from '../../core/errors.js';
import { hostInfo } from './host.js';

export const DEFAULT_SECCOMP_PROFILE_PATH = '/usr/share/containers/seccomp.json';

interface ProfileArg { index: number; value: number; valueTwo?: number; op: string }
interface ProfileFilter { caps?: string[]; arches?: string[]; minKernel?: string }
interface ProfileSyscall {
  name?: string;
  names?: string[];
  action: string;
  args?: ProfileArg[] | null;
  errnoRet?: number;
  includes?: ProfileFilter;
  excludes?: ProfileFilter;
}
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  listenerPath?: string;
  listenerMetadata?: string;
  flags?: string[];
  syscalls?: ProfileSyscall[];
}

export interface OciSeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo: number; op: string }[];
}
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  flags?: string[];
  syscalls?: OciSeccompSyscall[];
}

/** Node's process.arch → the libseccomp-style names the profile's includes/excludes use. */
const NODE_TO_NATIVE: Record<string, string> = {
  x64: 'amd64', ia32: 'x86', arm: 'arm', arm64: 'arm64', mips: 'mips64', mipsel: 'mipsel64',
  ppc: 'ppc', ppc64: 'ppc64le', s390: 's390', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64',
};
const NATIVE_TO_SECCOMP: Record<string, string> = {
  x86: 'SCMP_ARCH_X86', amd64: 'SCMP_ARCH_X86_64', arm: 'SCMP_ARCH_ARM', arm64: 'SCMP_ARCH_AARCH64',
  mips64: 'SCMP_ARCH_MIPS64', mipsel64: 'SCMP_ARCH_MIPSEL64', ppc: 'SCMP_ARCH_PPC', ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE', s390: 'SCMP_ARCH_S390', s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
};

function kernelAtLeast(want: string, have: string): boolean {
  const parse = (v: string): number[] => (v.match(/^(\d+)\.(\d+)(?:\.(\d+))?/) ?? []).slice(1).map((x) => Number(x ?? 0));
  const a = parse(want);
  const b = parse(have);
  if (a.length === 0) throw new InvalidArgument(`invalid kernel version in seccomp profile: ${want}`);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return y > x;
  }
  return true;
}

export interface ConvertOptions {
  /** The container's bounding capabilities (CAP_ names). */
  caps: readonly string[];
  arch?: string;
  kernel?: string;
  /**
   * Whether the kernel runs x32 system calls. When it does not, the x32 sub-architecture is left
   * out of the filter: runc then compiles it in a third of the time (about 20 ms less per
   * container start), and x32 calls, which the kernel would refuse anyway, are refused by it.
   */
  x32?: boolean;
}

/** Converts a docker-format profile for a container with the given capabilities (moby's setupSeccomp). */
export function convertProfile(profile: SeccompProfile, opts: ConvertOptions): OciSeccomp {
  const native = NODE_TO_NATIVE[opts.arch ?? process.arch] ?? opts.arch ?? process.arch;
  const kernel = opts.kernel ?? release();
  const caps = new Set(opts.caps);
  if ((profile.architectures?.length ?? 0) > 0 && (profile.archMap?.length ?? 0) > 0) {
    throw new InvalidArgument("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  const out: OciSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  const arches: string[] = [...(profile.architectures ?? [])];
  const seccompArch = NATIVE_TO_SECCOMP[native];
  for (const a of profile.archMap ?? []) {
    if (a.architecture === seccompArch) {
      const x32 = opts.x32 ?? hostInfo().x32Abi;
      arches.push(a.architecture, ...(a.subArchitectures ?? []).filter((s) => s !== 'SCMP_ARCH_X32' || x32));
      break;
    }
  }
  if (arches.length > 0) out.architectures = arches;
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;
  if (profile.flags && profile.flags.length > 0) out.flags = profile.flags;

  const syscalls: OciSeccompSyscall[] = [];
  for (const call of profile.syscalls ?? []) {
    const ex = call.excludes ?? {};
    const inc = call.includes ?? {};
    if (ex.arches?.includes(native)) continue;
    if (ex.caps?.some((c) => caps.has(c))) continue;
    if (ex.minKernel && kernelAtLeast(ex.minKernel, kernel)) continue;
    if (inc.arches && inc.arches.length > 0 && !inc.arches.includes(native)) continue;
    if (inc.caps && inc.caps.length > 0 && !inc.caps.every((c) => caps.has(c))) continue;
    if (inc.minKernel && !kernelAtLeast(inc.minKernel, kernel)) continue;
    if (call.name && call.names && call.names.length > 0) {
      throw new InvalidArgument("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
    }
    const s: OciSeccompSyscall = { names: call.name ? [call.name] : [...(call.names ?? [])], action: call.action };
    if (call.errnoRet !== undefined) s.errnoRet = call.errnoRet;
    if (call.args && call.args.length > 0) {
      s.args = call.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op }));
    }
    syscalls.push(s);
  }
  out.syscalls = syscalls;
  return out;
}

/** Parses a user-supplied profile (`--security-opt seccomp=FILE` contents). */
export function parseProfile(json: string): SeccompProfile {
  try {
    return JSON.parse(json) as SeccompProfile;
  } catch (err) {
    throw new InvalidArgument(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
}

const profiles = new Map<string, SeccompProfile>();
const converted = new Map<string, OciSeccomp>();

/** The default profile converted for these capabilities; the file is read once and results cached. */
export function defaultSeccomp(caps: readonly string[], path = DEFAULT_SECCOMP_PROFILE_PATH): OciSeccomp {
  const key = `${path}\0${[...caps].sort().join(',')}`;
  let hit = converted.get(key);
  if (!hit) {
    let profile = profiles.get(path);
    if (!profile) {
      profile = parseProfile(readFileSync(path, 'utf8'));
      profiles.set(path, profile);
    }
    hit = convertProfile(profile, { caps });
    converted.set(key, hit);
  }
  return hit;
}
