/**
 * Content-addressed blob store, split as containerd's: a Provider reads, an Ingester writes
 * (verified before commit), a Manager lists and deletes. Code that only reads takes a Provider.
 *
 * Layout: <root>/blobs/sha256/<hex> for committed blobs, <root>/ingest/<random> for writes in
 * progress. A blob appears under blobs/ only by rename after fsync and digest verification, so a
 * reader never sees partial or wrong content.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isDigest, hexOf, type Digest } from '../../core/digest.js';
import { InvalidArgument, NotFound, isErrno } from '../../core/errors.js';

export interface Info {
  digest: Digest;
  size: number;
  /** Commit time, unix ms. */
  createdAt: number;
}

export interface Provider {
  /** Size and time of a blob; NotFound when absent. */
  info(digest: Digest): Promise<Info>;
  /** A stream of the blob's bytes from `offset`. */
  readStream(digest: Digest, opts?: { offset?: number }): Promise<Readable>;
  readBuffer(digest: Digest): Promise<Buffer>;
}

export interface Expected {
  digest?: Digest;
  size?: number;
}

/** One write in progress. Either commit or abort it; a failed commit removes the data. */
export interface Writer {
  readonly offset: number;
  write(chunk: Uint8Array | string): Promise<void>;
  /** The digest of what was written so far. */
  digest(): Digest;
  commit(expected?: Expected): Promise<Info>;
  abort(): Promise<void>;
}

export interface Ingester {
  writer(opts?: { signal?: AbortSignal }): Promise<Writer>;
  /** Streams a source into the store, verifying it against `expected`. */
  writeStream(source: AsyncIterable<Uint8Array | string>, expected?: Expected, opts?: { signal?: AbortSignal }): Promise<Info>;
  writeBlob(data: Uint8Array | string, expected?: Digest): Promise<Info>;
}

export interface Manager {
  delete(digest: Digest): Promise<void>;
  walk(): AsyncIterable<Info>;
  list(): Promise<Info[]>;
}

export interface ContentStore extends Provider, Ingester, Manager {}

/** Writes a source into any ingester; shared by every implementation. */
export async function ingest(store: Pick<Ingester, 'writer'>, source: AsyncIterable<Uint8Array | string>, expected?: Expected, opts?: { signal?: AbortSignal }): Promise<Info> {
  const w = await store.writer(opts);
  try {
    for await (const chunk of source) {
      opts?.signal?.throwIfAborted();
      await w.write(chunk);
    }
    return await w.commit(expected);
  } catch (err) {
    await w.abort();
    throw err;
  }
}

/** Whether a provider holds the blob (info without the NotFound). */
export async function hasContent(p: Pick<Provider, 'info'>, digest: Digest): Promise<boolean> {
  try {
    await p.info(digest);
    return true;
  } catch (err) {
    if (err instanceof NotFound) return false;
    throw err;
  }
}

function checkDigest(d: string): Digest {
  if (!isDigest(d)) throw new InvalidArgument(`invalid digest: ${d}`);
  return d;
}

/**
 * A large blob's data is flushed while it is written (a data sync every this many bytes, in the
 * background), so the fsync of the commit has little left to write: 100 MiB written and then
 * synced waits ~120 ms here, most of it avoided.
 */
const SYNC_EVERY = 16 << 20;

class FileWriter implements Writer {
  private hash: Hash = createHash('sha256');
  private done = false;
  private unsynced = 0;
  private syncing: Promise<void> = Promise.resolve();
  private syncError: { err: unknown } | undefined;
  offset = 0;
  constructor(private readonly store: LocalContentStore, private readonly fh: FileHandle, private readonly path: string, private readonly signal?: AbortSignal) {}

  private syncBehind(): void {
    this.unsynced = 0;
    this.syncing = this.syncing.then(() => this.fh.datasync()).catch((err: unknown) => { this.syncError ??= { err }; });
  }

  async write(chunk: Uint8Array | string): Promise<void> {
    if (this.done) throw new Error('content writer: write after commit/abort');
    this.signal?.throwIfAborted();
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.hash.update(buf);
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
    this.offset += buf.length;
    this.unsynced += buf.length;
    if (this.unsynced >= SYNC_EVERY) this.syncBehind();
  }

  digest(): Digest {
    return `sha256:${this.hash.copy().digest('hex')}`;
  }

