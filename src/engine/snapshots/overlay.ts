/**
 * The overlayfs snapshotter. Layout under its root:
 *   metadata.json            every snapshot: numeric id, kind, parent, labels (written atomically)
 *   snapshots/<id>/fs        the snapshot's own files (upperdir when active, a lowerdir once committed)
 *   snapshots/<id>/work      overlay workdir
 * Numeric dir names keep overlay mount data short when an image has many layers.
 */
import { lstat, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../core/fs-atomic.js';
import { Conflict, InvalidArgument, NotFound, isErrno } from '../../core/errors.js';
import { Mutex } from '../images/mutex.js';
import type { Mount } from './mount.js';
import type { Adoption, DirSnapshotter, Kind, LayerAdopter, SnapshotInfo, Usage } from './snapshotter.js';
import { randomBytes } from 'node:crypto';

interface Record_ {
  id: number;
  kind: Kind;
  parent?: string;
  labels: Record<string, string>;
  created: number;
  updated: number;
}

interface Metadata {
  nextId: number;
  snapshots: Record<string, Record_>;
}

export class OverlaySnapshotter implements DirSnapshotter, LayerAdopter {
  private readonly lock = new Mutex();

  /** Deletions of removed snapshots' files still running. */
  private readonly reaping = new Set<Promise<void>>();

  private constructor(readonly root: string, private meta: Metadata) {}

  /** Resolves once the files of removed snapshots are deleted. */
  async settled(): Promise<void> {
    while (this.reaping.size) await Promise.all(this.reaping);
  }

  static async open(root: string): Promise<OverlaySnapshotter> {
    await mkdir(join(root, 'snapshots'), { recursive: true });
    let meta: Metadata = { nextId: 1, snapshots: {} };
    try {
      meta = JSON.parse(await readFile(join(root, 'metadata.json'), 'utf8')) as Metadata;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    const s = new OverlaySnapshotter(root, meta);
    await s.collectGarbage();
    return s;
  }

  /** Removes snapshot dirs that no metadata refers to (left by a crash mid-prepare/remove). */
  private async collectGarbage(): Promise<void> {
    const known = new Set(Object.values(this.meta.snapshots).map((r) => String(r.id)));
    for (const d of await readdir(join(this.root, 'snapshots'))) {
      if (!known.has(d)) await rm(join(this.root, 'snapshots', d), { recursive: true, force: true });
    }
  }

  private async save(): Promise<void> {
    await writeJsonAtomic(join(this.root, 'metadata.json'), this.meta);
  }

  private get(key: string): Record_ {
    const r = this.meta.snapshots[key];
    if (!r) throw new NotFound(`snapshot ${key}: not found`);
    return r;
  }

  private dirOf(r: Record_): string {
    return join(this.root, 'snapshots', String(r.id));
  }

  /** The snapshot's own directory of files (the upper dir of an active snapshot). */
  async dir(key: string): Promise<string> {
    return join(this.dirOf(this.get(key)), 'fs');
  }

  /** Own-dir paths of key's committed ancestors, nearest first. */
  private lowerDirs(r: Record_): string[] {
    const out: string[] = [];
    let p = r.parent;
    while (p !== undefined) {
      const pr = this.get(p);
      out.push(join(this.dirOf(pr), 'fs'));
      p = pr.parent;
    }
    return out;
  }

  /** Own dirs of key's ancestors (nearest first), e.g. for diff and changes. */
  async parentDirs(key: string): Promise<string[]> {
    return this.lowerDirs(this.get(key));
  }

  private info(name: string, r: Record_): SnapshotInfo {
    const i: SnapshotInfo = { kind: r.kind, name, labels: { ...r.labels }, created: r.created, updated: r.updated };
    if (r.parent !== undefined) i.parent = r.parent;
    return i;
  }

  async stat(key: string): Promise<SnapshotInfo> {
    return this.info(key, this.get(key));
  }

  async walk(): Promise<SnapshotInfo[]> {
    return Object.entries(this.meta.snapshots).map(([k, r]) => this.info(k, r));
  }

  async usage(key: string): Promise<Usage> {
    const r = this.get(key);
    return diskUsage(join(this.dirOf(r), 'fs'));
  }

  private mountsOf(r: Record_): Mount[] {
    const dir = this.dirOf(r);
    const lowers = this.lowerDirs(r);
    if (r.kind === 'view') {
      if (lowers.length === 0) return [{ type: 'bind', source: join(dir, 'fs'), options: ['ro', 'rbind'] }];
      if (lowers.length === 1) return [{ type: 'bind', source: lowers[0]!, options: ['ro', 'rbind'] }];
      return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lowers.join(':')}`] }];
    }
    if (r.kind === 'committed') {
      // Only for inspection: a committed snapshot is mounted read-only.
      const all = [join(dir, 'fs'), ...lowers];
      if (all.length === 1) return [{ type: 'bind', source: all[0]!, options: ['ro', 'rbind'] }];
      return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${all.join(':')}`] }];
    }
    if (lowers.length === 0) return [{ type: 'bind', source: join(dir, 'fs'), options: ['rw', 'rbind'] }];
    return [{
      type: 'overlay', source: 'overlay',
      options: [`lowerdir=${lowers.join(':')}`, `upperdir=${join(dir, 'fs')}`, `workdir=${join(dir, 'work')}`],
    }];
  }

  async mounts(key: string): Promise<Mount[]> {
    return this.mountsOf(this.get(key));
  }

  prepare(key: string, parent: string | null, opts?: { labels?: Record<string, string> }): Promise<Mount[]> {
    return this.create('active', key, parent, opts?.labels);
  }

  view(key: string, parent: string | null, opts?: { labels?: Record<string, string> }): Promise<Mount[]> {
    return this.create('view', key, parent, opts?.labels);
  }

  private create(kind: Kind, key: string, parent: string | null, labels: Record<string, string> = {}): Promise<Mount[]> {
    return this.lock.run(async () => {
      if (!key) throw new InvalidArgument('snapshot key must not be empty');
      if (this.meta.snapshots[key]) throw new Conflict(`snapshot ${key}: already exists`);
      if (parent !== null) {
        const p = this.meta.snapshots[parent];
        if (!p) throw new NotFound(`parent snapshot ${parent}: not found`);
        if (p.kind !== 'committed') throw new InvalidArgument(`parent snapshot ${parent} is not committed`);
      }
      const id = this.meta.nextId++;
      const dir = join(this.root, 'snapshots', String(id));
      const tmp = `${dir}.tmp`;
      try {
        // Three small calls, synchronous: cheaper than three trips through libuv's threads.
        mkdirSync(join(tmp, 'fs'), { recursive: true, mode: 0o755 });
        if (kind === 'active') mkdirSync(join(tmp, 'work'), { mode: 0o700 });
        renameSync(tmp, dir);
        const now = Date.now();
        const r: Record_ = { id, kind, labels: { ...labels }, created: now, updated: now };
        if (parent !== null) r.parent = parent;
        this.meta.snapshots[key] = r;
        await this.save();
        return this.mountsOf(r);
      } catch (err) {
        delete this.meta.snapshots[key];
        await rm(tmp, { recursive: true, force: true });
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    });
  }

  /**
   * A committed snapshot made in one step (one metadata write): fill() writes its files into its
   * own dir, seeing the parent's dirs (nearest first), before it is registered. For small layers
   * the engine makes itself, such as a container's init layer.
   */
  createCommitted(name: string, parent: string | null, fill: (dir: string, lowers: string[]) => Promise<void>, labels: Record<string, string> = {}): Promise<void> {
    return this.lock.run(async () => {
      if (!name) throw new InvalidArgument('snapshot key must not be empty');
      if (this.meta.snapshots[name]) throw new Conflict(`snapshot ${name}: already exists`);
      const p = parent === null ? undefined : this.meta.snapshots[parent];
      if (parent !== null && !p) throw new NotFound(`parent snapshot ${parent}: not found`);
      if (p && p.kind !== 'committed') throw new InvalidArgument(`parent snapshot ${parent} is not committed`);
      const id = this.meta.nextId++;
      const dir = join(this.root, 'snapshots', String(id));
      const tmp = `${dir}.tmp`;
      try {
        await mkdir(join(tmp, 'fs'), { recursive: true, mode: 0o755 });
        await fill(join(tmp, 'fs'), p ? [join(this.dirOf(p), 'fs'), ...this.lowerDirs(p)] : []);
        await rename(tmp, dir);
        const now = Date.now();
        const r: Record_ = { id, kind: 'committed', labels: { ...labels }, created: now, updated: now };
        if (parent !== null) r.parent = parent;
        this.meta.snapshots[name] = r;
        await this.save();
      } catch (err) {
        delete this.meta.snapshots[name];
        await rm(tmp, { recursive: true, force: true });
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    });
  }

  async scratch(): Promise<string> {
    const dir = join(this.root, 'snapshots', `scratch-${randomBytes(8).toString('hex')}`);
    await mkdir(join(dir, 'fs'), { recursive: true, mode: 0o755 });
    return dir;
  }

  adopt(items: readonly Adoption[]): Promise<boolean[]> {
    return this.lock.run(async () => {
      const added: Array<{ name: string; from: string; to: string }> = [];
      const out: boolean[] = [];
      const dropped: string[] = [];
      try {
        for (const it of items) {
          if (this.meta.snapshots[it.name]) {
            out.push(false);
            dropped.push(it.scratch);
            continue;
          }
          if (it.parent !== null) {
            const p = this.meta.snapshots[it.parent];
            if (!p) throw new NotFound(`parent snapshot ${it.parent}: not found`);
            if (p.kind !== 'committed') throw new InvalidArgument(`parent snapshot ${it.parent} is not committed`);
          }
          const id = this.meta.nextId++;
          const to = join(this.root, 'snapshots', String(id));
          await rename(it.scratch, to);
          added.push({ name: it.name, from: it.scratch, to });
          const now = Date.now();
          const r: Record_ = { id, kind: 'committed', labels: { ...it.labels }, created: now, updated: now };
          if (it.parent !== null) r.parent = it.parent;
          this.meta.snapshots[it.name] = r;
          out.push(true);
        }
        if (added.length) await this.save();
      } catch (err) {
        for (const a of added.reverse()) {
          delete this.meta.snapshots[a.name];
          await rename(a.to, a.from).catch(() => rm(a.to, { recursive: true, force: true }));
        }
        throw err;
      }
      for (const d of dropped) await rm(d, { recursive: true, force: true });
      return out;
    });
  }

  commit(name: string, key: string, opts?: { labels?: Record<string, string> }): Promise<void> {
    return this.lock.run(async () => {
      const r = this.get(key);
      if (r.kind !== 'active') throw new InvalidArgument(`snapshot ${key} is not active`);
      if (this.meta.snapshots[name]) throw new Conflict(`snapshot ${name}: already exists`);
      const committed: Record_ = { ...r, kind: 'committed', updated: Date.now(), labels: { ...r.labels, ...opts?.labels } };
      delete this.meta.snapshots[key];
      this.meta.snapshots[name] = committed;
      try {
        await this.save();
      } catch (err) {
        delete this.meta.snapshots[name];
        this.meta.snapshots[key] = r;
        throw err;
      }
      // The work dir of a committed snapshot is never used again.
      await rm(join(this.dirOf(r), 'work'), { recursive: true, force: true });
    });
  }

  remove(key: string): Promise<void> {
    return this.lock.run(async () => {
      const r = this.get(key);
      const child = Object.entries(this.meta.snapshots).find(([, c]) => c.parent === key);
      if (child) throw new Conflict(`cannot remove snapshot ${key}: snapshot ${child[0]} depends on it`);
      delete this.meta.snapshots[key];
      try {
        await this.save();
      } catch (err) {
        this.meta.snapshots[key] = r;
        throw err;
      }
      // Renamed, the snapshot is gone for every reader; its files are deleted after the answer
      // (a container's upper dir can be large). A crash during the delete leaves an
      // unreferenced dir that the next open collects.
      const dir = this.dirOf(r);
      const doomed = `${dir}.removing`;
      try {
        await rename(dir, doomed);
      } catch {
        await rm(dir, { recursive: true, force: true });
        return;
      }
      const reaped = rm(doomed, { recursive: true, force: true }).catch(() => {}).finally(() => this.reaping.delete(reaped));
      this.reaping.add(reaped);
    });
  }
}

/** Bytes and inodes under dir, each hardlinked inode counted once (docker's directory.Size). */
export async function diskUsage(dir: string): Promise<Usage> {
  const seen = new Set<string>();
  let size = 0;
  let inodes = 0;
  const walk = async (p: string): Promise<void> => {
    const st = await lstat(p, { bigint: false });
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    inodes++;
    if (st.isDirectory()) {
      for (const e of await readdir(p)) await walk(join(p, e));
    } else {
      size += st.size;
    }
  };
  try {
    await walk(dir);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  return { size, inodes };
}
