/**
 * A container's mounts, resolved at create as docker does (daemon/volumes.go registerMountPoints,
 * volume/mounts/linux_parser.go): `--volumes-from` first, then `-v` (HostConfig.Binds), then
 * `--mount` (HostConfig.Mounts), each later one replacing an earlier one at the same destination;
 * then an anonymous volume for each of Config.Volumes (the image's VOLUMEs and `-v /path`) not
 * already covered. Everything is parsed and validated before the first volume is created, and a
 * failure releases what was acquired.
 */
import { existsSync } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { InvalidArgument, SystemError, messageOf } from '../../core/errors.js';
import { resolveInRoot } from '../snapshots/apply.js';
import type { ContainerRecord, HostConfig, MountPoint, MountSpec } from './model.js';
import type { VolumePort } from './ports.js';

// ro-non-recursive, ro-force-recursive and rro: read-only modes of binds (moby 25's BindOptions in -v).
const RW_MODES = new Set(['rw', 'ro', 'ro-non-recursive', 'ro-force-recursive', 'rro']);
const LABEL_MODES = new Set(['z', 'Z']);
const PROPAGATION_MODES = new Set(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']);
const COPY_MODES = new Set(['nocopy']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated']);
const DEFAULT_PROPAGATION = 'rprivate';
const LOCAL = 'local';

/** A mode string (`ro,rshared,nocopy`): known options, at most one of each kind. */
function validMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    const i = [RW_MODES, LABEL_MODES, PROPAGATION_MODES, COPY_MODES, CONSISTENCY_MODES].findIndex((s) => s.has(o));
    if (i < 0) return false;
    counts[i]!++;
  }
  return counts.every((c) => c <= 1);
}

function readWrite(mode: string): boolean {
  return validMode(mode) && !mode.split(',').some((o) => o === 'ro' || o.startsWith('ro-') || o === 'rro');
}

function propagationOf(mode: string): string | undefined {
  return mode.split(',').find((o) => PROPAGATION_MODES.has(o));
}

/** Go's path.Clean: normalised, no trailing slash. */
function cleanPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function mountConfigError(type: string, msg: string): InvalidArgument {
  return new InvalidArgument(`invalid mount config for type "${type}": ${msg}`);
}

function checkTarget(m: MountSpec): void {
  if (!m.Target) throw mountConfigError(m.Type, 'field Target must not be empty');
  if (cleanPath(m.Target) === '/') {
    throw mountConfigError(m.Type, "invalid specification: destination can't be '/'");
  }
  if (!m.Target.startsWith('/')) throw mountConfigError(m.Type, `invalid mount path: '${m.Target}' mount path must be absolute`);
}

/** tmpfs mount data from --mount's tmpfs options (docker's ConvertTmpfsOptions). */
/**
 * The host path of a volume's subpath, with every symlink resolved, refused when it leaves the
 * volume (a symlink inside pointing at / or ..) or does not exist, as dockerd's safepath does.
 * Mount the returned path: the resolved one, not the one with links in it.
 */
export async function resolveSubpath(volumeRoot: string, subpath: string): Promise<string> {
  const base = await realpath(volumeRoot);
  const full = posix.join(volumeRoot, subpath);
  let real: string;
  try {
    real = await realpath(full);
  } catch (err) {
    throw new InvalidArgument(`cannot access path ${full}: ${messageOf(err)}`);
  }
  if (real !== base && !real.startsWith(`${base}/`)) throw new InvalidArgument(`path ${subpath} escapes base ${volumeRoot}`);
  return real;
}

/** A volume mount point's host path at start: its subpath resolved inside the volume (see resolveSubpath). */
export async function volumeSourceOf(m: MountPoint): Promise<string> {
  const sub = m.Spec.VolumeOptions?.Subpath;
  if (m.Type !== 'volume' || !sub) return m.Source;
  const rel = posix.normalize(sub).replace(/\/+$/, '');
  const root = m.Source.endsWith(`/${rel}`) ? m.Source.slice(0, -(rel.length + 1)) : m.Source;
  return resolveSubpath(root, sub);
}

