/**
 * Directory ⇄ tar for `docker export` and `docker cp`: a tree as a tar stream (types, modes,
 * owners, times, xattrs, hard links), and extraction into a directory with the same path-escape
 * protection as layer apply.
 */
import { lstat, readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { NotFound, isErrno } from '../../core/errors.js';
import { entryFor } from '../snapshots/diff.js';
import { applyLayer, type ApplyResult } from '../snapshots/apply.js';
import { writeTar, type TarSourceEntry } from './tar.js';

async function* walkEntries(abs: string, rel: string, links: Map<string, string>, skip?: (rel: string) => boolean): AsyncGenerator<TarSourceEntry> {
  const names = (await readdir(abs)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const childRel = rel ? `${rel}/${name}` : name;
    if (skip?.(childRel)) continue;
    const childAbs = `${abs}/${name}`;
    let st;
    try {
      st = await lstat(childAbs);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) continue; // removed while archiving
      throw err;
    }
    const e = await entryFor(childAbs, childRel, st, links);
    if (!e) continue;
    yield e;
    if (st.isDirectory()) yield* walkEntries(childAbs, childRel, links, skip);
  }
}

/** The contents of dir as a tar stream (entries relative to dir, no root entry), as docker export. */
export function tarDirectory(dir: string, opts: { skip?: (rel: string) => boolean } = {}): AsyncGenerator<Buffer> {
  return writeTar(walkEntries(dir.replace(/\/+$/, '') || '/', '', new Map(), opts.skip));
}

/**
 * One path (file or directory) as a tar whose top entry is named `name` (default: its basename),
 * as docker cp's copy-out archive.
 */
export async function archivePath(path: string, name?: string): Promise<AsyncGenerator<Buffer>> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) throw new NotFound(`Could not find the file ${path}`);
    throw err;
  }
  const top = name ?? basename(path);
  const links = new Map<string, string>();
  const entries = async function* (): AsyncGenerator<TarSourceEntry> {
    const e = await entryFor(path, top, st, links);
    if (e) yield e;
    if (st.isDirectory()) yield* walkEntries(path, top, links);
  };
  return writeTar(entries());
}

/** Extracts a tar (plain or compressed) into dir; no entry can land outside dir. Whiteout names are plain files. */
export function extractTar(dir: string, source: AsyncIterable<Buffer | Uint8Array>, opts: { noLchown?: boolean; owner?: { uid: number; gid: number }; signal?: AbortSignal } = {}): Promise<ApplyResult> {
  return applyLayer(dir, source, { ...opts, whiteouts: 'none' });
}