  async commit(expected?: Expected): Promise<Info> {
    if (this.done) throw new Error('content writer: already committed or aborted');
    const digest = this.digest();
    try {
      if (expected?.size !== undefined && expected.size !== this.offset) {
        throw new InvalidArgument(`unexpected commit size ${this.offset}, expected ${expected.size}`);
      }
      if (expected?.digest !== undefined && expected.digest !== digest) {
        throw new InvalidArgument(`unexpected commit digest ${digest}, expected ${expected.digest}`);
      }
      await this.syncing;
      if (this.syncError) throw this.syncError.err;
      await this.fh.sync();
      await this.fh.close();
      this.done = true;
      const target = this.store.blobPath(digest);
      await rename(this.path, target);
      await this.store.syncDir(join(this.store.root, 'blobs', 'sha256'));
      const st = await stat(target);
      return { digest, size: st.size, createdAt: st.mtimeMs };
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.syncing;
      await this.fh.close().catch(() => {});
    }
    await unlink(this.path).catch(() => {});
  }
}

export class LocalContentStore implements ContentStore {
  private constructor(readonly root: string) {}

  static async open(root: string): Promise<LocalContentStore> {
    await mkdir(join(root, 'blobs', 'sha256'), { recursive: true });
    await mkdir(join(root, 'ingest'), { recursive: true });
    // Writes interrupted by a crash are garbage: nobody can resume them.
    for (const f of await readdir(join(root, 'ingest'))) await rm(join(root, 'ingest', f), { force: true, recursive: true });
    return new LocalContentStore(root);
  }

  blobPath(digest: Digest): string {
    return join(this.root, 'blobs', 'sha256', hexOf(checkDigest(digest)));
  }

  async syncDir(dir: string): Promise<void> {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async info(digest: Digest): Promise<Info> {
    try {
      const st = await stat(this.blobPath(digest));
      return { digest, size: st.size, createdAt: st.mtimeMs };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFound(`content ${digest}: not found`);
      throw err;
    }
  }

  async has(digest: Digest): Promise<boolean> {
    return this.info(digest).then(() => true, (err: unknown) => (err instanceof NotFound ? false : Promise.reject(err)));
  }

  async readStream(digest: Digest, opts?: { offset?: number }): Promise<Readable> {
    const path = this.blobPath(digest);
    const fh = await open(path, 'r').catch((err: unknown) => {
      throw isErrno(err, 'ENOENT') ? new NotFound(`content ${digest}: not found`) : err;
    });
    return createReadStream('', { fd: fh, start: opts?.offset ?? 0, highWaterMark: 1 << 20 });
  }

  async readBuffer(digest: Digest): Promise<Buffer> {
    try {
      return await readFile(this.blobPath(digest));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFound(`content ${digest}: not found`);
      throw err;
    }
  }

  async writer(opts?: { signal?: AbortSignal }): Promise<Writer> {
    opts?.signal?.throwIfAborted();
    const path = join(this.root, 'ingest', randomBytes(12).toString('hex'));
    const fh = await open(path, 'wx', 0o644);
    return new FileWriter(this, fh, path, opts?.signal);
  }

  writeStream(source: AsyncIterable<Uint8Array | string>, expected?: Expected, opts?: { signal?: AbortSignal }): Promise<Info> {
    return ingest(this, source, expected, opts);
  }

  async writeBlob(data: Uint8Array | string, expected?: Digest): Promise<Info> {
    const w = await this.writer();
    try {
      await w.write(data);
      return await w.commit(expected ? { digest: expected } : undefined);
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  async delete(digest: Digest): Promise<void> {
    try {
      await unlink(this.blobPath(digest));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFound(`content ${digest}: not found`);
      throw err;
    }
  }

  async *walk(): AsyncIterable<Info> {
    const dir = join(this.root, 'blobs', 'sha256');
    for (const hex of (await readdir(dir)).sort()) {
      const digest = `sha256:${hex}`;
      if (!isDigest(digest)) continue;
      try {
        const st = await stat(join(dir, hex));
        yield { digest, size: st.size, createdAt: st.mtimeMs };
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err; // deleted while walking
      }
    }
  }

  async list(): Promise<Info[]> {
    const out: Info[] = [];
    for await (const i of this.walk()) out.push(i);
    return out;
  }
}