export function tmpfsOptions(o: MountSpec['TmpfsOptions'], readOnly: boolean): string {
  const out: string[] = [];
  if (readOnly) out.push('ro');
  if (o?.Mode) out.push(`mode=${o.Mode.toString(8)}`);
  if (o?.SizeBytes) {
    let size = o.SizeBytes;
    let suffix = '';
    for (const [s, d] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) {
      if (size % d === 0) {
        size /= d;
        suffix = s;
        break;
      }
    }
    out.push(`size=${size}${suffix}`);
  }
  for (const opt of o?.Options ?? []) {
    if (opt.length < 1 || opt.length > 2) throw new InvalidArgument('invalid option array length');
    if (opt[0] !== 'exec' && opt[0] !== 'noexec') throw new InvalidArgument(`invalid option: ${opt[0]}`);
    out.push(opt.join('='));
  }
  return out.join(',');
}

/** Read-only binds made read-only on their own mount only, as before API 1.44 (moby's DefaultReadOnlyNonRecursive). */
export function readOnlyNonRecursive(points: Record<string, MountPoint> | undefined): void {
  for (const mp of Object.values(points ?? {})) {
    if (mp.Type === 'bind' && !mp.RW) mp.Spec = { ...mp.Spec, BindOptions: { ...mp.Spec.BindOptions, ReadOnlyNonRecursive: true } };
  }
}

/** Validates one --mount (API Mounts entry) and turns it into a mount point (volumes unresolved). */
export function parseMountSpec(m: MountSpec, checkBindSource = true): MountPoint {
  checkTarget(m);
  const mp: MountPoint = {
    Type: m.Type as MountPoint['Type'],
    Source: '',
    Destination: cleanPath(m.Target),
    RW: !m.ReadOnly,
    Mode: '',
    Propagation: '',
    CopyData: false,
    Spec: m,
  };
  switch (m.Type) {
    case 'bind': {
      if (!m.Source) throw mountConfigError(m.Type, 'field Source must not be empty');
      const prop = m.BindOptions?.Propagation;
      if (prop && !PROPAGATION_MODES.has(prop)) throw mountConfigError(m.Type, `invalid propagation mode: ${prop}`);
      if (m.VolumeOptions) throw mountConfigError(m.Type, 'field VolumeOptions must not be specified');
      // moby's words (its start refuses these; here the create does, before anything is made)
      const bo = m.BindOptions;
      if (!m.ReadOnly && bo?.ReadOnlyNonRecursive) throw new InvalidArgument('mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive');
      if (!m.ReadOnly && bo?.ReadOnlyForceRecursive) throw new InvalidArgument('mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive');
      if (bo?.ReadOnlyNonRecursive && bo.ReadOnlyForceRecursive) throw new InvalidArgument('mount options conflict: ReadOnlyNonRecursive && BindOptions.ReadOnlyForceRecursive');
      if (!m.Source.startsWith('/')) throw mountConfigError(m.Type, `invalid mount path: '${m.Source}' mount path must be absolute`);
      if (checkBindSource && !existsSync(m.Source) && !m.BindOptions?.CreateMountpoint) {
        throw mountConfigError(m.Type, `bind source path does not exist: ${m.Source}`);
      }
      mp.Source = cleanPath(m.Source);
      mp.Propagation = prop || DEFAULT_PROPAGATION;
      mp.SkipMountpointCreation = checkBindSource && !m.BindOptions?.CreateMountpoint;
      break;
    }
    case 'volume': {
      if (m.BindOptions) throw mountConfigError(m.Type, 'field BindOptions must not be specified');
      const anonymous = !m.Source;
      const sub = m.VolumeOptions?.Subpath;
      if (sub) {
        if (anonymous) throw mountConfigError(m.Type, 'must not set Subpath when using anonymous volumes');
        const clean = posix.normalize(sub);
        if (clean.startsWith('/') || clean === '..' || clean.startsWith('../')) throw mountConfigError(m.Type, 'subpath must be a relative path within the volume');
      }
      if (m.ReadOnly && anonymous) throw mountConfigError(m.Type, 'must not set ReadOnly mode when using anonymous volumes');
      if (!anonymous) mp.Name = m.Source;
      mp.Driver = m.VolumeOptions?.DriverConfig?.Name || undefined;
      mp.CopyData = !m.VolumeOptions?.NoCopy;
      break;
    }
    case 'tmpfs':
      if (m.BindOptions) throw mountConfigError(m.Type, 'field BindOptions must not be specified');
      if (m.Source) throw mountConfigError(m.Type, 'field Source must not be specified');
      try {
        tmpfsOptions(m.TmpfsOptions, m.ReadOnly ?? false);
      } catch (err) {
        throw mountConfigError(m.Type, (err as Error).message);
      }
      break;
    default:
      throw mountConfigError(m.Type, 'mount type unknown');
  }
  return mp;
}

