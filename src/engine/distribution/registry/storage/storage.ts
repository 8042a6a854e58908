/**
 * A registry's root: blobs/ (content by digest), repositories/ (what each repository holds),
 * uploads/ (uploads in progress) and tmp/ (files being written, renamed into place when whole).
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from './blobs.js';
import { RepositoryStore } from './repositories.js';
import { UploadStore } from './uploads.js';

export interface StorageOptions {
  /** Uploads untouched for this long are dropped (distribution: a week). */
  uploadMaxAgeMs?: number;
  /** At most this many uploads in progress; more get TOOMANYREQUESTS. */
  maxUploads?: number | undefined;
}

export const WEEK_MS = 7 * 24 * 3600 * 1000;

export class RegistryStorage {
  private constructor(
    readonly root: string,
    readonly blobs: BlobStore,
    readonly repos: RepositoryStore,
    readonly uploads: UploadStore,
    private readonly uploadMaxAgeMs: number,
  ) {}

  static async open(root: string, opts: StorageOptions = {}): Promise<RegistryStorage> {
    const tmp = join(root, 'tmp');
    for (const d of ['blobs', 'repositories', 'uploads', 'tmp']) await mkdir(join(root, d), { recursive: true });
    const blobs = new BlobStore(join(root, 'blobs'), tmp);
    const s = new RegistryStorage(root, blobs, new RepositoryStore(join(root, 'repositories'), tmp), new UploadStore(join(root, 'uploads'), tmp, blobs, opts.maxUploads ?? 10_000), opts.uploadMaxAgeMs ?? WEEK_MS);
    await s.cleanTemp();
    await s.uploads.load(s.uploadMaxAgeMs);
    return s;
  }

  /**
   * The stores of a root a server may be serving at the same time (garbage collection): nothing
   * is cleared, and uploads are left to the server.
   */
  static async attach(root: string): Promise<RegistryStorage> {
    const tmp = join(root, 'tmp');
    if (!(await stat(root).then((s) => s.isDirectory(), () => false))) throw new Error(`${root}: no such directory`);
    const blobs = new BlobStore(join(root, 'blobs'), tmp);
    return new RegistryStorage(root, blobs, new RepositoryStore(join(root, 'repositories'), tmp), new UploadStore(join(root, 'uploads'), tmp, blobs, 0), WEEK_MS);
  }

  /** Files left in tmp/ by a server that stopped while writing them: nothing refers to them. */
  private async cleanTemp(): Promise<void> {
    const tmp = join(this.root, 'tmp');
    for (const f of await readdir(tmp)) await rm(join(tmp, f), { recursive: true, force: true });
  }

  /** Drops stale uploads; the server calls it now and then. */
  purgeUploads(): Promise<string[]> {
    return this.uploads.load(this.uploadMaxAgeMs);
  }
}
