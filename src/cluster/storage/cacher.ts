// The watch cache (k8s.io/apiserver's cacher): one backend watch under a prefix keeps every
// object in memory at the cache's revision and a window of recent events. Lists and gets are
// answered from memory once the cache has caught up with the backend's current revision (so a
// read after a write sees it); watches are fanned out from the one backend watch and resume from
// any revision inside the window ("too old" before it). Writes go to the backend.
import { CompactedError, FutureRevisionError, NotFoundError } from './errors.js';
import { EventQueue } from './event-queue.js';
import type {
  DeleteOptions, KeyValue, ListOptions, ListResult, Revision, Storage, TryUpdate, UpdateOptions, Watch,
  WatchEvent, WatchOptions,
} from './interface.js';
import { compareKeys, decodeContinue, encodeContinue, prefixEnd } from './keys.js';

export interface CacherOptions {
  /** The keys this cache holds, e.g. /registry/pods/. */
  readonly prefix: string;
  /** How many recent events watches can resume from. */
  readonly windowSize?: number;
  /** How long a read waits for the cache to reach a revision before giving up. */
  readonly waitMs?: number;
}

type ChangeEvent = Exclude<WatchEvent, { type: 'BOOKMARK' }>;

interface Watcher {
  readonly prefix: string;
  readonly end: string;
  readonly from: Revision;
  readonly queue: EventQueue;
}

export class Cacher implements Storage {
  private readonly prefix: string;
  private readonly windowSize: number;
  private readonly waitMs: number;
  private readonly objects = new Map<string, KeyValue>();
  private readonly window: ChangeEvent[] = [];
  /** Watches can start from this revision or later. */
  private windowStart: Revision = 0;
  private revision: Revision = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly waiters = new Set<{ revision: Revision; resolve: () => void }>();
  private readonly stop = new AbortController();
  private backendWatch: Watch | undefined;
  private readonly ready: Promise<void>;
  private sorted: KeyValue[] | undefined;

  constructor(private readonly backend: Storage, options: CacherOptions) {
    this.prefix = options.prefix;
    this.windowSize = options.windowSize ?? 1000;
    this.waitMs = options.waitMs ?? 5000;
    this.ready = this.run();
    this.ready.catch(() => undefined); // reported to every reader that awaits it
  }

  /** Resolves once the initial list is loaded (reads wait for it anyway). */
  async started(): Promise<void> {
    await this.ready;
  }

  async currentRevision(): Promise<Revision> {
    return this.backend.currentRevision();
  }

  async get(key: string): Promise<KeyValue> {
    await this.consistent();
    const kv = this.objects.get(key);
    if (kv === undefined) throw new NotFoundError(key);
    return kv;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    await this.ready;
    let start = prefix;
    if (options.continue !== undefined) {
      const state = decodeContinue(prefix, options.continue);
      if (state.revision !== this.revision) return this.backend.list(prefix, options);
      start = state.start;
    } else if (options.revision !== undefined && options.revision > 0) {
      if (options.revisionMatch === 'Exact') {
        if (options.revision !== this.revision) return this.backend.list(prefix, options);
      } else {
        await this.waitFor(options.revision);
      }
    } else {
      await this.consistent();
    }
    const end = prefixEnd(prefix);
    const limit = options.limit !== undefined && options.limit > 0 ? options.limit : Infinity;
    const items: KeyValue[] = [];
    for (const kv of this.inOrder()) {
      if (kv.key < start || kv.key >= end) continue;
      if (items.length === limit) {
        const last = items[items.length - 1].key;
        return { items, revision: this.revision, continue: encodeContinue(prefix, { revision: this.revision, start: last + '\u0000' }) };
      }
      items.push(kv);
    }
    return { items, revision: this.revision };
  }

  watch(prefix: string, fromRevision: Revision, options: WatchOptions = {}): Watch {
    const watcher: Watcher = {
      prefix,
      end: prefixEnd(prefix),
      from: fromRevision,
      queue: new EventQueue(options.signal,
        (queue) => queue.push({ type: 'BOOKMARK', revision: this.revision }),
        () => this.watchers.delete(watcher)),
    };
    if (watcher.queue.closed) return watcher.queue;
    this.ready.then(() => this.attach(watcher), (err: unknown) => watcher.queue.fail(asError(err)));
    return watcher.queue;
  }