/** Parses one `-v` (API Binds entry): `/host:/ctr[:mode]`, `name:/ctr[:mode]` or `/ctr`. */
export function parseMountRaw(raw: string, volumeDriver = ''): MountPoint {
  const invalid = `invalid volume specification: '${raw}'`;
  const arr = splitN(raw, ':', 4);
  if (arr[0] === '') throw new InvalidArgument(invalid);
  const spec: MountSpec = { Type: 'volume', Target: '' };
  let mode = '';
  if (arr.length === 1) spec.Target = arr[0]!;
  else if (arr.length === 2) {
    // `/foo:rw` names a destination and a mode, but a volume needs a source
    if (validMode(arr[1]!)) throw new InvalidArgument(invalid);
    spec.Source = arr[0]!;
    spec.Target = arr[1]!;
  } else if (arr.length === 3) {
    spec.Source = arr[0]!;
    spec.Target = arr[1]!;
    mode = arr[2]!;
  } else throw new InvalidArgument(invalid);
  if (!validMode(mode)) throw new InvalidArgument(`invalid mode: ${mode}`);
  spec.Type = spec.Source?.startsWith('/') ? 'bind' : 'volume';
  spec.ReadOnly = !readWrite(mode);
  if (volumeDriver && spec.Type === 'volume') spec.VolumeOptions = { DriverConfig: { Name: volumeDriver } };
  if (mode.split(',').includes('nocopy')) spec.VolumeOptions = { ...(spec.VolumeOptions ?? {}), NoCopy: true };
  const prop = propagationOf(mode);
  if (prop) spec.BindOptions = { Propagation: prop };
  for (const o of mode.split(',')) {
    if (!o.startsWith('ro-') && o !== 'rro') continue;
    if (spec.Type !== 'bind') throw new InvalidArgument(`mount mode "${mode}" requires a bind mount: ${invalid}`);
    spec.BindOptions ??= {};
    if (o === 'ro-non-recursive') spec.BindOptions.ReadOnlyNonRecursive = true;
    else spec.BindOptions.ReadOnlyForceRecursive = true;
  }
  let mp: MountPoint;
  try {
    // -v creates a missing host directory at start, so its existence is not checked here
    mp = parseMountSpec(spec, false);
  } catch (err) {
    throw new InvalidArgument(`${invalid}: ${(err as Error).message}`);
  }
  mp.Mode = mode;
  return mp;
}

function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

/** `--volumes-from ID[:ro|rw]`. */
export function parseVolumesFrom(spec: string): { id: string; rw: boolean } {
  if (!spec) throw new InvalidArgument('volumes-from specification cannot be an empty string');
  const i = spec.indexOf(':');
  const id = i < 0 ? spec : spec.slice(0, i);
  const mode = i < 0 ? '' : spec.slice(i + 1);
  if (mode === '') return { id, rw: true };
  const opts = mode.split(',');
  if (!validMode(mode) || propagationOf(mode) || opts.includes('nocopy')) throw new InvalidArgument(`invalid mode: ${mode}`);
  return { id, rw: readWrite(mode) };
}

export interface MountRequest {
  containerId: string;
  hostConfig: HostConfig;
  /** Config.Volumes, merged with the image's. */
  volumes: Record<string, object> | null | undefined;
  /** Another container, for --volumes-from (NotFound otherwise). */
  container(ref: string): ContainerRecord;
  /** The container's root filesystem, mounted on first call (for Config.Volumes over files). */
  rootfs(): Promise<string>;
  /** The engine's data root: binds of it, or within it, must not hold its mounts privately. */
  daemonRoot?: string;
}

/**
 * As moby's validateBindDaemonRoot: a bind whose source is within the daemon root (or holds it)
 * would keep private copies of the engine's own mounts (layers, volumes), which the engine could
 * then never remove; such a bind must propagate unmounts (rslave or rshared). True when the bind
 * set no propagation and gets rslave; moby compares the paths as strings, and so does this.
 */
