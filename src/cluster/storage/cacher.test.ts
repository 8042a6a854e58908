import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { describe, it } from 'node:test';
import { Cacher } from './cacher.js';
import { CompactedError } from './errors.js';
import type { ListOptions, ListResult, Revision, Watch, WatchOptions } from './interface.js';
import { SqliteStorage } from './sqlite.js';
import { json, parse, runStorageSuite, take } from './testsuite.js';

/** A SQLite store that counts the lists and watches the cache asks of it. */
class CountingStore extends SqliteStorage {
  lists = 0;
  watches = 0;
  override list(prefix: string, options?: ListOptions): Promise<ListResult> {
    this.lists++;
    return super.list(prefix, options);
  }
  override watch(prefix: string, fromRevision: Revision, options?: WatchOptions): Watch {
    this.watches++;
    return super.watch(prefix, fromRevision, options);
  }
}

const backend = new SqliteStorage(':memory:');
const cacher = new Cacher(backend, { prefix: '/registry/' });
runStorageSuite('cacher over sqlite', { store: () => cacher });

describe('cacher', () => {
  it('answers lists and gets from memory and fans one backend watch out to many watchers', async () => {
    const store = new CountingStore(':memory:');
    for (let i = 0; i < 50; i++) await store.create(`/registry/pods/ns/p${i}`, json({ i }));
    const cache = new Cacher(store, { prefix: '/registry/pods/' });
    const abort = new AbortController();
    setMaxListeners(50, abort.signal); // the twenty watchers share it
    try {
      await cache.started();
      const listsAtStart = store.lists;
      const from = await store.currentRevision();
      const watches = Array.from({ length: 20 }, () => cache.watch('/registry/pods/', from, { signal: abort.signal }));
      const writes: Revision[] = [];
      for (let i = 0; i < 10; i++) writes.push((await cache.guaranteedUpdate(`/registry/pods/ns/p${i}`, () => json({ i, v: 2 }))).revision);
      for (const watch of watches) {
        assert.deepEqual((await take(watch, 10)).map((e) => e.type !== 'BOOKMARK' && e.kv.revision), writes);
      }
      const listed = await cache.list('/registry/pods/ns/', { limit: 20 });
      assert.equal(listed.items.length, 20);
      assert.deepEqual(parse(await cache.get('/registry/pods/ns/p3')), { i: 3, v: 2 });
      assert.equal(store.lists, listsAtStart, 'no list reached the backend after the initial one');
      assert.equal(store.watches, 1);
    } finally {
      abort.abort();
      await cache.close();
      await store.close();
    }
  });

  it('resumes a watch from inside its window and answers too old before it', async () => {
    const store = new SqliteStorage(':memory:');
    const cache = new Cacher(store, { prefix: '/registry/', windowSize: 5 });
    const abort = new AbortController();
    try {
      await cache.started();
      const revisions: Revision[] = [];
      for (let i = 0; i < 12; i++) revisions.push(await cache.create(`/registry/cm/ns/c${i}`, json({ i })));
      await cache.list('/registry/'); // caught up
      const resumed = await take(cache.watch('/registry/', revisions[8], { signal: abort.signal }), 3);
      assert.deepEqual(resumed.map((e) => e.type !== 'BOOKMARK' && e.kv.revision), revisions.slice(9));
      await assert.rejects(take(cache.watch('/registry/', revisions[2]), 1), CompactedError);
    } finally {
      abort.abort();
      await cache.close();
      await store.close();
    }
  });

  it('a read sees a write made outside its prefix no later than it returns', async () => {
    const store = new SqliteStorage(':memory:');
    const cache = new Cacher(store, { prefix: '/registry/pods/' });
    try {
      await store.create('/registry/other/x', json({}));
      const listed = await cache.list('/registry/pods/');
      assert.equal(listed.revision, await store.currentRevision());
    } finally {
      await cache.close();
      await store.close();
    }
  });
});

process.on('beforeExit', () => {
  void cacher.close().then(() => backend.close());
});
