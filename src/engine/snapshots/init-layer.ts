/**
 * A container's init layer, as dockerd's (daemon/initlayer): between the image and the
 * container's writable layer, the mount points the engine binds or mounts over (/etc/hosts,
 * /etc/hostname, /etc/resolv.conf, /proc, /sys, ...) made where the image lacks them. They are
 * the engine's, not the container's changes: `docker diff` and `docker commit` read only the
 * writable layer above, while `docker export` (the whole root filesystem) carries them empty.
 */
import { chmod, lchown, lstat, mkdir, symlink, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { isErrno } from '../../core/errors.js';
import { isOpaque, isWhiteout } from './diff.js';

/** The init layer shared by the containers of the image whose top layer snapshot is `parent`. */
export function sharedInitKey(parent: string | null): string {
  return `init:${parent ?? 'scratch'}`;
}

type InitEntry = { path: string; kind: 'dir' | 'file' } | { path: string; kind: 'symlink'; target: string };

/** dockerd's list, in its order. */
const INIT_ENTRIES: readonly InitEntry[] = [
  { path: 'dev/pts', kind: 'dir' },
  { path: 'dev/shm', kind: 'dir' },
  { path: 'proc', kind: 'dir' },
  { path: 'sys', kind: 'dir' },
  { path: '.dockerenv', kind: 'file' },
  { path: 'etc/resolv.conf', kind: 'file' },
  { path: 'etc/hosts', kind: 'file' },
  { path: 'etc/hostname', kind: 'file' },
  { path: 'dev/console', kind: 'file' },
  { path: 'etc/mtab', kind: 'symlink', target: '/proc/mounts' },
];

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null;
    throw err;
  }
}

/**
 * What a path is in the union of overlay layer dirs (nearest first): its stat, null when absent
 * (never there, whited out, or hidden by an opaque dir), 'blocked' when a parent is not a directory.
 */
export async function mergedLstat(layers: readonly string[], rel: string): Promise<Stats | null | 'blocked'> {
  const parts = rel.split('/').filter(Boolean);
  let holders = [...layers]; // the layers whose copy of the current directory is visible
  let top: Stats | null = null;
  for (let i = 0; i < parts.length; i++) {
    const prefix = parts.slice(0, i + 1).join('/');
    const next: string[] = [];
    top = null;
    for (const layer of holders) {
      const st = await lstatOrNull(`${layer}/${prefix}`);
      if (!st) continue;
      if (isWhiteout(st)) break;
      top ??= st;
      // Only directories merge: anything else hides what lies below it.
      if (!st.isDirectory() || !top.isDirectory()) break;
      next.push(layer);
      if (isOpaque(`${layer}/${prefix}`)) break;
    }
    if (!top) return null;
    if (i < parts.length - 1 && !top.isDirectory()) return 'blocked';
    holders = next;
  }
  return top;
}

/**
 * Writes the init layer into dir (a new layer above `lowers`): each entry the image lacks, with
 * its parent directories; a parent the image has is copied with its owner and mode, as overlay's
 * copy-up would, so the container still sees the image's own.
 */
export async function writeInitLayer(dir: string, lowers: readonly string[]): Promise<void> {
  const made = new Set<string>();
  const ensureDir = async (rel: string): Promise<void> => {
    if (rel === '' || made.has(rel)) return;
    const slash = rel.lastIndexOf('/');
    await ensureDir(slash < 0 ? '' : rel.slice(0, slash));
    const abs = `${dir}/${rel}`;
    if (!(await lstatOrNull(abs))) {
      const below = await mergedLstat(lowers, rel);
      await mkdir(abs);
      if (below && below !== 'blocked' && below.isDirectory()) {
        await chmod(abs, below.mode & 0o7777);
        await lchown(abs, below.uid, below.gid);
      } else {
        await chmod(abs, 0o755);
      }
    }
    made.add(rel);
  };
  for (const e of INIT_ENTRIES) {
    if ((await mergedLstat(lowers, e.path)) !== null) continue; // the image's own (or unreachable) stays
    const slash = e.path.lastIndexOf('/');
    await ensureDir(slash < 0 ? '' : e.path.slice(0, slash));
    const abs = `${dir}/${e.path}`;
    if (await lstatOrNull(abs)) continue;
    if (e.kind === 'dir') {
      await mkdir(abs);
      await chmod(abs, 0o755);
      made.add(e.path);
    } else if (e.kind === 'file') {
      await writeFile(abs, '');
      await chmod(abs, 0o755);
    } else if (e.kind === 'symlink') {
      await symlink(e.target, abs);
    }
  }
}