export function needsSlavePropagation(spec: MountSpec, daemonRoot: string): boolean {
  if (spec.Type !== 'bind' || spec.Source === undefined) return false;
  const source = spec.Source;
  if (!source.startsWith(daemonRoot) && !daemonRoot.startsWith(source)) return false;
  const prop = spec.BindOptions?.Propagation ?? '';
  if (prop === '') return true;
  if (prop === 'rslave' || prop === 'rshared') return false;
  throw new InvalidArgument(
    `invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: ${JSON.stringify(daemonRoot)}, bind mount source: ${JSON.stringify(source)}, propagation: ${JSON.stringify(prop)}`,
  );
}

/** The mount ID a container's mount of one destination holds on a volume. */
export function mountIdOf(containerId: string, destination: string): string {
  return `${containerId}:${destination}`;
}

/** Resolves a new container's mounts; volumes are created or found and referenced for it. */
export async function registerMountPoints(req: MountRequest, volumes: VolumePort): Promise<Record<string, MountPoint>> {
  const hc = req.hostConfig;
  const points = new Map<string, MountPoint>();
  /** Mounts taken over from other containers: their volumes exist already. */
  const inherited = new Set<MountPoint>();
  // 1. --volumes-from: the other container's mounts, never copied up again
  for (const spec of hc.VolumesFrom ?? []) {
    const { id, rw } = parseVolumesFrom(spec);
    let other: ContainerRecord;
    try {
      other = req.container(id);
    } catch (err) {
      // docker answers 400 here: a 404 would send the CLI off to pull the image
      throw new InvalidArgument((err as Error).message, { cause: err });
    }
    for (const m of Object.values(other.MountPoints ?? {})) {
      const mp: MountPoint = { ...m, Mode: '', RW: m.RW && rw, CopyData: false };
      inherited.add(mp);
      points.set(m.Destination, mp);
    }
  }
  // 2. -v
  const binds = new Set<string>();
  for (const raw of hc.Binds ?? []) {
    const mp = parseMountRaw(raw, hc.VolumeDriver ?? '');
    if (req.daemonRoot && needsSlavePropagation(mp.Spec, req.daemonRoot)) mp.Propagation = 'rslave';
    if (binds.has(mp.Destination) || (hc.Tmpfs && mp.Destination in hc.Tmpfs)) {
      throw new InvalidArgument(`Duplicate mount point: ${mp.Destination}`);
    }
    binds.add(mp.Destination);
    points.set(mp.Destination, mp);
  }
  // 3. --mount
  for (const spec of hc.Mounts ?? []) {
    const mp = parseMountSpec(spec);
    if (req.daemonRoot && needsSlavePropagation(mp.Spec, req.daemonRoot)) mp.Propagation = 'rslave';
    if (binds.has(mp.Destination)) throw new InvalidArgument(`Duplicate mount point: ${spec.Target}`);
    binds.add(mp.Destination);
    points.set(mp.Destination, mp);
  }

  const acquired: Array<{ name: string; anonymous: boolean }> = [];
  try {
    for (const mp of points.values()) {
      if (mp.Type !== 'volume') continue;
      if (inherited.has(mp)) {
        const v = volumes.reference(mp.Name!, req.containerId);
        acquired.push({ name: v.name, anonymous: false });
        continue;
      }
      const vo = mp.Spec.VolumeOptions;
      const fromMount = (hc.Mounts ?? []).includes(mp.Spec);
      const v = await volumes.acquire(mp.Name ?? '', req.containerId, {
        driver: mp.Driver,
        driverOpts: fromMount ? vo?.DriverConfig?.Options ?? null : null,
        labels: fromMount ? vo?.Labels ?? null : null,
      });
      acquired.push({ name: v.name, anonymous: !mp.Name });
      mp.Name = v.name;
      mp.Driver = v.driver;
      mp.Source = vo?.Subpath ? posix.join(v.mountpoint, vo.Subpath) : v.mountpoint;
      if (v.driver === LOCAL && mp.Mode === '') mp.Mode = 'z';
    }
    // 4. Config.Volumes: an anonymous volume where nothing else is mounted
    for (const spec of Object.keys(req.volumes ?? {})) {
      const dest = cleanPath(spec);
      if (!dest.startsWith('/')) throw mountConfigError('volume', `invalid mount path: '${spec}' mount path must be absolute`);
      if (points.has(dest) || (hc.Tmpfs && dest in hc.Tmpfs)) continue;
      const root = await req.rootfs();
      const inRoot = await resolveInRoot(root, dest);
      const st = await lstat(inRoot).catch(() => undefined);
      if (st && !st.isDirectory()) throw new SystemError(`cannot mount volume over existing file, file exists ${inRoot}`);
      const v = await volumes.acquire('', req.containerId, { driver: hc.VolumeDriver || undefined });
      acquired.push({ name: v.name, anonymous: true });
      points.set(dest, {
        Type: 'volume', Name: v.name, Source: v.mountpoint, Destination: dest, Driver: v.driver, RW: true,
        Mode: '', Propagation: '', CopyData: true, Spec: { Type: 'volume', Target: dest },
      });
    }
  } catch (err) {
    for (const a of acquired) {
      volumes.release(a.name, req.containerId);
      if (a.anonymous) await volumes.removeIfUnused(a.name).catch(() => {});
    }
    throw err;
  }
  return Object.fromEntries([...points.entries()]);
}

