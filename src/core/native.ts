import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The project root (the folder holding package.json), from src/ or dist/src/. */
export const projectRoot: string = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  const up = here.includes(`${'/dist/'}`) ? '../../..' : '../..';
  return join(here, up);
})();

/** Path of the attach bridge binary built by scripts/build-native.sh. */
export const attachBridgePath = join(projectRoot, 'build', 'minke-attach');

interface SysAddon {
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount(target: string, flags: number): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  /** A new network namespace (loopback up) kept by a bind mount on path. */
  netnsCreate(path: string): void;
  /** Whether the kernel runs x32 system calls (false off x86_64). */
  x32Abi(): boolean;
  /** Returns the C heap's free pages to the kernel; true when some were. */
  mallocTrim(): boolean;
  /** posix_spawn (no fork of the engine): fds[i] becomes the child's fd i (-1: /dev/null); see spawn.c. */
  spawn(file: string, argv: string[], envp: string[], cwd: string | null, fds: number[], setsid: boolean,
    onExit: (code: number | null, signal: number | null) => void): number;
  /** A connected AF_UNIX stream pair, close-on-exec. */
  socketpair(): [number, number];
}

let addon: SysAddon | undefined;

/** System calls Node lacks (src/native/sys.c), loaded on first use. */
export function sys(): SysAddon {
  addon ??= createRequire(import.meta.url)(join(projectRoot, 'build', 'sys.node')) as SysAddon;
  return addon;
}

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MNT_DETACH = 0x2;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
