/**
 * The checks every content store implementation must pass (containerd's testsuite idea).
 * Call runContentStoreSuite from a test file with a factory making a fresh, empty store.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sha256, type Digest } from '../../core/digest.js';
import { InvalidArgument, NotFound } from '../../core/errors.js';
import type { ContentStore } from './store.js';

export interface StoreFixture {
  store: ContentStore;
  /** Names of partial writes left behind (must be empty after failed/aborted writes). */
  partials(): Promise<string[]>;
  cleanup(): Promise<void>;
}

async function collect(s: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

export function runContentStoreSuite(name: string, factory: () => Promise<StoreFixture>): void {
  void describe(`content store: ${name}`, () => {
    let fx: StoreFixture;
    beforeEach(async () => {
      fx = await factory();
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    void it('writes and reads a blob', async () => {
      const info = await fx.store.writeBlob('hello');
      assert.equal(info.digest, sha256('hello'));
      assert.equal(info.size, 5);
      assert.equal((await fx.store.readBuffer(info.digest)).toString(), 'hello');
      assert.equal((await collect(await fx.store.readStream(info.digest))).toString(), 'hello');
      assert.equal((await collect(await fx.store.readStream(info.digest, { offset: 2 }))).toString(), 'llo');
      assert.equal((await fx.store.info(info.digest)).size, 5);
    });

    void it('streams a large blob through a writer', async () => {
      const chunk = Buffer.alloc(1 << 20, 7);
      const w = await fx.store.writer();
      for (let i = 0; i < 5; i++) await w.write(chunk);
      assert.equal(w.offset, 5 << 20);
      const expected = sha256(Buffer.concat(Array(5).fill(chunk) as Buffer[]));
      const info = await w.commit({ digest: expected, size: 5 << 20 });
      assert.equal(info.digest, expected);
      assert.equal((await fx.store.info(expected)).size, 5 << 20);
    });

    void it('rejects a digest mismatch and leaves nothing behind', async () => {
      const wrong: Digest = sha256('other');
      await assert.rejects(fx.store.writeBlob('hello', wrong), InvalidArgument);
      await assert.rejects(fx.store.info(sha256('hello')), NotFound);
      await assert.rejects(fx.store.info(wrong), NotFound);
      assert.deepEqual(await fx.partials(), []);
    });

    void it('rejects a size mismatch', async () => {
      async function* src(): AsyncGenerator<Buffer> { yield Buffer.from('abc'); }
      await assert.rejects(fx.store.writeStream(src(), { size: 4 }), InvalidArgument);
      assert.deepEqual(await fx.store.list(), []);
      assert.deepEqual(await fx.partials(), []);
    });

    void it('removes partial data when the source fails or the writer is aborted', async () => {
      async function* failing(): AsyncGenerator<Buffer> {
        yield Buffer.from('abc');
        throw new Error('boom');
      }
      await assert.rejects(fx.store.writeStream(failing()), /boom/);
      const w = await fx.store.writer();
      await w.write('partial');
      await w.abort();
      assert.deepEqual(await fx.partials(), []);
      assert.deepEqual(await fx.store.list(), []);
    });

    void it('honours an abort signal', async () => {
      const ac = new AbortController();
      async function* src(): AsyncGenerator<Buffer> {
        yield Buffer.from('a');
        ac.abort();
        yield Buffer.from('b');
      }
      await assert.rejects(fx.store.writeStream(src(), undefined, { signal: ac.signal }));
      assert.deepEqual(await fx.partials(), []);
    });

    void it('writing the same content twice is idempotent', async () => {
      await fx.store.writeBlob('same');
      await fx.store.writeBlob('same', sha256('same'));
      assert.equal((await fx.store.list()).length, 1);
    });

    void it('lists, walks and deletes', async () => {
      const a = await fx.store.writeBlob('a');
      const b = await fx.store.writeBlob('b');
      const seen: Digest[] = [];
      for await (const i of fx.store.walk()) seen.push(i.digest);
      assert.deepEqual(seen.sort(), [a.digest, b.digest].sort());
      await fx.store.delete(a.digest);
      assert.deepEqual((await fx.store.list()).map((i) => i.digest), [b.digest]);
      await assert.rejects(fx.store.delete(a.digest), NotFound);
      await assert.rejects(fx.store.readBuffer(a.digest), NotFound);
      await assert.rejects(fx.store.readStream(a.digest), NotFound);
    });

    void it('rejects malformed digests', async () => {
      await assert.rejects(fx.store.info('sha256:xyz' as Digest), InvalidArgument);
    });
  });
}
