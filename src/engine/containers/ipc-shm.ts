/**
 * Shared memory of a `--ipc shareable` container: a tmpfs mounted on the host, in the container's
 * directory, bound on its /dev/shm and on that of every container joining its IPC namespace
 * (`--ipc container:<name>`), as dockerd does. Unmounted when its process ends.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { mountAll, unmountAll } from '../snapshots/mount.js';

const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

export function shmPath(containerDir: string): string {
  return join(containerDir, 'mounts', 'shm');
}

export function mountShm(path: string, size: number | undefined): void {
  mkdirSync(path, { recursive: true });
  unmountShm(path); // a mount left by an engine that was killed
  mountAll([{ type: 'tmpfs', source: 'shm', options: ['nosuid', 'nodev', 'noexec', 'mode=1777', `size=${size || DEFAULT_SHM_SIZE}`] }], path);
}

export function unmountShm(path: string): void {
  try {
    unmountAll(path);
  } catch {
    // not mounted
  }
}
