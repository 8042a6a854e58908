/**
 * Applying a layer tar to a directory (a snapshot's own dir), as docker's archive.UnpackLayer:
 * every file type with its owner, mode, times and xattrs, and OCI whiteouts turned into overlayfs
 * whiteouts (char device 0/0) and opaque directories (trusted.overlay.opaque=y).
 *
 * Safety: entry paths are cleaned and must stay inside the root; parent directories are resolved
 * inside the root (a symlink in the layer can never make a later entry land outside it).
 */
import { createHash } from 'node:crypto';
import { link, lchown, lstat, lutimes, mkdir, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { chmodSync, closeSync, lchownSync, lstatSync, lutimesSync, mkdirSync, openSync, write, writeSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import type { Digest } from '../../core/digest.js';
import { InvalidArgument, isErrno } from '../../core/errors.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, sys } from '../../core/native.js';
import { readTar, type TarHeader } from '../archive/tar.js';
import { decompress, tap } from '../archive/compression.js';

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

export interface ApplyOptions {
  /**
   * 'overlay': whiteouts become overlay whiteouts (snapshot dirs); 'delete': they delete (plain
   * dirs); 'none': `.wh.` names are ordinary files (docker cp).
   */
  whiteouts?: 'overlay' | 'delete' | 'none';
  /** Do not chown (e.g. rootless); default false. */
  noLchown?: boolean;
  /** Every entry owned by these ids rather than the tar's (docker cp -a: the container's user). */
  owner?: { uid: number; gid: number };
  signal?: AbortSignal;
}

export interface ApplyResult {
  /** sha256 of the uncompressed tar. */
  diffId: Digest;
  /** Sum of the regular files' sizes (docker's layer size). */
  size: number;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
}

/** Cleans a tar entry name to a relative path inside the root ('' for the root itself). */
export function cleanEntryPath(name: string): string {
  const p = posix.normalize('/' + name).slice(1).replace(/\/$/, '');
  const raw = posix.normalize(name.replace(/^\/+/, ''));
  if (raw === '..' || raw.startsWith('../')) throw new InvalidArgument(`invalid tar entry: path ${JSON.stringify(name)} escapes the root`);
  return p === '.' ? '' : p;
}

/**
 * Resolves a relative path inside root following symlinks as if root were `/` (securejoin);
 * optionally creating missing directories. Returns the absolute path.
 */
export async function resolveInRoot(root: string, rel: string, create = false): Promise<string> {
  const pending = rel.split('/').filter((c) => c && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length) {
    const c = pending.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    const abs = root + '/' + [...done, c].join('/');
    let st;
    try {
      st = await lstat(abs);
    } catch (err) {
      if (!isErrno(err, 'ENOENT') || !create) {
        if (isErrno(err, 'ENOENT')) {
          done.push(c);
          continue;
        }
        throw err;
      }
      await mkdir(abs, { mode: 0o755 });
      done.push(c);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++links > 255) throw new InvalidArgument(`too many levels of symbolic links: ${rel}`);
      const target = await readlink(abs);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter((x) => x && x !== '.'));
      continue;
    }
    if (!st.isDirectory() && pending.length > 0) throw new InvalidArgument(`not a directory: ${[...done, c].join('/')}`);
    done.push(c);
  }
  return done.length ? root + '/' + done.join('/') : root;
}

/** Files from this size on are written by the thread pool (see applyLayer). */
const LARGE_FILE = 1 << 20;
/** Bytes of a large file in flight to the thread pool at once. */
const WRITE_WINDOW = 8 << 20;

/** Writes a stream to fd at increasing offsets, several writes in flight; settles once all landed. */
async function writeBehind(fd: number, body: AsyncIterable<Buffer>): Promise<void> {
  const pending = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  let inFlight = 0;
  let pos = 0;
  const writeAt = async (chunk: Buffer, at: number): Promise<void> => {
    let off = 0;
    while (off < chunk.length) off += await fsWrite(fd, chunk, off, chunk.length - off, at + off);
  };
  try {
    for await (const chunk of body) {
      if (failure) break;
      const p: Promise<void> = writeAt(chunk, pos).catch((err: unknown) => { failure ??= { err }; }).finally(() => {
        inFlight -= chunk.length;
        pending.delete(p);
      });
      pending.add(p);
      pos += chunk.length;
      inFlight += chunk.length;
      while (inFlight > WRITE_WINDOW && pending.size) await Promise.race(pending);
    }
  } finally {
    await Promise.all(pending);
  }
  if (failure) throw failure.err;
}

function fsWrite(fd: number, buf: Buffer, off: number, len: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, buf, off, len, position, (err, n) => (err ? reject(err) : resolve(n))));
}

async function removeAll(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true });
}

