// The default backend: kine's design on SQLite. One append-only table is the revision log: every
// create, update and delete appends a row whose id is the write's revision; the latest row of a
// name is its current value (a row with deleted=1 is a tombstone carrying the last value).
// Writes are SQLite transactions in WAL mode with synchronous=FULL, so a write is on disk before
// its promise resolves. They are group-committed: the writes that arrive in one turn of the event
// loop (the requests of many clients read in one poll) run in one transaction, each in a
// savepoint of its own so that one's failure does not touch the others, and share one fsync. Watches are fed in-process from the writes as they commit,
// and on start from the table since their revision (the same tick, so nothing falls between).
import Database from 'better-sqlite3';
import { AlreadyExistsError, CompactedError, FutureRevisionError, NotFoundError } from './errors.js';
import { EventQueue } from './event-queue.js';
import type {
  DeleteOptions, KeyValue, ListOptions, ListResult, Revision, Storage, TryUpdate, UpdateOptions, Watch,
  WatchEvent, WatchOptions,
} from './interface.js';
import { decodeContinue, encodeContinue, prefixEnd } from './keys.js';
import { checkPreconditions, nextValue } from './preconditions.js';

interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  value: Buffer;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS kine_name_index ON kine (name, id);
-- Two writers that read the same latest row cannot both append after it.
CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision_uindex ON kine (name, prev_revision);
CREATE TABLE IF NOT EXISTS kine_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

const COLUMNS = 'id, name, created, deleted, create_revision, value';

/** A write waiting for the next group commit: run inside the batch's transaction. */
interface PendingWrite {
  run(): KeyValue | undefined;
  resolve(kv: KeyValue | undefined): void;
  reject(err: unknown): void;
  event?: WatchEvent['type'];
  result?: KeyValue;
}

interface Watcher {
  readonly prefix: string;
  readonly end: string;
  readonly queue: EventQueue;
}

export class SqliteStorage implements Storage {
  private readonly db: Database.Database;
  private readonly watchers = new Set<Watcher>();
  private revision: Revision;
  private compacted: Revision;
  private pending: PendingWrite[] = [];
  private readonly commitBatch: Database.Transaction<(batch: PendingWrite[]) => void>;
  private readonly stmt: {
    latest: Database.Statement<[string], Row>;
    latestAt: Database.Statement<[string, number], Row>;
    insert: Database.Statement<[string, number, number, number, number, Buffer]>;
    list: Database.Statement<[string, string, number, number], Row>;
    since: Database.Statement<[number, string, string], Row>;
    sequence: Database.Statement<[], { seq: number }>;
    setMeta: Database.Statement<[string, number]>;
  };

