import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../core/fs-atomic.js';
import { InvalidArgument, NotFound, isErrno } from '../../core/errors.js';
import type { NetworkRecord } from './model.js';

/** Network records (`<root>/networks.json`), found by ID, name or unique ID prefix as docker does. */
export class NetworkStore {
  private readonly byId = new Map<string, NetworkRecord>();
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly root: string) {}

  private get file(): string {
    return join(this.root, 'networks.json');
  }

  async load(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    try {
      const list = JSON.parse(await readFile(this.file, 'utf8')) as NetworkRecord[];
      for (const n of list) this.byId.set(n.Id, n);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }

  all(): NetworkRecord[] {
    return [...this.byId.values()];
  }

  find(ref: string): NetworkRecord | undefined {
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const named = this.all().find((n) => n.Name === ref);
    if (named) return named;
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const hits = this.all().filter((n) => n.Id.startsWith(ref));
    if (hits.length > 1) throw new InvalidArgument(`network ${ref} is ambiguous (${hits.length} matches found based on ID prefix)`);
    return hits[0];
  }

  get(ref: string): NetworkRecord {
    const n = this.find(ref);
    if (!n) throw new NotFound(`network ${ref} not found`);
    return n;
  }

  private persist(): Promise<void> {
    const snapshot = this.all();
    this.writes = this.writes.then(() => writeJsonAtomic(this.file, snapshot), () => writeJsonAtomic(this.file, snapshot));
    return this.writes;
  }

  put(n: NetworkRecord): Promise<void> {
    this.byId.set(n.Id, n);
    return this.persist();
  }

  delete(n: NetworkRecord): Promise<void> {
    this.byId.delete(n.Id);
    return this.persist();
  }
}