/** Copy-up for every volume the container mounts with CopyData over a directory of its image. */
export async function populateVolumes(points: Record<string, MountPoint>, rootfs: () => Promise<string>, volumes: VolumePort): Promise<void> {
  for (const mp of Object.values(points)) {
    if (mp.Type !== 'volume' || !mp.CopyData || !mp.Name || mp.Spec.VolumeOptions?.Subpath) continue;
    const root = await rootfs();
    const from = await resolveInRoot(root, mp.Destination);
    const st = await lstat(from).catch(() => undefined);
    if (!st?.isDirectory()) continue;
    await volumes.populate(mp.Name, from);
  }
}

/** Drops the container's references; with removeAnonymous, its anonymous volumes go too (rm -v). */
export async function releaseMountPoints(containerId: string, points: Record<string, MountPoint> | undefined, volumes: VolumePort, removeAnonymous: boolean): Promise<void> {
  for (const mp of Object.values(points ?? {})) {
    if (mp.Type !== 'volume' || !mp.Name) continue;
    volumes.release(mp.Name, containerId);
    if (removeAnonymous && !mp.Spec.Source) await volumes.removeIfUnused(mp.Name).catch(() => {});
  }
}

/** Checks the syntax of a create's -v, --mount and --volumes-from before anything is made. */
export function validateMounts(hc: HostConfig, volumes?: Record<string, object> | null): void {
  for (const spec of Object.keys(volumes ?? {})) {
    if (!cleanPath(spec).startsWith('/')) throw mountConfigError('volume', `invalid mount path: '${spec}' mount path must be absolute`);
  }
  for (const spec of hc.VolumesFrom ?? []) parseVolumesFrom(spec);
  for (const raw of hc.Binds ?? []) parseMountRaw(raw, hc.VolumeDriver ?? '');
  for (const m of hc.Mounts ?? []) parseMountSpec(m);
}

/** Mounts the container's volumes for a start (docker's mount events). */
export async function mountVolumes(rec: ContainerRecord, volumes: VolumePort, events = true): Promise<void> {
  for (const mp of Object.values(rec.MountPoints ?? {})) {
    if (mp.Type !== 'volume' || !mp.Name) continue;
    const event = { container: rec.Id, destination: mp.Destination, 'read/write': String(mp.RW), propagation: mp.Propagation };
    await volumes.mount(mp.Name, mountIdOf(rec.Id, mp.Destination), events ? event : undefined);
  }
}

/** Ends the container's volume mounts (after it exited, or when its start failed). */
export async function unmountVolumes(rec: ContainerRecord, volumes: VolumePort, events = true): Promise<void> {
  for (const mp of Object.values(rec.MountPoints ?? {})) {
    if (mp.Type !== 'volume' || !mp.Name) continue;
    await volumes.unmount(mp.Name, mountIdOf(rec.Id, mp.Destination), events ? { container: rec.Id } : undefined).catch(() => {});
  }
}
