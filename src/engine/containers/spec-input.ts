import { mkdir } from 'node:fs/promises';
import { InvalidArgument, isErrno } from '../../core/errors.js';
import { parseProfile } from '../runtime/seccomp.js';
import type { ContainerSpecInput, MountInput, NamespaceMode, Propagation } from '../runtime/spec.js';
import { resolveUser } from '../runtime/user.js';
import type { ContainerRecord } from './model.js';
import { tmpfsOptions, volumeSourceOf } from './mounts.js';

/** Docker's HostConfig namespace modes (`host`, `container:<id>`, ...) as runtime inputs. */
export interface NamespaceTargets {
  /** PID of another container's process, for `container:<name>` modes. */
  pidOf(ref: string): number;
}

function securityOpts(opts: readonly string[]): { noNewPrivileges: boolean; seccomp: ContainerSpecInput['seccomp']; systemPathsUnconfined: boolean } {
  let noNewPrivileges = false;
  let seccomp: ContainerSpecInput['seccomp'] = 'default';
  let systemPathsUnconfined = false;
  for (const opt of opts) {
    const sep = opt.search(/[=:]/);
    const key = sep < 0 ? opt : opt.slice(0, sep);
    const value = sep < 0 ? '' : opt.slice(sep + 1);
    if (key === 'no-new-privileges') noNewPrivileges = value === '' || value === 'true';
    else if (key === 'seccomp') {
      if (value === 'unconfined') seccomp = 'unconfined';
      else if (value === 'builtin' || value === '') seccomp = 'default';
      // The docker CLI sends the profile's JSON content in place of its path.
      else seccomp = parseProfile(value);
    } else if (key === 'systempaths' && value === 'unconfined') systemPathsUnconfined = true;
  }
  return { noNewPrivileges, seccomp, systemPathsUnconfined };
}

function namespaceMode(mode: string | undefined, what: string, t: NamespaceTargets): NamespaceMode | undefined {
  if (!mode || mode === 'private') return undefined;
  if (mode === 'host') return 'host';
  if (mode.startsWith('container:')) {
    const pid = t.pidOf(mode.slice('container:'.length));
    return { path: `/proc/${pid}/ns/${what}` };
  }
  throw new InvalidArgument(`invalid ${what} mode: ${mode}`);
}

/**
 * The container's mounts for the runtime: its /etc files, then its resolved mount points (binds,
 * volumes at their data directories, --mount tmpfs) and --tmpfs.
 */
async function mountsOf(rec: ContainerRecord): Promise<MountInput[]> {
  const hc = rec.HostConfig;
  const out: MountInput[] = [];
  const etcWritable = !hc.ReadonlyRootfs;
  for (const [dest, src] of [['/etc/resolv.conf', rec.ResolvConfPath], ['/etc/hostname', rec.HostnamePath], ['/etc/hosts', rec.HostsPath]] as const) {
    out.push({ type: 'bind', source: src, destination: dest, readonly: !etcWritable });
  }
  for (const m of Object.values(rec.MountPoints ?? {})) {
    if (m.Type === 'tmpfs') {
      out.push({ type: 'tmpfs', destination: m.Destination, options: tmpfsOptions(m.Spec.TmpfsOptions, !m.RW) });
      continue;
    }
    // As docker: a missing host path of a -v bind is created as a directory (--mount refuses it).
    // (A file, or anything else already there, is mounted as it is.)
    if (m.Type === 'bind' && !m.SkipMountpointCreation) {
      await mkdir(m.Source, { recursive: true }).catch((err: unknown) => {
        if (!isErrno(err, 'EEXIST')) throw err;
      });
    }
    const propagation = (m.Propagation || undefined) as Propagation | undefined;
    const bo = m.Spec.BindOptions;
    const readOnlyMode = !m.RW ? (bo?.ReadOnlyForceRecursive ? 'force-recursive' : bo?.ReadOnlyNonRecursive ? 'non-recursive' : 'recursive-if-possible') : undefined;
    out.push({ type: 'bind', source: await volumeSourceOf(m), destination: m.Destination, readonly: !m.RW, propagation, nonRecursive: bo?.NonRecursive, readOnlyMode });
  }
  for (const [dest, opts] of Object.entries(hc.Tmpfs ?? {})) out.push({ type: 'tmpfs', destination: dest, options: opts });
  return out;
}

