/** Test helpers: a busybox rootfs, temp dirs under /tmp/minke-test-*, and cleanup of what tests started. */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const BUSYBOX = '/usr/bin/busybox';

export function canRunContainers(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/sbin/runc') && existsSync(BUSYBOX) && existsSync('/usr/bin/conmon');
}

export function tempDir(): string {
  return mkdtempSync('/tmp/minke-test-');
}

/** A minimal root filesystem: static busybox and its applet links. */
export function makeBusyboxRootfs(dir: string): string {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'etc', 'tmp', 'root']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  execFileSync('chroot', [dir, '/bin/busybox', '--install', '-s']);
  return dir;
}

/** Force-deletes every runc container under runcRoot, kills conmons recorded in bundles, removes dir. */
export function cleanupAll(dir: string, runcRoot: string, cgroupParent?: string): void {
  try {
    const list = JSON.parse(execFileSync('/usr/sbin/runc', [`--root=${runcRoot}`, 'list', '--format', 'json']).toString() || 'null') as { id: string; bundle: string }[] | null;
    for (const c of list ?? []) {
      try {
        execFileSync('/usr/sbin/runc', [`--root=${runcRoot}`, 'delete', '--force', c.id], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  } catch {
    // no runc root
  }
  const walk = (d: string, depth: number): void => {
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      if (n === 'conmon.pid') {
        const pid = Number(readFileSync(p, 'utf8').trim());
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      } else if (depth < 3 && n !== 'rootfs') walk(p, depth + 1);
    }
  };
  walk(dir, 0);
  if (cgroupParent) removeCgroupTree(cgroupParent);
  rmSync(dir, { recursive: true, force: true });
}

/** rmdir a cgroup parent and its children in every hierarchy (v1 controllers or v2). */
export function removeCgroupTree(parent: string): void {
  const roots = existsSync('/sys/fs/cgroup/cgroup.controllers')
    ? ['/sys/fs/cgroup']
    : readdirSync('/sys/fs/cgroup').map((c) => join('/sys/fs/cgroup', c));
  const rm = (d: string): void => {
    let names: string[] = [];
    try {
      names = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const n of names) rm(join(d, n));
    try {
      rmdirSync(d);
    } catch {
      // busy or gone
    }
  };
  for (const r of roots) rm(join(r, parent));
}
