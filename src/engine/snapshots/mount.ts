/**
 * Mounting the Mount[] a snapshotter returns (containerd's mount.All / UnmountAll).
 */
import { closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { isErrno } from '../../core/errors.js';
import { MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, sys } from '../../core/native.js';

export interface Mount {
  /** 'bind' or a filesystem type ('overlay', 'tmpfs'...). */
  type: string;
  source: string;
  options: string[];
}

/** The kernel copies at most one page of mount data. */
const MAX_MOUNT_DATA = 4095;

const FLAG_OPTIONS: Record<string, [clear: boolean, flag: number]> = {
  ro: [false, MS_RDONLY], rw: [true, MS_RDONLY], bind: [false, MS_BIND], rbind: [false, MS_BIND | MS_REC],
  nosuid: [false, MS_NOSUID], suid: [true, MS_NOSUID], nodev: [false, MS_NODEV], dev: [true, MS_NODEV],
  noexec: [false, MS_NOEXEC], exec: [true, MS_NOEXEC], private: [false, MS_PRIVATE],
};

function parseOptions(options: string[]): { flags: number; data: string[] } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options) {
    const f = FLAG_OPTIONS[o];
    if (f) flags = f[0] ? flags & ~f[1] : flags | f[1];
    else data.push(o);
  }
  return { flags, data };
}

function commonDir(paths: string[]): string {
  let prefix = dirname(paths[0]!);
  while (prefix !== '/' && !paths.every((p) => p.startsWith(prefix + '/'))) prefix = dirname(prefix);
  return prefix;
}

/**
 * Overlay data longer than a page: refer to the layers through an open fd of their common parent
 * (/proc/self/fd/N/12/fs), which the kernel resolves at mount time, instead of chdir-ing the whole
 * process (Node is one process for every request).
 */
function shortenOverlayData(data: string[]): { data: string; fd?: number } {
  const joined = data.join(',');
  if (joined.length <= MAX_MOUNT_DATA) return { data: joined };
  const paths: string[] = [];
  for (const o of data) {
    const m = /^(lowerdir|upperdir|workdir)=(.*)$/.exec(o);
    if (m) paths.push(...m[2]!.split(':'));
  }
  const base = commonDir(paths);
  const fd = openSync(base, 'r');
  const short = `/proc/self/fd/${fd}`;
  const rel = (p: string): string => (p.startsWith(base + '/') ? short + p.slice(base === '/' ? 0 : base.length) : p);
  const out = data.map((o) => {
    const m = /^(lowerdir|upperdir|workdir)=(.*)$/.exec(o);
    return m ? `${m[1]}=${m[2]!.split(':').map(rel).join(':')}` : o;
  }).join(',');
  if (out.length > MAX_MOUNT_DATA) {
    closeSync(fd);
    throw new Error(`overlay mount data too long (${out.length} bytes): too many layers`);
  }
  return { data: out, fd };
}

function mountOne(m: Mount, target: string): void {
  const { flags, data } = parseOptions(m.options);
  if (m.type === 'bind' || (flags & MS_BIND) !== 0) {
    const bindFlags = MS_BIND | (flags & MS_REC);
    sys().mount(m.source, target, null, bindFlags, null);
    const extra = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (extra) {
      try {
        sys().mount(null, target, null, MS_REMOUNT | MS_BIND | extra, null);
      } catch (err) {
        sys().umount(target, MNT_DETACH);
        throw err;
      }
    }
    return;
  }
  if (m.type === 'overlay') {
    const { data: d, fd } = shortenOverlayData(data);
    try {
      sys().mount(m.source || 'overlay', target, 'overlay', flags, d);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    return;
  }
  sys().mount(m.source, target, m.type, flags, data.length ? data.join(',') : null);
}

/** Mounts every mount on target in order; on failure unmounts what it mounted. */
export function mountAll(mounts: Mount[], target: string): void {
  let done = 0;
  try {
    for (const m of mounts) {
      mountOne(m, target);
      done++;
    }
  } catch (err) {
    for (let i = 0; i < done; i++) {
      try {
        sys().umount(target, MNT_DETACH);
      } catch {
        break;
      }
    }
    throw err;
  }
}

/** Unmounts everything stacked on target (EINVAL: nothing left mounted; ENOENT: no target). */
export function unmountAll(target: string): void {
  for (let i = 0; i < 64; i++) {
    try {
      sys().umount(target, 0);
    } catch (err) {
      if (isErrno(err, 'EINVAL') || isErrno(err, 'ENOENT')) return;
      if (isErrno(err, 'EBUSY')) {
        sys().umount(target, MNT_DETACH);
        continue;
      }
      throw err;
    }
  }
}
