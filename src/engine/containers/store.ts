import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../core/fs-atomic.js';
import { discard, sweepTrash } from '../../core/trash.js';
import { Conflict, NotFound, isErrno } from '../../core/errors.js';
import type { ContainerRecord } from './model.js';

/**
 * Container records on disk (`<root>/<id>/config.v2.json`) and in memory, with the name index.
 * Writes to one container's record are serialised so a slow write never lands after a newer one.
 */
export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly byName = new Map<string, string>();
  private readonly writes = new Map<string, Promise<void>>();

  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  async load(): Promise<ContainerRecord[]> {
    await mkdir(this.root, { recursive: true });
    const out: ContainerRecord[] = [];
    sweepTrash(this.root);
    for (const id of await readdir(this.root)) {
      try {
        const rec = JSON.parse(await readFile(join(this.root, id, 'config.v2.json'), 'utf8')) as ContainerRecord;
        this.byId.set(rec.Id, rec);
        this.byName.set(rec.Name, rec.Id);
        out.push(rec);
      } catch (err) {
        // A directory without a record is what a crash during create leaves: remove it.
        if (isErrno(err, 'ENOENT')) await rm(join(this.root, id), { recursive: true, force: true });
      }
    }
    return out;
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  /** Finds a container as docker does: full ID, name (with or without '/'), or unique ID prefix. */
  find(ref: string): ContainerRecord | undefined {
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const byName = this.byName.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return this.byId.get(byName);
    if (ref.length === 0 || !/^[a-f0-9]+$/.test(ref)) return undefined;
    let found: ContainerRecord | undefined;
    for (const [id, rec] of this.byId) {
      if (id.startsWith(ref)) {
        if (found) throw new NotFound(`Multiple IDs found with provided prefix: ${ref}`);
        found = rec;
      }
    }
    return found;
  }

  get(ref: string): ContainerRecord {
    const rec = this.find(ref);
    if (!rec) throw new NotFound(`No such container: ${ref}`);
    return rec;
  }

  /** Claims a name (`/x`) for a container; docker's 409 when another holds it. */
  reserveName(name: string, id: string): void {
    const holder = this.byName.get(name);
    if (holder && holder !== id) {
      throw new Conflict(
        `Conflict. The container name "${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    this.byName.set(name, id);
  }

  releaseName(name: string, id: string): void {
    if (this.byName.get(name) === id) this.byName.delete(name);
  }

  hasName(name: string): boolean {
    return this.byName.has(name);
  }

  async add(rec: ContainerRecord): Promise<void> {
    this.reserveName(rec.Name, rec.Id);
    this.byId.set(rec.Id, rec);
    await mkdir(this.dir(rec.Id), { recursive: true });
    await this.save(rec);
  }

  /** Persists the record's current in-memory state; writes for one container stay in order. */
  save(rec: ContainerRecord): Promise<void> {
    const prev = this.writes.get(rec.Id) ?? Promise.resolve();
    const next = prev.then(async () => {
      if (!this.byId.has(rec.Id)) return;
      await writeJsonAtomic(join(this.dir(rec.Id), 'config.v2.json'), rec);
    });
    const tracked = next.catch(() => {});
    this.writes.set(rec.Id, tracked);
    void tracked.then(() => {
      if (this.writes.get(rec.Id) === tracked) this.writes.delete(rec.Id);
    });
    return next;
  }

  /** Resolves once every write started so far has landed (before the engine exits). */
  async flush(): Promise<void> {
    await Promise.all([...this.writes.values()]);
  }

  async delete(rec: ContainerRecord): Promise<void> {
    this.byId.delete(rec.Id);
    this.releaseName(rec.Name, rec.Id);
    await this.writes.get(rec.Id);
    await discard(this.dir(rec.Id));
  }
}