async function exists(p: string): Promise<import('node:fs').Stats | null> {
  try {
    return await lstat(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

/** Applies a layer (tar or tar.gz stream) onto dir. */
export async function applyLayer(dir: string, source: AsyncIterable<Buffer | Uint8Array>, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const mode = opts.whiteouts ?? 'overlay';
  const root = dir.replace(/\/+$/, '') || '/';
  const hash = createHash('sha256');
  let tarSize = 0;
  let size = 0;
  const { stream } = await decompress(source);
  const tapped = tap(stream, (c) => {
    hash.update(c);
    tarSize += c.length;
  });
  // Verified real directories (relative), to skip re-resolving parents of every entry.
  const knownDirs = new Set<string>(['']);
  const dirTimes: Array<[string, number]> = [];
  const seen = new Set<string>();

  const parentOf = async (rel: string): Promise<string> => {
    const parent = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
    if (knownDirs.has(parent)) return parent ? `${root}/${parent}` : root;
    const abs = await resolveInRoot(root, parent, true);
    if (abs === (parent ? `${root}/${parent}` : root)) knownDirs.add(parent);
    return abs;
  };

  try {
    for await (const { header: h, body } of readTar(tapped)) {
      opts.signal?.throwIfAborted();
      const rel = cleanEntryPath(h.name);
      const base = posix.basename(rel);
      if (rel === '') {
        if (h.type === 'directory') setMeta(root, h, opts, dirTimes);
        continue;
      }
      const parentAbs = await parentOf(rel);
      seen.add(rel);

      if (mode !== 'none' && base === WHITEOUT_OPAQUE) {
        if (mode === 'overlay') sys().lsetxattr(parentAbs, OPAQUE_XATTR, Buffer.from('y'));
        else {
          const parentRel = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
          for (const child of await readdir(parentAbs)) {
            const childRel = parentRel ? `${parentRel}/${child}` : child;
            if (!seen.has(childRel)) await removeAll(`${parentAbs}/${child}`);
          }
          knownDirs.clear();
          knownDirs.add('');
        }
        continue;
      }
      if (mode !== 'none' && base.startsWith(WHITEOUT_PREFIX)) {
        const victim = `${parentAbs}/${base.slice(WHITEOUT_PREFIX.length)}`;
        await removeAll(victim);
        knownDirs.clear();
        knownDirs.add('');
        if (mode === 'overlay') {
          sys().mknod(victim, S_IFCHR, 0, 0);
          if (!opts.noLchown) await lchown(victim, h.uid, h.gid);
        }
        continue;
      }

      const path = `${parentAbs}/${base}`;
      const old = existsSyncStat(path);
      if (old && !(old.isDirectory() && h.type === 'directory')) {
        await removeAll(path);
        if (old.isDirectory()) {
          knownDirs.clear();
          knownDirs.add('');
        }
      }
      switch (h.type) {
        case 'directory':
          if (!old || !old.isDirectory()) mkdirSync(path, { mode: 0o700 });
          break;
        case 'file': {
          // Synchronous calls per entry (as the build context's extraction): layers are mostly
          // small files, where a thread-pool round trip per call costs more than the call. A
          // large file is written from the thread pool, so that the event loop meanwhile
          // inflates and hashes what follows (a pull unpacks as it downloads).
          const fd = openSync(path, 'wx', 0o600);
          try {
            if (h.size >= LARGE_FILE) await writeBehind(fd, body);
            else {
              for await (const chunk of body) {
                let off = 0;
                while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
              }
            }
          } finally {
            closeSync(fd);
          }
          size += h.size;
          break;
        }
        case 'symlink':
          await symlink(h.linkname ?? '', path);
          knownDirs.clear();
          knownDirs.add('');
          break;
        case 'link': {
          const targetRel = cleanEntryPath(h.linkname ?? '');
          if (!targetRel) throw new InvalidArgument(`invalid hardlink ${h.name}: empty target`);
          const tparent = await resolveInRoot(root, posix.dirname(targetRel) === '.' ? '' : posix.dirname(targetRel));
          const target = `${tparent}/${posix.basename(targetRel)}`;
          const tst = await exists(target);
          if (!tst || tst.isDirectory()) throw new InvalidArgument(`invalid hardlink ${h.name} -> ${h.linkname ?? ''}: target not in layer`);
          await link(target, path);
          continue; // a hard link shares the target's metadata
        }
        case 'character-device':
          sys().mknod(path, S_IFCHR | h.mode, h.devmajor ?? 0, h.devminor ?? 0);
          break;
        case 'block-device':
          sys().mknod(path, S_IFBLK | h.mode, h.devmajor ?? 0, h.devminor ?? 0);
          break;
        case 'fifo':
          sys().mknod(path, S_IFIFO | h.mode, 0, 0);
          break;
      }
      setMeta(path, h, opts, dirTimes);
    }
    // Directory times last: creating entries inside a directory changes its mtime.
    for (const [p, t] of dirTimes.reverse()) await lutimes(p, t / 1000, t / 1000);
  } catch (err) {
    if (err instanceof Error && 'code' in err && typeof err.code === 'string' && /^(Z_|ERR_)/.test(err.code)) {
      throw new InvalidArgument(`invalid layer data: ${err.message}`, { cause: err });
    }
    throw err;
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size, tarSize };
}

function setMeta(path: string, h: TarHeader, opts: ApplyOptions, dirTimes: Array<[string, number]>): void {
  if (!opts.noLchown) lchownSync(path, opts.owner?.uid ?? h.uid, opts.owner?.gid ?? h.gid);
  if (h.type !== 'symlink') chmodSync(path, h.mode & 0o7777);
  if (h.xattrs) {
    for (const [k, v] of h.xattrs) {
      if (k.startsWith('trusted.overlay.')) continue;
      try {
        sys().lsetxattr(path, k, v);
      } catch (err) {
        // Filesystems without user xattrs (or symlinks refusing user.*) are not a reason to fail.
        if (!isErrno(err, 'ENOTSUP') && !isErrno(err, 'EPERM')) throw err;
      }
    }
  }
  if (h.type === 'directory') dirTimes.push([path, h.mtime]);
  else lutimesSync(path, h.mtime / 1000, h.mtime / 1000);
}

function existsSyncStat(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}
