/**
 * Directories removed in two steps: renamed into the parent's `.trash/` at once (gone for every
 * reader, the name free again), deleted in the background. A crash between the two leaves the
 * trash, which sweepTrash empties at the next start. `docker run --rm` answers sooner this way:
 * a container's record and bundle are a dozen small files whose deletion is a dozen trips through
 * libuv's threads.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const TRASH = '.trash';

const pending = new Set<Promise<void>>();

/** Moves dir out of the way now and deletes it later; a dir that cannot be moved is deleted now. */
export async function discard(dir: string): Promise<void> {
  const trash = join(dirname(dir), TRASH);
  const doomed = join(trash, randomBytes(8).toString('hex'));
  try {
    mkdirSync(trash, { recursive: true, mode: 0o700 });
    renameSync(dir, doomed);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // nothing to remove
    await rm(dir, { recursive: true, force: true }); // another filesystem, a mount point: here and now
    return;
  }
  const p = rm(doomed, { recursive: true, force: true }).catch(() => {}).finally(() => pending.delete(p));
  pending.add(p);
}

/** Empties parent's trash (what a crash left); synchronous, at start. */
export function sweepTrash(parent: string): void {
  rmSync(join(parent, TRASH), { recursive: true, force: true });
}

/** Resolves once every background deletion started so far has finished. */
export async function trashSettled(): Promise<void> {
  while (pending.size) await Promise.all(pending);
}