  create(key: string, value: Uint8Array): Promise<Revision> {
    return this.backend.create(key, value);
  }

  guaranteedUpdate(key: string, tryUpdate: TryUpdate, options?: UpdateOptions): Promise<KeyValue> {
    return this.backend.guaranteedUpdate(key, tryUpdate, options);
  }

  delete(key: string, options?: DeleteOptions): Promise<KeyValue> {
    return this.backend.delete(key, options);
  }

  async compact(revision: Revision): Promise<void> {
    await this.backend.compact(revision);
    // History before the revision is gone in the backend: the window answers as it does.
    this.windowStart = Math.max(this.windowStart, revision);
    while (this.window.length > 0 && this.window[0].kv.revision <= revision) this.window.shift();
  }

  /** Stops the cache's backend watch and ends its watchers; the backend stays open. */
  async close(): Promise<void> {
    this.stop.abort();
    for (const watcher of [...this.watchers]) watcher.queue.end();
  }

  private attach(watcher: Watcher): void {
    if (watcher.queue.closed) return;
    if (watcher.from < this.windowStart) {
      watcher.queue.fail(new CompactedError(watcher.from, this.windowStart, watcher.prefix));
      return;
    }
    // Replay from the window and subscribe in one synchronous step.
    for (const event of this.window) {
      if (event.kv.revision > watcher.from && inRange(event.kv.key, watcher)) watcher.queue.push(event);
    }
    this.watchers.add(watcher);
  }

  private async run(): Promise<void> {
    let page = await this.backend.list(this.prefix, { limit: 500 });
    const revision = page.revision;
    for (;;) {
      for (const kv of page.items) this.objects.set(kv.key, kv);
      if (page.continue === undefined) break;
      page = await this.backend.list(this.prefix, { limit: 500, continue: page.continue });
    }
    this.revision = revision;
    this.windowStart = revision;
    this.backendWatch = this.backend.watch(this.prefix, revision, { signal: this.stop.signal });
    void this.follow(this.backendWatch);
  }

  private async follow(watch: Watch): Promise<void> {
    try {
      for await (const event of watch) this.apply(event);
    } catch (err) {
      // The backend watch broke (compacted past us, or the store went away): the watchers
      // re-establish their watches, as clients of a restarted API server do.
      for (const watcher of [...this.watchers]) watcher.queue.fail(asError(err));
    }
  }

  private apply(event: WatchEvent): void {
    if (event.type === 'BOOKMARK') {
      this.advance(event.revision);
      return;
    }
    if (event.type === 'DELETED') this.objects.delete(event.kv.key);
    else this.objects.set(event.kv.key, event.kv);
    this.sorted = undefined;
    this.window.push(event);
    if (this.window.length > this.windowSize) this.windowStart = this.window.shift()!.kv.revision;
    for (const watcher of this.watchers) {
      if (event.kv.revision > watcher.from && inRange(event.kv.key, watcher)) watcher.queue.push(event);
    }
    this.advance(event.kv.revision);
  }

  private advance(revision: Revision): void {
    if (revision <= this.revision) return;
    this.revision = revision;
    for (const waiter of [...this.waiters]) {
      if (waiter.revision <= revision) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /** Waits until the cache has every write the backend acknowledged so far. */
  private async consistent(): Promise<void> {
    await this.ready;
    await this.waitFor(await this.backend.currentRevision());
  }

  private async waitFor(revision: Revision): Promise<void> {
    await this.ready;
    if (revision <= this.revision) return;
    let timer: NodeJS.Timeout | undefined;
    const waiter = { revision, resolve: (): void => undefined };
    try {
      await new Promise<void>((resolve, reject) => {
        waiter.resolve = resolve;
        this.waiters.add(waiter);
        timer = setTimeout(() => reject(new FutureRevisionError(revision, this.revision, this.prefix)), this.waitMs);
        // The revision may be of a write outside the prefix: ask the backend how far it got.
        this.backendWatch?.requestProgress();
      });
    } finally {
      clearTimeout(timer);
      this.waiters.delete(waiter);
    }
  }

  private inOrder(): KeyValue[] {
    this.sorted ??= [...this.objects.values()].sort((a, b) => compareKeys(a.key, b.key));
    return this.sorted;
  }
}

function inRange(key: string, watcher: Watcher): boolean {
  return key >= watcher.prefix && key < watcher.end;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
