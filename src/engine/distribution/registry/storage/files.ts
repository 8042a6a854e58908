/**
 * File helpers of the registry's storage. Every record is written to a temporary file under the
 * root's tmp/ (same file system), synced, then renamed into place and its directory synced: a
 * reader, or a server started after a crash, sees the old record or the new one, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isErrno } from '../../../../core/errors.js';

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A fresh path in tmpDir: what `writeAtomic` and the blob writers stage their files under. */
export function tempPath(tmpDir: string): string {
  return join(tmpDir, randomBytes(12).toString('hex'));
}

/** Renames a synced file into place (making its directory) and syncs the directory. */
export async function renameInto(from: string, to: string, syncParent = true): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
  }
  if (syncParent) await syncDir(dirname(to));
}

/**
 * Writes a record whole, or not at all. `durable: false` skips the syncs: for records a crash
 * may lose without harm (an upload's progress: the upload is verified before it is committed).
 */
export async function writeAtomic(tmpDir: string, path: string, data: string | Uint8Array, opts: { durable?: boolean } = {}): Promise<void> {
  const durable = opts.durable ?? true;
  const tmp = tempPath(tmpDir);
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    await renameInto(tmp, path, durable);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

/** Reads a JSON record; undefined when absent or unreadable (a record is only ever whole). */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR') || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Removes a file; false when it was not there. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return false;
    throw err;
  }
}

/** Marks a file as just used (garbage collection spares recently touched blobs); false when absent. */
export async function touch(path: string): Promise<boolean> {
  const now = new Date();
  try {
    await utimes(path, now, now);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}
