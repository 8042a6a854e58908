/**
 * Blob uploads in progress, on disk so that they survive a restart and can be resumed:
 *
 *   uploads/<id>/data        the bytes received so far
 *   uploads/<id>/state.json  {repo, startedAt, offset}: the offset of the last request that ended
 *
 * The sha256 of the data is kept in memory as it streams in; after a restart (or a request that
 * broke off mid-body) it is computed again from the file, truncated first to the recorded offset
 * so a chunk half received when the server died is not taken for data. A finished upload is
 * verified against the digest the client gives, synced, and only then renamed into the blob
 * store, so a wrong or half-finished upload is never served. The progress records are written
 * whole (temp + rename) but not synced on each chunk: a crash that loses one only loses progress
 * (the client sends again from the offset it is told), and whatever the data holds is checked
 * against its digest before it counts. Each upload's requests run one at a time.
 */
import { randomUUID, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isErrno } from '../../../../core/errors.js';
import { Mutex } from '../../../images/mutex.js';
import { regError } from '../errors.js';
import { newHash, type Algorithm, type ParsedDigest } from '../names.js';
import type { BlobStore } from './blobs.js';
import { readJson, writeAtomic } from './files.js';

interface UploadState {
  repo: string;
  startedAt: number;
  offset: number;
}

/** One upload, while a request holds it. */
export interface Upload {
  readonly id: string;
  readonly repo: string;
  readonly startedAt: number;
  /** Bytes received (by the requests that ended). */
  readonly offset: number;
}

interface Live {
  id: string;
  state: UploadState;
  /** sha256 of data[0, offset), or undefined until computed again from the file. */
  hash: Hash | undefined;
  lock: Mutex;
}

/** Bytes gathered before one write: large writes, while the next batch is read meanwhile. */
const BATCH = 1 << 20;
/**
 * A long body is flushed to disk as it comes, this much at a time, so that the sync before the
 * upload is committed finds little left to write (100 MiB took 80 ms to sync at the end).
 */
const SYNC_EVERY = 16 << 20;

async function writeAll(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  let pos = position;
  const rest = [...bufs];
  while (rest.length) {
    let n = (await fh.writev(rest, pos)).bytesWritten;
    pos += n;
    // a short write: go on from where it stopped
    while (rest.length && n >= rest[0]!.length) n -= rest.shift()!.length;
    if (n > 0) rest[0] = rest[0]!.subarray(n);
  }
}

/**
 * Streams `source` into the file at `position`, hashing as it goes; one batch is written while
 * the next is read. Everything read is written before this returns or throws.
 */
async function writeHashed(source: Readable, fh: FileHandle, position: number, hash: Hash): Promise<number> {
  let pending: Promise<void> = Promise.resolve();
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let pos = position;
  let received = 0;
  let unsynced = 0;
  let syncing: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    await pending;
    const b = batch;
    const at = pos;
    pos += batchBytes;
    unsynced += batchBytes;
    batch = [];
    batchBytes = 0;
    pending = writeAll(fh, b, at);
    pending.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    if (unsynced >= SYNC_EVERY) {
      unsynced = 0;
      await syncing;
      syncing = fh.datasync().catch(() => {}); // a hint: the sync that counts is the commit's
    }
  };
  try {
    for await (const chunk of source) {
      const c = chunk as Buffer;
      hash.update(c);
      received += c.length;
      batch.push(c);
      batchBytes += c.length;
      if (batchBytes >= BATCH) await flush();
    }
  } catch (err) {
    await flush().catch(() => {});
    await pending.catch(() => {});
    await syncing;
    throw err;
  }
  await flush();
  await pending;
  await syncing;
  return received;
}

const ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class UploadStore {
  private readonly live = new Map<string, Live>();
  private readonly locks = new Map<string, Mutex>();
  private ids = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly tmpDir: string,
    private readonly blobs: BlobStore,
    private readonly maxUploads: number,
  ) {}

  /** Drops uploads nobody can resume (no state: the server died creating them) or older than maxAgeMs. */
  async load(maxAgeMs: number): Promise<string[]> {
    const removed: string[] = [];
    this.ids = new Set();
    let entries: string[] = [];
    try {
      entries = await readdir(this.dir);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    for (const id of entries) {
      const state = ID_RE.test(id) ? await readJson<UploadState>(join(this.dir, id, 'state.json')) : undefined;
      let stale = state === undefined;
      if (state && Date.now() - state.startedAt > maxAgeMs) {
        const st = await stat(join(this.dir, id, 'state.json')).catch(() => undefined);
        stale = !st || Date.now() - st.mtimeMs > maxAgeMs;
      }
      if (stale && !this.live.has(id)) {
        await rm(join(this.dir, id), { recursive: true, force: true });
        removed.push(id);
      } else this.ids.add(id);
    }
    return removed;
  }

  get count(): number {
    return this.ids.size;
  }

  async create(repo: string): Promise<Upload> {
    if (this.ids.size >= this.maxUploads) throw regError('TOOMANYREQUESTS', { reason: `${this.maxUploads} uploads in progress` });
    const id = randomUUID();
    const dir = join(this.dir, id);
    await mkdir(dir);
    await writeFile(join(dir, 'data'), '', { flag: 'wx', mode: 0o644 });
    const state: UploadState = { repo, startedAt: Date.now(), offset: 0 };
    // A new file (no rename needed): one a crash leaves torn reads as no state, and is dropped.
    await writeFile(join(dir, 'state.json'), JSON.stringify(state), { flag: 'wx', mode: 0o644 });
    this.ids.add(id);
    this.live.set(id, { id, state, hash: newHash('sha256'), lock: this.lockOf(id) });
    return { id, ...state };
  }

  private lockOf(id: string): Mutex {
    let m = this.locks.get(id);
    if (!m) this.locks.set(id, (m = new Mutex()));
    return m;
  }

  /** Runs fn with the upload `id` of `repo` held; BLOB_UPLOAD_UNKNOWN when there is none. */
  with<T>(repo: string, id: string, fn: (u: UploadHandle) => Promise<T>): Promise<T> {
    if (!ID_RE.test(id)) return Promise.reject(regError('BLOB_UPLOAD_UNKNOWN', { uuid: id }));
    return this.lockOf(id).run(async () => {
      const live = await this.revive(id);
      if (!live || live.state.repo !== repo) throw regError('BLOB_UPLOAD_UNKNOWN', { uuid: id });
      return fn(new UploadHandle(this, live));
    });
  }

  /** The upload as the server knows it; after a restart from disk, its data cut to the recorded offset. */
  private async revive(id: string): Promise<Live | undefined> {
    const known = this.live.get(id);
    if (known) return known;
    const state = await readJson<UploadState>(join(this.dir, id, 'state.json'));
    if (!state) return undefined;
    const fh = await open(this.dataPath(id), 'r+').catch(() => undefined);
    if (!fh) return undefined;
    try {
      // Bytes past the recorded offset are a chunk half received when the server stopped.
      const { size } = await fh.stat();
      if (size > state.offset) await fh.truncate(state.offset);
      else state.offset = size;
    } finally {
      await fh.close();
    }
    const live: Live = { id, state, hash: undefined, lock: this.lockOf(id) };
    this.live.set(id, live);
    this.ids.add(id);
    return live;
  }

  dataPath(id: string): string {
    return join(this.dir, id, 'data');
  }

  async saveState(live: Live): Promise<void> {
    await writeAtomic(this.tmpDir, join(this.dir, live.id, 'state.json'), JSON.stringify(live.state), { durable: false });
  }

  async hashOf(live: Live, algorithm: Algorithm): Promise<string> {
    if (algorithm === 'sha256' && live.hash) return `sha256:${live.hash.copy().digest('hex')}`;
    const h = newHash(algorithm);
    if (live.state.offset > 0) {
      for await (const c of createReadStream(this.dataPath(live.id), { end: live.state.offset - 1, highWaterMark: 1 << 20 })) h.update(c as Buffer);
    }
    if (algorithm === 'sha256') live.hash = h.copy();
    return `${algorithm}:${h.digest('hex')}`;
  }

  async drop(live: Live): Promise<void> {
    this.live.delete(live.id);
    this.ids.delete(live.id);
    this.locks.delete(live.id);
    await rm(join(this.dir, live.id), { recursive: true, force: true });
  }

  /** Syncs the verified data and moves it into the blob store. */
  async commit(live: Live, d: ParsedDigest): Promise<void> {
    const fh = await open(this.dataPath(live.id), 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.blobs.commitFile(this.dataPath(live.id), d);
  }
}

/** An upload held by one request. */
export class UploadHandle implements Upload {
  constructor(
    private readonly store: UploadStore,
    private readonly live: Live,
  ) {}

  get id(): string {
    return this.live.id;
  }
  get repo(): string {
    return this.live.state.repo;
  }
  get startedAt(): number {
    return this.live.state.startedAt;
  }
  get offset(): number {
    return this.live.state.offset;
  }

  /**
   * Appends a request body. What arrived is kept even when the body breaks off (the client may
   * resume from the offset the status request reports); a body of another length than
   * `expectLength` (a chunk's Content-Range) is taken back whole, with SIZE_INVALID.
   */
  async append(source: Readable, expectLength?: number): Promise<number> {
    const live = this.live;
    const before = live.state.offset;
    const fh: FileHandle = await open(this.store.dataPath(live.id), 'r+');
    let received = 0;
    let failed: unknown;
    try {
      if (live.hash === undefined) await this.store.hashOf(live, 'sha256');
      try {
        received = await writeHashed(source, fh, before, live.hash!);
      } catch (err) {
        failed = err;
      }
      if (failed === undefined && expectLength !== undefined && received !== expectLength) {
        failed = regError('SIZE_INVALID', { expected: expectLength, received });
        await fh.truncate(before);
        live.state.offset = before;
        live.hash = undefined;
      } else if (failed === undefined) {
        live.state.offset = before + received;
      } else {
        // What reached the file is the truth; the hash may have seen a chunk that did not.
        live.state.offset = (await fh.stat()).size;
        live.hash = undefined;
      }
    } finally {
      await fh.close();
    }
    await this.store.saveState(live);
    if (failed !== undefined) throw failed;
    return received;
  }

  /**
   * Verifies the data against every digest given and moves it into the blob store under the
   * first; a mismatch ends the upload (distribution cancels it too) with DIGEST_INVALID.
   */
  async finish(digests: ParsedDigest[]): Promise<number> {
    for (const d of digests) {
      const got = await this.store.hashOf(this.live, d.algorithm);
      if (got !== d.digest) {
        await this.store.drop(this.live);
        throw regError('DIGEST_INVALID', { expected: d.digest, got });
      }
    }
    const size = this.live.state.offset;
    await this.store.commit(this.live, digests[0]!);
    await this.store.drop(this.live);
    return size;
  }

  cancel(): Promise<void> {
    return this.store.drop(this.live);
  }
}
