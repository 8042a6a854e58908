/**
 * Rotation of the log conmon writes, as dockerd's LogFile rotates (name → name.1 → name.2 ...,
 * gzip-compressed name.N.gz with compress; max-file counts the current file).
 *
 * conmon owns the file: the engine renames it away and asks conmon, through its control fifo, to
 * reopen (conmon then creates a new empty file; what it wrote between the rename and the reopen
 * went to the renamed file, so no line is lost). conmon's own --log-size-max is the hard bound
 * when the engine is slow or down (containers outlive it): there conmon truncates, so the disk
 * never holds more than the limits allow whatever the container writes.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { basename, dirname, join } from 'node:path';
import { constants } from 'node:fs';
import { isErrno } from '../../core/errors.js';

export interface RotationPolicy {
  /** Bytes at which the current file is rotated; -1: never. */
  maxSize: number;
  /** Files kept, the current one included (1: the current file is truncated instead). */
  maxFile: number;
  compress: boolean;
}

/**
 * The bound given to conmon (--log-size-max): where the engine rotates at maxSize, conmon cuts
 * a file only when the engine fell behind by as much again; with one file conmon's cut is the
 * rotation itself.
 */
export function conmonLogSizeMax(p: RotationPolicy): number | undefined {
  if (p.maxSize <= 0) return undefined;
  return p.maxFile <= 1 ? p.maxSize : 2 * p.maxSize;
}

/** Serialises renames of one log's files against readers opening them (dockerd's fsopMu). */
const locks = new Map<string, Promise<void>>();

export async function withLogLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(path) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => { release = r; });
  const chained = prev.then(() => mine);
  locks.set(path, chained);
  await prev;
  try {
    return await fn();
  } finally {
    release();
    if (locks.get(path) === chained) locks.delete(path);
  }
}

export interface LogFileName { path: string; index: number; gz: boolean }

/** The rotated files of a log, oldest first (a plain name.N wins over a name.N.gz being written from it). */
export async function rotatedFiles(path: string): Promise<LogFileName[]> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  const byIndex = new Map<number, LogFileName>();
  for (const n of names) {
    if (!n.startsWith(`${base}.`)) continue;
    const m = /^(\d+)(\.gz)?$/.exec(n.slice(base.length + 1));
    if (!m) continue;
    const index = Number(m[1]);
    const gz = m[2] !== undefined;
    if (index < 1 || (gz && byIndex.has(index))) continue;
    byIndex.set(index, { path: join(dir, n), index, gz });
  }
  return [...byIndex.values()].sort((a, b) => b.index - a.index);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function removeIfThere(p: string): Promise<void> {
  await unlink(p).catch((err: unknown) => {
    if (!isErrno(err, 'ENOENT')) throw err;
  });
}

async function renameIfThere(from: string, to: string): Promise<void> {
  await rename(from, to).catch((err: unknown) => {
    if (!isErrno(err, 'ENOENT')) throw err;
  });
}

/** Asks the conmon of bundleDir to reopen its log file; false when no conmon reads its fifo. */
async function askReopen(bundleDir: string): Promise<boolean> {
  let fh;
  try {
    // Non-blocking: a fifo nobody reads (conmon gone) must not hang the engine.
    fh = await open(join(bundleDir, 'ctl'), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    await fh.write('2 0 0\n');
    return true;
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}

/** Watches one running container's log and rotates it at its size. */
export class LogRotator {
  private watcher: FSWatcher | undefined;
  private running: Promise<void> = Promise.resolve();
  private queued = false;
  private stopped = false;

  constructor(
    readonly path: string,
    private readonly bundleDir: string,
    private readonly policy: RotationPolicy,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  start(): void {
    // One file: conmon's own cut at max-size is the whole rotation.
    if (this.policy.maxSize <= 0 || this.policy.maxFile <= 1) return;
    const base = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), (_e, f) => {
        if (!f || f === base) this.poke();
      });
      this.watcher.on('error', () => {});
    } catch (err) {
      this.log(`log rotation of ${this.path} not watched: ${(err as Error).message}`);
    }
    this.running = this.running.then(() => this.recover()).catch((err: unknown) => this.log(`log rotation of ${this.path}: ${(err as Error).message}`));
    this.poke();
  }

  /** An engine that stopped mid-rotation: conmon still writing the renamed file, name.1 not compressed yet. */
  private async recover(): Promise<void> {
    const p = this.path;
    if (!(await exists(p)) && (await exists(`${p}.1`)) && (await askReopen(this.bundleDir))) await this.waitFor(p);
    await removeIfThere(`${p}.1.gz.tmp`);
    if (this.policy.compress && (await exists(p)) && (await exists(`${p}.1`))) await this.compress(`${p}.1`);
  }

  /** Stops watching; a rotation under way completes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = undefined;
    await this.running;
  }

  private poke(): void {
    if (this.queued || this.stopped) return;
    this.queued = true;
    this.running = this.running.then(async () => {
      this.queued = false;
      try {
        await this.check();
      } catch (err) {
        this.log(`log rotation of ${this.path}: ${(err as Error).message}`);
      }
    });
  }

  private async check(): Promise<void> {
    let size: number;
    try {
      size = (await stat(this.path)).size;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    if (size < this.policy.maxSize) return;
    await this.rotate();
  }

  /** name.N-1 → name.N ... name → name.1, then conmon reopens name; then name.1 is compressed. */
  private async rotate(): Promise<void> {
    const p = this.path;
    const last = this.policy.maxFile - 1;
    const renamed = await withLogLock(p, async () => {
      await removeIfThere(`${p}.${last}`);
      await removeIfThere(`${p}.${last}.gz`);
      for (let i = last - 1; i >= 1; i--) {
        await renameIfThere(`${p}.${i}.gz`, `${p}.${i + 1}.gz`);
        await renameIfThere(`${p}.${i}`, `${p}.${i + 1}`);
      }
      try {
        await rename(p, `${p}.1`);
        return true;
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return false;
        throw err;
      }
    });
    if (!renamed) return;
    const reopened = await askReopen(this.bundleDir);
    // conmon makes the new file once it closed the old one: only then is name.1 complete.
    if (reopened) await this.waitFor(p);
    if (this.policy.compress) await this.compress(`${p}.1`);
  }

  private async waitFor(p: string): Promise<void> {
    for (let i = 0; i < 400 && !(await exists(p)); i++) await new Promise((r) => setTimeout(r, 5));
  }

  private async compress(file: string): Promise<void> {
    const tmp = `${file}.gz.tmp`;
    try {
      await pipeline(createReadStream(file), createGzip(), createWriteStream(tmp));
    } catch (err) {
      await removeIfThere(tmp);
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    await withLogLock(this.path, async () => {
      await rename(tmp, `${file}.gz`);
      await removeIfThere(file);
    });
  }
}
