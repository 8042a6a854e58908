/**
 * The registry's blobs, stored once by digest whatever repository they were pushed to:
 * blobs/<algorithm>/<first two hex>/<hex>. A blob file appears only by rename of a synced file
 * whose digest was verified while it was written, so whatever is there is whole and right.
 *
 * Why not the engine's content store (../../../content/store.ts): the registry also stores sha512
 * content, and its uploads must survive a restart and resume, which the store's writers do not.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isErrno } from '../../../../core/errors.js';
import { newHash, tryParseDigest, type Algorithm, type ParsedDigest } from '../names.js';
import { removeFile, renameInto, tempPath, touch } from './files.js';

export interface BlobInfo {
  digest: string;
  size: number;
  /** Last written or linked, unix ms: garbage collection spares what is recent. */
  mtimeMs: number;
}

/** An open blob: its size from the open file, so a concurrent delete cannot make it lie. */
export interface OpenBlob {
  size: number;
  stream(start?: number, end?: number): Readable;
  close(): Promise<void>;
}

export class BlobStore {
  constructor(
    private readonly dir: string,
    private readonly tmpDir: string,
  ) {}

  path(d: ParsedDigest): string {
    return join(this.dir, d.algorithm, d.hex.slice(0, 2), d.hex);
  }

  async stat(d: ParsedDigest): Promise<BlobInfo | undefined> {
    try {
      const st = await stat(this.path(d));
      return { digest: d.digest, size: st.size, mtimeMs: st.mtimeMs };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async open(d: ParsedDigest): Promise<OpenBlob | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(this.path(d), 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    const { size } = await fh.stat();
    let streamed = false;
    return {
      size,
      stream: (start = 0, end = size - 1) => {
        streamed = true;
        // the stream owns the handle from here and closes it when done or destroyed
        return createReadStream('', { fd: fh, start, end, highWaterMark: 1 << 20, autoClose: true });
      },
      close: async () => {
        if (!streamed) await fh.close();
      },
    };
  }

  read(d: ParsedDigest): Promise<Buffer> {
    return readFile(this.path(d));
  }

  /** Marks a blob as just used; false when it is not there. */
  touch(d: ParsedDigest): Promise<boolean> {
    return touch(this.path(d));
  }

  /**
   * Moves a synced file whose content has digest `d` into place (replacing an equal one). Its
   * directory is not synced here, once a layer: a crash may lose the rename, never the content's
   * integrity, and what makes a blob matter (a manifest's record, synced with its directory)
   * comes after it and commits the file system's journal, this rename with it.
   */
  async commitFile(file: string, d: ParsedDigest): Promise<void> {
    await renameInto(file, this.path(d), false);
  }

  /** Stores bytes already in memory (manifests), verified against `d`. */
  async put(d: ParsedDigest, data: Uint8Array): Promise<void> {
    const w = this.writer(d.algorithm);
    try {
      await w.write(data);
      await w.commit(d);
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  /** A writer of one blob whose digest is known before (pull-through fetches, manifests). */
  writer(algorithm: Algorithm): BlobWriter {
    return new BlobWriter(this, tempPath(this.tmpDir), algorithm);
  }

  async delete(d: ParsedDigest): Promise<boolean> {
    return removeFile(this.path(d));
  }

  /** Every blob, for garbage collection. */
  async *walk(): AsyncIterable<BlobInfo> {
    for (const algorithm of ['sha256', 'sha512'] as const) {
      const algDir = join(this.dir, algorithm);
      for (const prefix of await readdirOrEmpty(algDir)) {
        for (const hex of await readdirOrEmpty(join(algDir, prefix))) {
          const d = tryParseDigest(`${algorithm}:${hex}`);
          if (!d) continue;
          const info = await this.stat(d);
          if (info) yield info;
        }
      }
    }
  }
}

export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return [];
    throw err;
  }
}

/** Writes one blob to a temporary file, hashing as it goes; commit verifies and renames. */
export class BlobWriter {
  private fh: FileHandle | undefined;
  private readonly hash;
  size = 0;
  constructor(
    private readonly store: BlobStore,
    private readonly tmp: string,
    algorithm: Algorithm,
  ) {
    this.hash = newHash(algorithm);
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.fh ??= await open(this.tmp, 'wx', 0o644);
    this.hash.update(chunk);
    let off = 0;
    while (off < chunk.length) off += (await this.fh.write(chunk, off, chunk.length - off)).bytesWritten;
    this.size += chunk.length;
  }

  /** Verifies the content against `expected` (DigestMismatch otherwise) and moves it into place. */
  async commit(expected: ParsedDigest, expectedSize?: number): Promise<void> {
    this.fh ??= await open(this.tmp, 'wx', 0o644);
    const got = `${expected.algorithm}:${this.hash.digest('hex')}`;
    if (got !== expected.digest) throw new DigestMismatch(expected.digest, got);
    if (expectedSize !== undefined && expectedSize !== this.size) throw new DigestMismatch(expected.digest, got, `size ${this.size}, expected ${expectedSize}`);
    await this.fh.sync();
    await this.fh.close();
    this.fh = undefined;
    await this.store.commitFile(this.tmp, expected);
  }

  async abort(): Promise<void> {
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
    await unlink(this.tmp).catch(() => {});
  }
}

export class DigestMismatch extends Error {
  constructor(
    readonly expected: string,
    readonly got: string,
    why?: string,
  ) {
    super(why ?? `content digest ${got} does not match ${expected}`);
  }
}
