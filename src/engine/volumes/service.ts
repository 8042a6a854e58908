/**
 * Volumes: named storage that outlives containers. Each volume is a directory under
 * DATA_ROOT/volumes/<name>/ holding `_data` (what containers see) and `volume.json` (driver,
 * labels, options, creation time; written last, so a directory without it is a half-made
 * volume and is removed at start-up).
 *
 * The service also keeps, in memory, which containers reference a volume (a volume in use
 * cannot be removed; the containers service re-registers its references at start-up) and which
 * mounts are active (a volume with mount options is mounted on its `_data` at the first use and
 * unmounted after the last).
 */
import { userRegExp } from '../../core/patterns.js';
import { goSystemMessage } from '../config/go-json.js';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeJsonAtomic } from '../../core/fs-atomic.js';
import { Conflict, EngineError, InvalidArgument, NotFound, SystemError, isErrno, messageOf } from '../../core/errors.js';
import { Mutex } from '../images/mutex.js';
import { diskUsage } from '../snapshots/overlay.js';
import { copyUp } from './copy-up.js';
import {
  LOCAL_DRIVER, isMountPoint, mountVolume, mountsUnder, needsMount, unmountVolume, validateOptions, validateVolumeName,
} from './local-driver.js';

/** The label docker puts on volumes created without a name. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** What the engine keeps per volume (volume.json). */
export interface VolumeRecord {
  Name: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  CreatedAt: string;
}

/** The Engine API's Volume object. */
export interface VolumeView {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
  UsageData?: { Size: number; RefCount: number };
}

export interface CreateVolumeRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export type VolumeFilters = Record<string, string[]>;

export type VolumeEventSink = (action: string, name: string, attributes: Record<string, string>) => void;

/** An error in docker's volume-store shape: `OP NAME: reason`, keeping the reason's status. */
function opError(op: string, name: string, err: unknown): EngineError {
  const msg = `${op}${name ? ` ${name}` : ''}: ${goSystemMessage(err)}`;
  if (err instanceof NotFound) return new NotFound(msg, { cause: err });
  if (err instanceof Conflict) return new Conflict(msg, { cause: err });
  // A name too long for a file name is the request's fault.
  if (err instanceof InvalidArgument || isErrno(err, 'ENAMETOOLONG')) return new InvalidArgument(msg, { cause: err });
  return new SystemError(msg, { cause: err });
}

/** docker's `label=k` / `label=k=v` match against a volume's labels. */
function labelMatches(labels: Record<string, string> | null, f: string): boolean {
  const l = labels ?? {};
  const i = f.indexOf('=');
  if (i < 0) return f in l;
  return l[f.slice(0, i)] === f.slice(i + 1);
}

function parseBool(key: string, v: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new InvalidArgument(`invalid filter '${key}=${v}'`);
}

function checkFilters(filters: VolumeFilters, accepted: ReadonlySet<string>): void {
  for (const k of Object.keys(filters)) if (!accepted.has(k)) throw new InvalidArgument(`invalid filter '${k}'`);
}

const LIST_FILTERS = new Set(['dangling', 'name', 'driver', 'label']);
const PRUNE_FILTERS = new Set(['label', 'label!', 'all']);

export class VolumeService {
  private readonly records = new Map<string, VolumeRecord>();
  /** Containers referencing each volume. */
  private readonly refs = new Map<string, Set<string>>();
  /** Active mounts (mount IDs) of each volume. */
  private readonly active = new Map<string, Set<string>>();
  private readonly locks = new Map<string, Mutex>();
  private pruning = false;

  private constructor(
    readonly root: string,
    private readonly emit: VolumeEventSink,
  ) {}

