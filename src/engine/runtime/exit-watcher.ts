/**
 * Exit files: conmon writes the container's exit code as text to EXITDIR/ID (atomically, by
 * rename) when the container's process ends. One fs.watch on the directory serves every waiter;
 * a waiter checks the file after registering, so a file written before it is not missed.
 */
import { watch, type FSWatcher, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../../core/errors.js';

/**
 * The exit code conmon recorded, or undefined while the container runs. A few bytes on the exec
 * root's tmpfs: read at once, not queued behind other file work on libuv's threads.
 */
export async function readExitCode(exitDir: string, id: string): Promise<number | undefined> {
  try {
    const text = readFileSync(join(exitDir, id), 'utf8').trim();
    if (text === '') return undefined;
    const n = Number(text);
    return Number.isInteger(n) ? n : undefined;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

interface Waiter { resolve: (code: number) => void; reject: (err: unknown) => void }

export class ExitWatcher {
  private watcher: FSWatcher | undefined;
  private readonly waiters = new Map<string, Waiter[]>();

  constructor(readonly exitDir: string) {}

  private ensureWatching(): void {
    if (this.watcher) return;
    mkdirSync(this.exitDir, { recursive: true });
    this.watcher = watch(this.exitDir, { persistent: true }, (_event, name) => {
      if (name && this.waiters.has(name)) this.check(name);
      else if (!name) for (const id of this.waiters.keys()) this.check(id);
    });
    this.watcher.on('error', () => {
      // the directory went away: re-check everyone and re-arm on the next wait
      this.watcher = undefined;
      for (const id of this.waiters.keys()) this.check(id);
    });
  }

  private check(id: string): void {
    readExitCode(this.exitDir, id).then(
      (code) => {
        if (code === undefined) return;
        const ws = this.waiters.get(id);
        this.waiters.delete(id);
        for (const w of ws ?? []) w.resolve(code);
        this.maybeStop();
      },
      (err: unknown) => {
        const ws = this.waiters.get(id);
        this.waiters.delete(id);
        for (const w of ws ?? []) w.reject(err);
        this.maybeStop();
      },
    );
  }

  private maybeStop(): void {
    if (this.waiters.size === 0 && this.watcher) {
      this.watcher.close();
      this.watcher = undefined;
    }
  }

  /** Resolves with the exit code once EXITDIR/ID exists. */
  wait(id: string, signal?: AbortSignal): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.ensureWatching();
      const w: Waiter = { resolve, reject };
      const list = this.waiters.get(id) ?? [];
      list.push(w);
      this.waiters.set(id, list);
      signal?.addEventListener('abort', () => {
        const l = this.waiters.get(id);
        const i = l?.indexOf(w) ?? -1;
        if (l && i >= 0) l.splice(i, 1);
        if (l?.length === 0) this.waiters.delete(id);
        this.maybeStop();
        reject(signal.reason);
      }, { once: true });
      this.check(id);
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
