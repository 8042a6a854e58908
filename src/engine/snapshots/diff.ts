/**
 * The other direction: an overlay upper dir as an OCI layer tar (diffLayer), and the list of
 * changes `docker diff` prints (changes).
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';

const SMALL_FILE = 256 * 1024;
import type { Stats } from 'node:fs';
import { isErrno } from '../../core/errors.js';
import { sys } from '../../core/native.js';
import { writeTar, type TarHeader, type TarSourceEntry, type TarType } from '../archive/tar.js';
import { OPAQUE_XATTR, WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from './apply.js';

export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

export function isOpaque(path: string): boolean {
  const v = sys().lgetxattr(path, OPAQUE_XATTR);
  return v !== null && v.toString() === 'y';
}

function major(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
}

/** Extended attributes of a path worth carrying in a layer (not overlay's own). */
export function readXattrs(path: string): Map<string, Buffer> | undefined {
  let names: string[];
  try {
    names = sys().llistxattr(path);
  } catch {
    return undefined;
  }
  const out = new Map<string, Buffer>();
  for (const n of names.sort()) {
    if (n.startsWith('trusted.overlay.') || n === 'security.selinux') continue;
    const v = sys().lgetxattr(path, n);
    if (v !== null) out.set(n, v);
  }
  return out.size ? out : undefined;
}

function typeOf(st: Stats): TarType | null {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  if (st.isFIFO()) return 'fifo';
  return null; // sockets are not archived
}

/**
 * Entry for a filesystem object; `links` maps inode → first archived name so later names become
 * hard links, as docker's tar writer does.
 */
export async function entryFor(abs: string, name: string, st: Stats, links: Map<string, string>): Promise<TarSourceEntry | null> {
  const type = typeOf(st);
  if (!type) return null;
  const header: TarHeader = {
    name: type === 'directory' ? `${name}/` : name,
    type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: 0, mtime: Math.floor(st.mtimeMs / 1000) * 1000,
  };
  if (type !== 'directory' && st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first !== undefined) {
      header.type = 'link';
      header.linkname = first;
      return { header };
    }
    links.set(key, name);
  }
  const x = readXattrs(abs);
  if (x) header.xattrs = x;
  if (type === 'symlink') header.linkname = await readlink(abs);
  if (type === 'character-device' || type === 'block-device') {
    header.devmajor = major(st.rdev);
    header.devminor = minor(st.rdev);
  }
  if (type === 'file') {
    header.size = st.size;
    return { header, body: fileChunks(abs, st.size) };
  }
  return { header };
}

/**
 * A file's content, opened only when read and closed when the reader stops: an archive the
 * client abandons after a header neither leaks the descriptor nor meets an unhandled error.
 */
async function* fileChunks(abs: string, size: number): AsyncGenerator<Buffer> {
  // A small file in one read: a stream's set-up (and its 1 MiB buffer) costs more than the data.
  if (size <= SMALL_FILE) {
    yield (await readFile(abs)).subarray(0, size);
    return;
  }
  const s = createReadStream(abs, { highWaterMark: 1 << 20 });
  try {
    for await (const c of s) yield c as Buffer;
  } finally {
    s.destroy();
  }
}

async function sortedDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function* upperEntries(upper: string): AsyncGenerator<TarSourceEntry> {
  const links = new Map<string, string>();
  async function* walk(absDir: string, relDir: string): AsyncGenerator<TarSourceEntry> {
    for (const name of await sortedDir(absDir)) {
      const abs = `${absDir}/${name}`;
      const rel = relDir ? `${relDir}/${name}` : name;
      const st = await lstat(abs);
      if (isWhiteout(st)) {
        const wrel = relDir ? `${relDir}/${WHITEOUT_PREFIX}${name}` : `${WHITEOUT_PREFIX}${name}`;
        yield { header: { name: wrel, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: Math.floor(st.mtimeMs / 1000) * 1000 } };
        continue;
      }
      const e = await entryFor(abs, rel, st, links);
      if (!e) continue;
      yield e;
      if (st.isDirectory()) {
        if (isOpaque(abs)) {
          yield { header: { name: `${rel}/${WHITEOUT_OPAQUE}`, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: Math.floor(st.mtimeMs / 1000) * 1000 } };
        }
        yield* walk(abs, rel);
      }
    }
  }
  yield* walk(upper.replace(/\/+$/, ''), '');
}

/** An overlay upper dir as an OCI layer: a tar byte stream, pulled at the consumer's pace. */
export function diffLayer(upperDir: string, _lowerDirs: string[] = []): AsyncGenerator<Buffer> {
  return writeTar(upperEntries(upperDir));
}

export const ChangeKind = { Modified: 0, Added: 1, Deleted: 2 } as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export interface Change {
  Path: string;
  Kind: ChangeKind;
}

async function inLowers(rel: string, lowers: string[]): Promise<boolean> {
  for (const l of lowers) {
    try {
      const st = await lstat(`${l}/${rel}`);
      return !isWhiteout(st);
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw err;
    }
  }
  return false;
}

/** What `docker diff` reports for a container: C/A/D per path of the upper dir, sorted by path. */
export async function changes(upperDir: string, lowerDirs: string[]): Promise<Change[]> {
  const out: Change[] = [];
  const walk = async (absDir: string, relDir: string): Promise<void> => {
    for (const name of await sortedDir(absDir)) {
      const abs = `${absDir}/${name}`;
      const rel = `${relDir}/${name}`;
      const st = await lstat(abs);
      if (isWhiteout(st)) {
        out.push({ Path: rel, Kind: ChangeKind.Deleted });
        continue;
      }
      out.push({ Path: rel, Kind: (await inLowers(rel, lowerDirs)) ? ChangeKind.Modified : ChangeKind.Added });
      if (st.isDirectory()) await walk(abs, rel);
    }
  };
  await walk(upperDir.replace(/\/+$/, ''), '');
  return out.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
}
