// One suite of checks that every cluster storage backend passes (containerd's testsuite idea).
// Each test works under its own key prefix, so backends that share a server (etcd) need no reset.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlreadyExistsError, CompactedError, ConflictError, NotFoundError } from './errors.js';
import type { KeyValue, Storage, Watch, WatchEvent } from './interface.js';

export interface CrashResult {
  /** The keys whose create was acknowledged before the kill, with their revisions. */
  readonly acked: ReadonlyMap<string, number>;
  /** The store opened again after the kill. */
  readonly reopened: Storage;
}

export interface StorageHarness {
  /** The store the tests share (closed by the harness's own after hook). */
  store(): Storage;
  /**
   * Writes creates under prefix through the real backend in a child process, kills it (and, for
   * a server backend, the server) with SIGKILL once at least minAcks were acknowledged, reopens.
   */
  crashWhileWriting?(prefix: string, minAcks: number): Promise<CrashResult>;
}

let prefixes = 0;
function newPrefix(): string {
  return `/registry/suite-${process.pid}-${Date.now().toString(36)}-${++prefixes}/`;
}

export function json(doc: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(doc));
}

export function parse(kv: KeyValue): unknown {
  return JSON.parse(Buffer.from(kv.value).toString('utf8'));
}

/** The next n events of a watch, failing after deadlineMs rather than hanging. */
export async function take(watch: Watch, n: number, deadlineMs = 20_000): Promise<WatchEvent[]> {
  const iterator = watch[Symbol.asyncIterator]();
  const events: WatchEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`watch: ${events.length} of ${n} events within ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    while (events.length < n) {
      const next = await Promise.race([iterator.next(), expired]);
      if (next.done) throw new Error(`watch ended after ${events.length} of ${n} events`);
      events.push(next.value);
    }
    return events;
  } finally {
    clearTimeout(timer);
  }
}

function summary(event: WatchEvent): string {
  if (event.type === 'BOOKMARK') return 'BOOKMARK';
  return `${event.type} ${event.kv.key.slice(event.kv.key.lastIndexOf('/') + 1)} ${event.kv.revision}`;
}

export function runStorageSuite(name: string, harness: StorageHarness): void {
  describe(`${name} storage`, () => {
    it('creates, gets, updates and deletes', async () => {
      const s = harness.store();
      const key = newPrefix() + 'default/a';
      const rev = await s.create(key, json({ v: 1 }));
      assert.ok(rev > 0);
      const got = await s.get(key);
      assert.deepEqual(parse(got), { v: 1 });
      assert.equal(got.revision, rev);
      assert.equal(got.createRevision, rev);
      await assert.rejects(s.create(key, json({ v: 9 })), AlreadyExistsError);
      const updated = await s.guaranteedUpdate(key, (cur) => json({ v: (parse(cur) as { v: number }).v + 1 }));
      assert.ok(updated.revision > rev);
      assert.equal(updated.createRevision, rev);
      assert.deepEqual(parse(await s.get(key)), { v: 2 });
      assert.equal((await s.get(key)).revision, updated.revision);
      assert.ok(await s.currentRevision() >= updated.revision);
      const last = await s.delete(key);
      assert.deepEqual(parse(last), { v: 2 });
      assert.ok(last.revision > updated.revision);
      await assert.rejects(s.get(key), NotFoundError);
      await assert.rejects(s.delete(key), NotFoundError);
      await assert.rejects(s.guaranteedUpdate(key, (cur) => cur.value), NotFoundError);
      const again = await s.create(key, json({ v: 3 }));
      assert.ok(again > last.revision);
      assert.equal((await s.get(key)).createRevision, again);
    });

    it('an update that changes nothing writes nothing', async () => {
      const s = harness.store();
      const key = newPrefix() + 'a';
      const rev = await s.create(key, json({ v: 1 }));
      const same = await s.guaranteedUpdate(key, (cur) => cur.value);
      assert.equal(same.revision, rev);
    });

    it('checks uid and revision preconditions', async () => {
      const s = harness.store();
      const key = newPrefix() + 'default/p';
      const rev = await s.create(key, json({ metadata: { uid: 'u1' }, n: 0 }));
      const bump = (cur: KeyValue): Uint8Array => json({ ...(parse(cur) as object), n: cur.revision });
      await assert.rejects(s.guaranteedUpdate(key, bump, { preconditions: { uid: 'u2' } }), ConflictError);
      await assert.rejects(s.guaranteedUpdate(key, bump, { preconditions: { revision: rev + 1000 } }), ConflictError);
      const ok = await s.guaranteedUpdate(key, bump, { preconditions: { uid: 'u1', revision: rev } });
      await assert.rejects(s.delete(key, { preconditions: { revision: rev } }), ConflictError);
      await assert.rejects(s.delete(key, { preconditions: { uid: 'other' } }), ConflictError);
      assert.equal((await s.get(key)).revision, ok.revision);
      const gone = await s.delete(key, { preconditions: { uid: 'u1', revision: ok.revision } });
      assert.equal((parse(gone) as { n: number }).n, rev);
    });

    it('lists pages with limit and continue at the first page\'s revision', async () => {
      const s = harness.store();
      const prefix = newPrefix();
      const names = Array.from({ length: 25 }, (_, i) => `ns/item-${String(i).padStart(2, '0')}`);
      for (const n of names) await s.create(prefix + n, json({ n }));
      await s.create(prefix.slice(0, -1) + 'x/outside', json({}));
      const first = await s.list(prefix, { limit: 10 });
      assert.equal(first.items.length, 10);
      assert.ok(first.continue);
      // Writes between pages do not show in the later pages.
      await s.delete(prefix + names[15]);
      await s.create(prefix + 'ns/item-99', json({}));
      await s.guaranteedUpdate(prefix + names[20], () => json({ changed: true }));
      const seen = [...first.items];
      let token: string | undefined = first.continue;
      while (token !== undefined) {
        const page = await s.list(prefix, { limit: 10, continue: token });
        assert.equal(page.revision, first.revision);
        seen.push(...page.items);
        token = page.continue;
      }
      assert.deepEqual(seen.map((kv) => kv.key), names.map((n) => prefix + n));
      assert.deepEqual(parse(seen[20]), { n: names[20] });
      const all = await s.list(prefix);
      assert.equal(all.items.length, 25);
      assert.equal(all.continue, undefined);
      assert.ok(all.revision > first.revision);
    });

    it('lists at an older revision', async () => {
      const s = harness.store();
      const prefix = newPrefix();
      const r1 = await s.create(prefix + 'a', json({ v: 1 }));
      await s.guaranteedUpdate(prefix + 'a', () => json({ v: 2 }));
      await s.create(prefix + 'b', json({ v: 1 }));
      const old = await s.list(prefix, { revision: r1, revisionMatch: 'Exact' });
      assert.equal(old.revision, r1);
      assert.deepEqual(old.items.map((kv) => [kv.key, parse(kv)]), [[prefix + 'a', { v: 1 }]]);
      const now = await s.list(prefix, { revision: r1, revisionMatch: 'NotOlderThan' });
      assert.equal(now.items.length, 2);
      assert.ok(now.revision > r1);
    });

    it('watches from a revision: exactly the later events, in order, deletes with their last value', async () => {
      const s = harness.store();
      const prefix = newPrefix();
      const r1 = await s.create(prefix + 'a', json({ v: 1 }));
      const r2 = (await s.guaranteedUpdate(prefix + 'a', () => json({ v: 2 }))).revision;
      const r3 = await s.create(prefix + 'b', json({ v: 1 }));
      const r4 = (await s.delete(prefix + 'a')).revision;
      const abort = new AbortController();
      try {
        const watch = s.watch(prefix, r1, { signal: abort.signal });
        const replayed = await take(watch, 3);
        assert.deepEqual(replayed.map(summary), [`MODIFIED a ${r2}`, `ADDED b ${r3}`, `DELETED a ${r4}`]);
        const deleted = replayed[2];
        assert.ok(deleted.type === 'DELETED');
        assert.deepEqual(parse(deleted.kv), { v: 2 });
        const r5 = (await s.guaranteedUpdate(prefix + 'b', () => json({ v: 2 }))).revision;
        const [live] = await take(watch, 1);
        assert.equal(summary(live), `MODIFIED b ${r5}`);
        assert.ok(live.type === 'MODIFIED');
        assert.deepEqual(parse(live.kv), { v: 2 });
        watch.requestProgress();
        const [bookmark] = await take(watch, 1);
        assert.ok(bookmark.type === 'BOOKMARK' && bookmark.revision >= r5, JSON.stringify(bookmark));
      } finally {
        abort.abort();
      }
    });

    it('watches only the keys under its prefix', async () => {
      const s = harness.store();
      const prefix = newPrefix();
      const from = await s.currentRevision();
      const abort = new AbortController();
      try {
        const watch = s.watch(prefix + 'pods/', from, { signal: abort.signal });
        await s.create(prefix + 'podsx/a', json({}));
        await s.create(prefix + 'other/a', json({}));
        const r = await s.create(prefix + 'pods/a', json({}));
        await s.create(prefix + 'pods-b', json({}));
        const r2 = await s.create(prefix + 'pods/b', json({}));
        const events = await take(watch, 2);
        assert.deepEqual(events.map(summary), [`ADDED a ${r}`, `ADDED b ${r2}`]);
      } finally {
        abort.abort();
      }
    });

    it('a watch ends when its signal aborts', async () => {
      const s = harness.store();
      const abort = new AbortController();
      const watch = s.watch(newPrefix(), await s.currentRevision(), { signal: abort.signal });
      const next = watch[Symbol.asyncIterator]().next();
      abort.abort();
      assert.equal((await next).done, true);
    });

    it('compaction: lists and watches before the compacted revision fail, later ones work', async () => {
      const s = harness.store();
      const prefix = newPrefix();
      const r1 = await s.create(prefix + 'a', json({ v: 1 }));
      await s.create(prefix + 'gone', json({}));
      for (let v = 2; v <= 5; v++) await s.guaranteedUpdate(prefix + 'a', () => json({ v }));
      await s.delete(prefix + 'gone');
      const rc = await s.create(prefix + 'b', json({ v: 1 }));
      const after = (await s.guaranteedUpdate(prefix + 'a', () => json({ v: 6 }))).revision;
      await s.compact(rc);
      await assert.rejects(s.list(prefix, { revision: r1, revisionMatch: 'Exact' }), CompactedError);
      await assert.rejects(take(s.watch(prefix, r1), 1), CompactedError);
      const atCompact = await s.list(prefix, { revision: rc, revisionMatch: 'Exact' });
      assert.deepEqual(atCompact.items.map((kv) => parse(kv)), [{ v: 5 }, { v: 1 }]);
      assert.deepEqual(parse(await s.get(prefix + 'a')), { v: 6 });
      const abort = new AbortController();
      try {
        const events = await take(s.watch(prefix, rc, { signal: abort.signal }), 1);
        assert.deepEqual(events.map(summary), [`MODIFIED a ${after}`]);
      } finally {
        abort.abort();
      }
    });

    it('writes issued together succeed or fail each on its own, in revision order', async () => {
      const s = harness.store();
      const prefix = newPrefix();
      const from = await s.currentRevision();
      // One turn of the event loop: twenty creates, a duplicate of one, and a delete of nothing.
      const results = await Promise.allSettled([
        ...Array.from({ length: 20 }, (_, i) => s.create(`${prefix}k${i}`, json({ i }))),
        s.create(`${prefix}k3`, json({ dup: true })),
        s.delete(`${prefix}missing`),
      ]);
      const created = results.slice(0, 20);
      assert.ok(created.every((r) => r.status === 'fulfilled'));
      assert.ok(results[20]!.status === 'rejected' && results[20].reason instanceof AlreadyExistsError);
      assert.ok(results[21]!.status === 'rejected' && results[21].reason instanceof NotFoundError);
      const revisions = created.map((r) => (r as PromiseFulfilledResult<number>).value);
      assert.equal(new Set(revisions).size, 20);
      assert.deepEqual(parse(await s.get(`${prefix}k3`)), { i: 3 });
      const abort = new AbortController();
      try {
        const events = await take(s.watch(prefix, from, { signal: abort.signal }), 20);
        assert.deepEqual(events.map((e) => e.type === 'ADDED' && e.kv.revision), [...revisions].sort((a, b) => a - b));
      } finally {
        abort.abort();
      }
    });

    it('concurrent guaranteedUpdates are each applied exactly once', async () => {
      const s = harness.store();
      const key = newPrefix() + 'counter';
      const r0 = await s.create(key, json({ n: 0 }));
      const callers = 5;
      const each = 8;
      await Promise.all(Array.from({ length: callers }, async () => {
        for (let i = 0; i < each; i++) {
          await s.guaranteedUpdate(key, async (cur) => {
            await new Promise((resolve) => setImmediate(resolve)); // let the others read the same value
            return json({ n: (parse(cur) as { n: number }).n + 1 });
          });
        }
      }));
      assert.deepEqual(parse(await s.get(key)), { n: callers * each });
      const abort = new AbortController();
      try {
        const events = await take(s.watch(key, r0, { signal: abort.signal }), callers * each);
        assert.deepEqual(events.map((e) => e.type === 'MODIFIED' && (parse(e.kv) as { n: number }).n),
          Array.from({ length: callers * each }, (_, i) => i + 1));
      } finally {
        abort.abort();
      }
    });

    it('keeps every acknowledged write across a SIGKILL', { skip: harness.crashWhileWriting ? false : 'no crash harness' }, async () => {
      const prefix = newPrefix();
      const { acked, reopened } = await harness.crashWhileWriting!(prefix, 200);
      try {
        assert.ok(acked.size >= 200);
        const listed = new Map((await reopened.list(prefix)).items.map((kv) => [kv.key, kv.revision]));
        for (const [key, revision] of acked) assert.equal(listed.get(key), revision, `${key} after the kill`);
        assert.ok(await reopened.currentRevision() >= Math.max(...acked.values()));
      } finally {
        await reopened.close();
      }
    });
  });
}