  /** Opens (creating when absent) the store in the SQLite file at path. */
  constructor(readonly path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.stmt = {
      latest: this.db.prepare(`SELECT ${COLUMNS} FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1`),
      latestAt: this.db.prepare(`SELECT ${COLUMNS} FROM kine WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1`),
      insert: this.db.prepare(
        'INSERT INTO kine (name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?)'),
      list: this.db.prepare(`SELECT k.id, k.name, k.created, k.deleted, k.create_revision, k.value FROM kine k
        JOIN (SELECT MAX(id) AS mid FROM kine WHERE name >= ? AND name < ? AND id <= ? GROUP BY name) m
        ON k.id = m.mid WHERE k.deleted = 0 ORDER BY k.name LIMIT ?`),
      since: this.db.prepare(`SELECT ${COLUMNS} FROM kine WHERE id > ? AND name >= ? AND name < ? ORDER BY id`),
      sequence: this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'kine'"),
      setMeta: this.db.prepare('INSERT INTO kine_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    };
    this.revision = this.stmt.sequence.get()?.seq ?? 0;
    const meta = this.db.prepare<[string], { value: number }>('SELECT value FROM kine_meta WHERE key = ?');
    this.compacted = meta.get('compact_revision')?.value ?? 0;
    this.commitBatch = this.db.transaction((batch: PendingWrite[]) => {
      for (const w of batch) {
        try {
          w.result = this.db.transaction(() => w.run())(); // a savepoint: rolled back alone on a throw
        } catch (err) {
          w.event = undefined;
          w.reject(err);
        }
      }
    });
  }

  /**
   * Queues a write for the next group commit; resolves with run's result once it is on disk and
   * its event dispatched (an undefined result dispatches nothing).
   */
  private write(event: WatchEvent['type'], run: () => KeyValue | undefined): Promise<KeyValue | undefined> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ run, resolve, reject, event });
    });
  }

  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const before = this.revision;
    try {
      this.commitBatch.immediate(batch);
    } catch (err) {
      this.revision = before; // nothing of the batch is on disk
      for (const w of batch) if (w.event !== undefined) w.reject(err);
      return;
    }
    for (const w of batch) {
      if (w.event === undefined) continue; // rejected on its own
      if (w.result !== undefined) this.dispatch({ type: w.event, kv: w.result } as WatchEvent & { kv: KeyValue });
      w.resolve(w.result);
    }
  }

  async currentRevision(): Promise<Revision> {
    return this.revision;
  }

  async get(key: string): Promise<KeyValue> {
    const row = this.stmt.latest.get(key);
    if (row === undefined || row.deleted) throw new NotFoundError(key);
    return toKeyValue(row);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    let revision = this.revision;
    let start = prefix;
    if (options.continue !== undefined) {
      ({ revision, start } = decodeContinue(prefix, options.continue));
    } else if (options.revision !== undefined && options.revision > 0) {
      if (options.revision > this.revision) throw new FutureRevisionError(options.revision, this.revision, prefix);
      if (options.revisionMatch === 'Exact') revision = options.revision;
    }
    if (revision < this.compacted) throw new CompactedError(revision, this.compacted, prefix);
    const limit = options.limit !== undefined && options.limit > 0 ? options.limit : -1;
    const rows = this.stmt.list.all(start, prefixEnd(prefix), revision, limit < 0 ? -1 : limit + 1);
    const more = limit > 0 && rows.length > limit;
    if (more) rows.length = limit;
    const items = rows.map(toKeyValue);
    if (!more) return { items, revision };
    const last = items[items.length - 1].key;
    return { items, revision, continue: encodeContinue(prefix, { revision, start: last + '\u0000' }) };
  }

  async create(key: string, value: Uint8Array): Promise<Revision> {
    const kv = await this.write('ADDED', (): KeyValue => {
      const latest = this.stmt.latest.get(key);
      if (latest !== undefined && !latest.deleted) throw new AlreadyExistsError(key);
      const id = this.append(key, 1, 0, 0, latest?.id ?? 0, value);
      return { key, value, revision: id, createRevision: id };
    });
    return kv!.revision;
  }

  async guaranteedUpdate(key: string, tryUpdate: TryUpdate, options: UpdateOptions = {}): Promise<KeyValue> {
    for (;;) {
      const current = await this.get(key);
      const next = await nextValue(current, tryUpdate, options.preconditions);
      if (next === undefined) return current;
      const kv = await this.write('MODIFIED', (): KeyValue | undefined => {
        const latest = this.stmt.latest.get(key);
        if (latest === undefined || latest.deleted || latest.id !== current.revision) return undefined;
        const id = this.append(key, 0, 0, current.createRevision, latest.id, next);
        return { key, value: next, revision: id, createRevision: current.createRevision };
      });
      if (kv === undefined) continue; // another write came between: read again
      return kv;
    }
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<KeyValue> {
    const kv = await this.write('DELETED', (): KeyValue => {
      const latest = this.stmt.latest.get(key);
      if (latest === undefined || latest.deleted) throw new NotFoundError(key);
      const current = toKeyValue(latest);
      checkPreconditions(current, options.preconditions);
      const id = this.append(key, 0, 1, current.createRevision, latest.id, latest.value);
      return { ...current, revision: id };
    });
    return kv!;
  }

  watch(prefix: string, fromRevision: Revision, options: WatchOptions = {}): Watch {
    const watcher: Watcher = {
      prefix,
      end: prefixEnd(prefix),
      queue: new EventQueue(options.signal,
        (queue) => queue.push({ type: 'BOOKMARK', revision: this.revision }),
        () => this.watchers.delete(watcher)),
    };
    if (watcher.queue.closed) return watcher.queue;
    if (fromRevision < this.compacted) {
      watcher.queue.fail(new CompactedError(fromRevision, this.compacted, prefix));
      return watcher.queue;
    }
    // Replay and subscribe in one synchronous step: no write can commit between them.
    for (const row of this.stmt.since.iterate(fromRevision, prefix, watcher.end)) {
      watcher.queue.push(toEvent(row));
    }
    this.watchers.add(watcher);
    return watcher.queue;
  }

  async compact(revision: Revision): Promise<void> {
    if (revision <= this.compacted) throw new CompactedError(revision, this.compacted);
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
    this.db.transaction(() => {
      // Rows superseded at or before the revision, and tombstones themselves: the latest value
      // of every live key as of the revision stays.
      this.db.prepare(`DELETE FROM kine WHERE id <= ? AND (deleted = 1 OR id IN
        (SELECT prev_revision FROM kine WHERE id <= ?))`).run(revision, revision);
      this.stmt.setMeta.run('compact_revision', revision);
    }).immediate();
    this.compacted = revision;
  }

  async close(): Promise<void> {
    if (this.pending.length > 0) this.flush();
    for (const watcher of [...this.watchers]) watcher.queue.end();
    this.db.close();
  }

  private append(key: string, created: number, deleted: number, createRevision: number, prev: number, value: Uint8Array): Revision {
    const info = this.stmt.insert.run(key, created, deleted, createRevision, prev, Buffer.from(value));
    const id = Number(info.lastInsertRowid);
    this.revision = id;
    return id;
  }

  private dispatch(event: WatchEvent & { kv: KeyValue }): void {
    const key = event.kv.key;
    for (const watcher of this.watchers) {
      if (key >= watcher.prefix && key < watcher.end) watcher.queue.push(event);
    }
  }
}

function toKeyValue(row: Row): KeyValue {
  return { key: row.name, value: row.value, revision: row.id, createRevision: row.created ? row.id : row.create_revision };
}

function toEvent(row: Row): WatchEvent {
  const kv = toKeyValue(row);
  if (row.deleted) return { type: 'DELETED', kv };
  return { type: row.created ? 'ADDED' : 'MODIFIED', kv };
}
