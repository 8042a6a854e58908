// The HA backend: etcd v3 through the etcd3 client's raw KV and Watch RPCs. Revisions are etcd's
// mod revisions; every write is a transaction that compares the revision it read (so a lost
// race retries rather than overwrites); watches are etcd watches from a start revision with the
// previous value, so that a delete carries the last value.
import { Etcd3, type IKeyValue, type IOptions, type IWatchResponse } from 'etcd3';
import { AlreadyExistsError, CompactedError, FutureRevisionError, NotFoundError } from './errors.js';
import { EventQueue } from './event-queue.js';
import type {
  DeleteOptions, KeyValue, ListOptions, ListResult, Revision, Storage, TryUpdate, UpdateOptions, Watch,
  WatchOptions,
} from './interface.js';
import { decodeContinue, encodeContinue, prefixEnd } from './keys.js';
import { checkPreconditions, nextValue } from './preconditions.js';

export interface EtcdStorageOptions {
  /** Client URLs, e.g. http://127.0.0.1:2379. */
  readonly endpoints: readonly string[];
  readonly credentials?: IOptions['credentials'];
  /** Milliseconds to wait for a connection. */
  readonly dialTimeout?: number;
}

const COMPACTED = 'required revision has been compacted';
const FUTURE = 'required revision is a future revision';

export class EtcdStorage implements Storage {
  private readonly client: Etcd3;
  private readonly watches = new Set<EventQueue>();

  constructor(options: EtcdStorageOptions) {
    this.client = new Etcd3({
      hosts: [...options.endpoints],
      credentials: options.credentials,
      dialTimeout: options.dialTimeout ?? 10_000,
    });
  }

  async currentRevision(): Promise<Revision> {
    const res = await this.client.kv.range({ key: Buffer.from('/'), count_only: true });
    return Number(res.header.revision);
  }

  async get(key: string): Promise<KeyValue> {
    const res = await this.client.kv.range({ key: Buffer.from(key) });
    const kv = res.kvs[0];
    if (kv === undefined) throw new NotFoundError(key);
    return toKeyValue(kv);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    let revision = 0;
    let start = prefix;
    let atLeast = 0;
    if (options.continue !== undefined) {
      ({ revision, start } = decodeContinue(prefix, options.continue));
    } else if (options.revision !== undefined && options.revision > 0) {
      if (options.revisionMatch === 'Exact') revision = options.revision;
      else atLeast = options.revision;
    }
    const limit = options.limit !== undefined && options.limit > 0 ? options.limit : 0;
    const res = await this.call(prefix, revision, () => this.client.kv.range({
      key: Buffer.from(start), range_end: Buffer.from(prefixEnd(prefix)), revision, limit,
    }));
    const at = revision || Number(res.header.revision);
    if (atLeast > at) throw new FutureRevisionError(atLeast, at, prefix);
    const items = res.kvs.map(toKeyValue);
    if (!res.more || items.length === 0) return { items, revision: at };
    const last = items[items.length - 1].key;
    return { items, revision: at, continue: encodeContinue(prefix, { revision: at, start: last + '\u0000' }) };
  }

  async create(key: string, value: Uint8Array): Promise<Revision> {
    const res = await this.client.kv.txn({
      compare: [{ key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(value) } }],
    });
    if (!res.succeeded) throw new AlreadyExistsError(key);
    return Number(res.header.revision);
  }

  async guaranteedUpdate(key: string, tryUpdate: TryUpdate, options: UpdateOptions = {}): Promise<KeyValue> {
    for (;;) {
      const current = await this.get(key);
      const next = await nextValue(current, tryUpdate, options.preconditions);
      if (next === undefined) return current;
      const res = await this.client.kv.txn({
        compare: [{ key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: current.revision }],
        success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(next) } }],
      });
      if (!res.succeeded) continue; // another write came between: read again
      return { key, value: next, revision: Number(res.header.revision), createRevision: current.createRevision };
    }
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<KeyValue> {
    for (;;) {
      const current = await this.get(key);
      checkPreconditions(current, options.preconditions);
      const res = await this.client.kv.txn({
        compare: [{ key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: current.revision }],
        success: [{ request_delete_range: { key: Buffer.from(key) } }],
      });
      if (res.succeeded) return { ...current, revision: Number(res.header.revision) };
    }
  }

  watch(prefix: string, fromRevision: Revision, options: WatchOptions = {}): Watch {
    let stream: Awaited<ReturnType<Etcd3['watchClient']['watch']>> | undefined;
    const queue = new EventQueue(options.signal,
      () => stream?.write({ progress_request: {} }),
      () => {
        this.watches.delete(queue);
        stream?.cancel();
      });
    if (queue.closed) return queue;
    this.watches.add(queue);
    const onData = (res: IWatchResponse): void => {
      if (res.canceled) {
        const compacted = Number(res.compact_revision);
        queue.fail(compacted > 0
          ? new CompactedError(fromRevision, compacted, prefix)
          : new Error(`etcd watch on ${prefix} canceled: ${res.cancel_reason}`));
        return;
      }
      for (const event of res.events) {
        if (event.type === 'Delete') {
          const last = event.prev_kv ? toKeyValue(event.prev_kv) : { key: event.kv.key.toString('utf8'), value: Buffer.alloc(0), revision: 0, createRevision: 0 };
          queue.push({ type: 'DELETED', kv: { ...last, revision: Number(event.kv.mod_revision) } });
        } else {
          queue.push({ type: event.kv.version === '1' ? 'ADDED' : 'MODIFIED', kv: toKeyValue(event.kv) });
        }
      }
      // A response that is neither a creation nor events answers a progress request.
      if (!res.created && res.events.length === 0) queue.push({ type: 'BOOKMARK', revision: Number(res.header.revision) });
    };
    this.client.watchClient.watch().then((s) => {
      stream = s;
      if (queue.closed) {
        s.cancel();
        return;
      }
      s.on('data', onData);
      s.on('error', (err) => queue.fail(err));
      s.on('end', () => queue.fail(new Error(`etcd watch on ${prefix} ended`)));
      s.write({
        create_request: {
          key: Buffer.from(prefix), range_end: Buffer.from(prefixEnd(prefix)), start_revision: fromRevision + 1, prev_kv: true,
        },
      });
    }, (err: unknown) => queue.fail(err instanceof Error ? err : new Error(String(err))));
    return queue;
  }

  async compact(revision: Revision): Promise<void> {
    await this.call('', revision, () => this.client.kv.compact({ revision, physical: true }));
  }

  async close(): Promise<void> {
    for (const queue of [...this.watches]) queue.end();
    this.client.close();
  }

  /** Maps etcd's revision errors to the storage's own. */
  private async call<T>(key: string, revision: Revision, rpc: () => Promise<T>): Promise<T> {
    try {
      return await rpc();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message.includes(COMPACTED)) throw new CompactedError(revision, 0, key, { cause: err });
      if (message.includes(FUTURE)) throw new FutureRevisionError(revision, 0, key);
      throw err;
    }
  }
}

function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value,
    revision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
  };
}