/** Everything the runtime needs to build config.json for a container's main process. */
export async function specInputFor(rec: ContainerRecord, rootfs: string, t: NamespaceTargets): Promise<ContainerSpecInput> {
  const c = rec.Config;
  const hc = rec.HostConfig;
  const sec = securityOpts(hc.SecurityOpt ?? []);
  const net = hc.NetworkMode ?? 'bridge';
  let network: ContainerSpecInput['network'] = 'private';
  if (net === 'host') network = 'host';
  else if (net === 'none') network = 'none';
  else if (net.startsWith('container:')) network = { path: `/proc/${t.pidOf(net.slice('container:'.length))}/ns/net` };
  const ipcMode = hc.IpcMode;
  const ipc = ipcMode === 'none' || ipcMode === 'shareable' ? ipcMode : namespaceMode(ipcMode, 'ipc', t);
  return {
    id: rec.Id,
    rootfs,
    args: [rec.Path, ...rec.Args],
    env: c.Env ?? [],
    cwd: c.WorkingDir || '/',
    user: await resolveUser(rootfs, c.User ?? '', hc.GroupAdd ?? []),
    terminal: c.Tty ?? false,
    consoleSize: hc.ConsoleSize && hc.ConsoleSize[0] > 0 ? { height: hc.ConsoleSize[0], width: hc.ConsoleSize[1] } : undefined,
    hostname: c.Hostname,
    domainname: c.Domainname || undefined,
    readonlyRootfs: hc.ReadonlyRootfs ?? false,
    capAdd: hc.CapAdd ?? [],
    capDrop: hc.CapDrop ?? [],
    privileged: hc.Privileged ?? false,
    noNewPrivileges: sec.noNewPrivileges,
    seccomp: sec.seccomp,
    maskedPaths: sec.systemPathsUnconfined ? [] : (hc.MaskedPaths ?? undefined),
    readonlyPaths: sec.systemPathsUnconfined ? [] : (hc.ReadonlyPaths ?? undefined),
    mounts: await mountsOf(rec),
    devices: (hc.Devices ?? []).map((d) => ({ pathOnHost: d.PathOnHost, pathInContainer: d.PathInContainer || undefined, permissions: d.CgroupPermissions || undefined })),
    deviceCgroupRules: hc.DeviceCgroupRules ?? [],
    network,
    ipc: ipc as ContainerSpecInput['ipc'],
    pid: namespaceMode(hc.PidMode, 'pid', t),
    uts: hc.UTSMode === 'host' ? 'host' : 'private',
    cgroupns: hc.CgroupnsMode === 'host' ? 'host' : hc.CgroupnsMode === 'private' ? 'private' : undefined,
    shmSize: hc.ShmSize || undefined,
    resources: {
      memory: hc.Memory || undefined,
      memorySwap: hc.MemorySwap || undefined,
      memoryReservation: hc.MemoryReservation || undefined,
      memorySwappiness: hc.MemorySwappiness ?? undefined,
      oomKillDisable: hc.OomKillDisable ?? undefined,
      nanoCpus: hc.NanoCpus || undefined,
      cpuQuota: hc.CpuQuota || undefined,
      cpuPeriod: hc.CpuPeriod || undefined,
      cpuShares: hc.CpuShares || undefined,
      cpusetCpus: hc.CpusetCpus || undefined,
      cpusetMems: hc.CpusetMems || undefined,
      realtimeRuntime: hc.CpuRealtimeRuntime || undefined,
      realtimePeriod: hc.CpuRealtimePeriod || undefined,
      pidsLimit: hc.PidsLimit && hc.PidsLimit > 0 ? hc.PidsLimit : undefined,
      blkioWeight: hc.BlkioWeight || undefined,
    },
    ulimits: (hc.Ulimits ?? []).map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })),
    oomScoreAdj: hc.OomScoreAdj || undefined,
    sysctls: hc.Sysctls ?? undefined,
    cgroupParent: hc.CgroupParent || undefined,
    init: hc.Init ?? undefined,
    annotations: hc.Annotations ?? undefined,
  };
}