  static async open(root: string, emit: VolumeEventSink = () => {}): Promise<VolumeService> {
    const svc = new VolumeService(root, emit);
    await mkdir(root, { recursive: true, mode: 0o701 });
    for (const name of await readdir(root)) {
      const dir = join(root, name);
      if (!(await stat(dir).catch(() => undefined))?.isDirectory()) continue;
      try {
        const rec = JSON.parse(await readFile(join(dir, 'volume.json'), 'utf8')) as VolumeRecord;
        svc.records.set(rec.Name, rec);
      } catch (err) {
        // A crash between mkdir and the metadata write: nothing references it yet.
        if (isErrno(err, 'ENOENT') && mountsUnder(dir).length === 0) await rm(dir, { recursive: true, force: true });
      }
    }
    return svc;
  }

  dataPath(name: string): string {
    return join(this.root, name, '_data');
  }

  private lock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    let m = this.locks.get(name);
    if (!m) {
      m = new Mutex();
      this.locks.set(name, m);
    }
    return m.run(fn);
  }

  private view(rec: VolumeRecord): VolumeView {
    return {
      CreatedAt: rec.CreatedAt,
      Driver: rec.Driver,
      Labels: sortedMap(rec.Labels),
      Mountpoint: this.dataPath(rec.Name),
      Name: rec.Name,
      Options: sortedMap(rec.Options),
      Scope: 'local',
    };
  }

  private find(name: string): VolumeRecord {
    const rec = this.records.get(name);
    if (!rec) throw new NotFound(`get ${name}: no such volume`);
    return rec;
  }

  get(name: string): VolumeView {
    return this.view(this.find(name));
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  /**
   * Creates a volume, or returns the existing one of that name (its labels and options unchanged,
   * as docker). No name: a generated one, labelled anonymous. With `ref`, the container is
   * recorded as a user before anyone else can remove the volume.
   */
  async create(req: CreateVolumeRequest, ref?: string): Promise<VolumeView> {
    let name = req.Name ?? '';
    let labels = req.Labels ?? null;
    if (!name) {
      name = randomBytes(32).toString('hex');
      labels = { ...(labels ?? {}), [ANONYMOUS_LABEL]: '' };
    }
    const driver = req.Driver || '';
    return this.lock(name, async () => {
      const existing = this.records.get(name);
      if (driver && driver !== LOCAL_DRIVER) {
        throw opError('create', name, new NotFound(`error looking up volume plugin ${driver}: plugin "${driver}" not found`));
      }
      if (existing) {
        if (ref) this.addRef(name, ref);
        return this.view(existing);
      }
      try {
        validateVolumeName(name);
        validateOptions(req.DriverOpts);
      } catch (err) {
        throw opError('create', name, err);
      }
      const dir = join(this.root, name);
      const rec: VolumeRecord = {
        Name: name,
        Driver: LOCAL_DRIVER,
        Labels: labels,
        Options: req.DriverOpts ?? null,
        CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      };
      try {
        await mkdir(dir, { mode: 0o701 });
        await mkdir(join(dir, '_data'), { mode: 0o755 });
        await writeJsonAtomic(join(dir, 'volume.json'), rec);
      } catch (err) {
        if (!isErrno(err, 'EEXIST')) await rm(dir, { recursive: true, force: true }).catch(() => {});
        throw opError('create', name, isErrno(err, 'EEXIST') ? new Conflict(`volume already exists under ${dir}`) : err);
      }
      this.records.set(name, rec);
      if (ref) this.addRef(name, ref);
      this.emit('create', name, { driver: rec.Driver });
      return this.view(rec);
    });
  }

  /** GET /volumes: dangling, driver, label and name (a regular expression) filters. */
  list(filters: VolumeFilters = {}): VolumeView[] {
    checkFilters(filters, LIST_FILTERS);
    const dangling = filters.dangling?.length ? parseBool('dangling', filters.dangling[0]!) : undefined;
    return [...this.records.values()]
      .filter((r) => !filters.driver || filters.driver.includes(r.Driver))
      .filter((r) => !filters.name || filters.name.some((p) => r.Name === p || userRegExp(p)?.test(r.Name)))
      .filter((r) => (filters.label ?? []).every((l) => labelMatches(r.Labels, l)))
      .filter((r) => dangling === undefined || this.inUse(r.Name) !== dangling)
      .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))
      .map((r) => this.view(r));
  }

  /** Containers referencing the volume. */
  usersOf(name: string): string[] {
    return [...(this.refs.get(name) ?? [])];
  }

  private inUse(name: string): boolean {
    return (this.refs.get(name)?.size ?? 0) > 0;
  }

  private addRef(name: string, ref: string): void {
    let s = this.refs.get(name);
    if (!s) {
      s = new Set();
      this.refs.set(name, s);
    }
    s.add(ref);
  }

  /** Records that a container uses an existing volume. */
  reference(name: string, ref: string): VolumeView {
    const rec = this.find(name);
    this.addRef(name, ref);
    return this.view(rec);
  }

  release(name: string, ref: string): void {
    const s = this.refs.get(name);
    if (!s) return;
    s.delete(ref);
    if (s.size === 0) this.refs.delete(name);
  }

  /**
   * DELETE /volumes/{name}: refused while any container (running or not) references it; with
   * force a missing volume is not an error.
   */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    if (!this.records.has(name)) {
      if (opts.force) return;
      this.find(name);
    }
    await this.lock(name, async () => {
      const rec = this.records.get(name);
      if (!rec) {
        if (opts.force) return;
        this.find(name);
      }
      if (this.inUse(name)) throw new Conflict(`remove ${name}: volume is in use - [${this.usersOf(name).join(', ')}]`);
      await this.destroy(rec!);
    });
  }

  /** Removes a volume's directory; refuses while anything is still mounted inside it. */
  private async destroy(rec: VolumeRecord): Promise<void> {
    const dir = join(this.root, rec.Name);
    for (const m of mountsUnder(dir)) {
      try {
        unmountVolume(m);
      } catch (err) {
        throw opError('remove', rec.Name, err);
      }
    }
    if (mountsUnder(dir).length) throw opError('remove', rec.Name, new SystemError('volume is still mounted'));
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (err) {
      throw opError('remove', rec.Name, err);
    }
    this.records.delete(rec.Name);
    this.active.delete(rec.Name);
    this.emit('destroy', rec.Name, { driver: rec.Driver });
  }

  /** Removes the volume unless a container still references it (rm -v, a failed create). */
  async removeIfUnused(name: string): Promise<void> {
    await this.lock(name, async () => {
      const rec = this.records.get(name);
      if (!rec || this.inUse(name)) return;
      await this.destroy(rec);
    });
  }

  /**
   * POST /volumes/prune: unused local volumes without mount options; only anonymous ones unless
   * the `all` filter says otherwise (API 1.42+), further narrowed by label / label! filters.
   */
  async prune(filters: VolumeFilters = {}): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    checkFilters(filters, PRUNE_FILTERS);
    const all = filters.all ?? [];
    if (all.length > 1) throw new InvalidArgument(`invalid filter 'all=[${all.join(' ')}]': only one value is expected`);
    let labels = filters.label ?? [];
    const pruneAll = all.length === 1 && parseBoolStrict(all[0]!);
    if (!pruneAll) labels = [...labels, ANONYMOUS_LABEL];
    const notLabels = filters['label!'] ?? [];
    if (this.pruning) throw new Conflict('a prune operation is already running');
    this.pruning = true;
    try {
      const deleted: string[] = [];
      let space = 0;
      for (const rec of [...this.records.values()]) {
        if (rec.Driver !== LOCAL_DRIVER || this.inUse(rec.Name) || Object.keys(rec.Options ?? {}).length) continue;
        if (!labels.every((l) => labelMatches(rec.Labels, l))) continue;
        if (notLabels.length && notLabels.every((l) => labelMatches(rec.Labels, l))) continue;
        const size = (await diskUsage(this.dataPath(rec.Name)).catch(() => ({ size: 0 }))).size;
        try {
          await this.lock(rec.Name, async () => {
            if (this.inUse(rec.Name) || !this.records.has(rec.Name)) throw new Conflict('in use');
            await this.destroy(rec);
          });
        } catch {
          continue;
        }
        deleted.push(rec.Name);
        space += size;
      }
      this.emit('prune', '', { reclaimed: String(space) });
      return { VolumesDeleted: deleted, SpaceReclaimed: space };
    } finally {
      this.pruning = false;
    }
  }

  /** Local volumes without mount options, with their size and number of users (system df). */
  async usage(): Promise<VolumeView[]> {
    const out: VolumeView[] = [];
    for (const rec of this.records.values()) {
      if (rec.Driver !== LOCAL_DRIVER || Object.keys(rec.Options ?? {}).length) continue;
      const size = (await diskUsage(this.dataPath(rec.Name)).catch(() => ({ size: -1 }))).size;
      out.push({ ...this.view(rec), UsageData: { Size: size, RefCount: this.refs.get(rec.Name)?.size ?? 0 } });
    }
    return out.sort((a, b) => (a.Name < b.Name ? -1 : 1));
  }

  /**
   * Makes the volume's data available at its mountpoint for one user (`mountId`), mounting its
   * filesystem first when it has mount options and nothing has mounted it yet. `event` attributes
   * publish docker's mount event. Returns the host path.
   */
  async mount(name: string, mountId: string, event?: Record<string, string>): Promise<string> {
    return this.lock(name, async () => {
      const rec = this.records.get(name);
      if (!rec) throw new NotFound(`get ${name}: no such volume`);
      const path = this.dataPath(name);
      if (needsMount(rec.Options) && !isMountPoint(path)) {
        await mkdir(path, { recursive: true, mode: 0o755 });
        mountVolume(rec.Options!, path);
      }
      let s = this.active.get(name);
      if (!s) {
        s = new Set();
        this.active.set(name, s);
      }
      s.add(mountId);
      if (event) this.emit('mount', name, { driver: rec.Driver, ...event });
      return path;
    });
  }

  /**
   * Ends one user's mount; the last one unmounts a volume with mount options. Events are published
   * only for mounts this engine knew to be active.
   */
  async unmount(name: string, mountId: string, event?: Record<string, string>): Promise<void> {
    await this.lock(name, async () => {
      const rec = this.records.get(name);
      if (!rec) return;
      const s = this.active.get(name);
      const wasActive = s?.delete(mountId) ?? false;
      if (s && s.size === 0) this.active.delete(name);
      if (!this.active.has(name) && needsMount(rec.Options) && isMountPoint(this.dataPath(name))) {
        try {
          unmountVolume(this.dataPath(name));
        } catch (err) {
          throw new SystemError(`error while unmounting volume ${name}: ${messageOf(err)}`, { cause: err });
        }
      }
      if (wasActive && event) this.emit('unmount', name, { driver: rec.Driver, ...event });
    });
  }

  /** Copy-up: fills the volume from `from` (image content) if it is empty; see copyUp. */
  async populate(name: string, from: string): Promise<void> {
    const mountId = `populate-${randomBytes(6).toString('hex')}`;
    const path = await this.mount(name, mountId);
    try {
      await copyUp(from, path);
    } finally {
      await this.unmount(name, mountId);
    }
  }
}

/** A copy with keys in order, as Go encodes maps. */
function sortedMap(m: Record<string, string> | null): Record<string, string> | null {
  if (!m) return null;
  return Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]!]));
}

function parseBoolStrict(v: string): boolean {
  try {
    return parseBool('all', v);
  } catch {
    throw new InvalidArgument(`invalid filter 'all': strconv.ParseBool: parsing "${v}": invalid syntax`);
  }
}

