/**
 * Checks every snapshotter must pass (containerd's snapshots/testsuite). Needs root: it mounts.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, unlink, access, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conflict, NotFound } from '../../core/errors.js';
import { mountAll, unmountAll, type Mount } from './mount.js';
import type { Snapshotter } from './snapshotter.js';

export interface SnapshotterFixture {
  snapshotter: Snapshotter;
  /** Opens the same store again, as after a restart. */
  reopen(): Promise<Snapshotter>;
  cleanup(): Promise<void>;
}

export function runSnapshotterSuite(name: string, factory: () => Promise<SnapshotterFixture>): void {
  void describe(`snapshotter: ${name}`, () => {
    let fx: SnapshotterFixture;
    let sn: Snapshotter;
    let work: string;
    const targets: string[] = [];

    const withMount = async <T>(mounts: Mount[], fn: (dir: string) => Promise<T>): Promise<T> => {
      const target = await mkdtemp(join(work, 'mnt-'));
      targets.push(target);
      mountAll(mounts, target);
      try {
        return await fn(target);
      } finally {
        unmountAll(target);
      }
    };

    beforeEach(async () => {
      fx = await factory();
      sn = fx.snapshotter;
      work = await mkdtemp(join(tmpdir(), 'minke-test-snapmnt-'));
    });
    afterEach(async () => {
      for (const t of targets.splice(0)) unmountAll(t);
      await rm(work, { recursive: true, force: true });
      await fx.cleanup();
    });

    void it('prepares, commits and stacks snapshots', async () => {
      const m0 = await sn.prepare('a-active', null);
      await withMount(m0, async (d) => {
        await writeFile(join(d, 'base'), 'base');
        await writeFile(join(d, 'gone'), 'x');
      });
      await sn.commit('a', 'a-active');
      await assert.rejects(sn.stat('a-active'), NotFound);
      assert.equal((await sn.stat('a')).kind, 'committed');

      const m1 = await sn.prepare('b-active', 'a');
      assert.equal(m1[0]!.type, 'overlay');
      await withMount(m1, async (d) => {
        assert.equal(await readFile(join(d, 'base'), 'utf8'), 'base');
        await writeFile(join(d, 'top'), 'top');
        await unlink(join(d, 'gone'));
      });
      await sn.commit('b', 'b-active');
      const info = await sn.stat('b');
      assert.equal(info.parent, 'a');

      await withMount(await sn.view('v', 'b'), async (d) => {
        assert.deepEqual((await readdir(d)).sort(), ['base', 'top']);
        await assert.rejects(writeFile(join(d, 'x'), 'x'));
      });
      await withMount(await sn.view('v1', 'a'), async (d) => {
        assert.deepEqual((await readdir(d)).sort(), ['base', 'gone']);
        await assert.rejects(writeFile(join(d, 'x'), 'x'));
      });
      assert.deepEqual(await sn.mounts('v1'), (await sn.mounts('v1')));
      const usage = await sn.usage('a');
      assert.equal(usage.size, 5);
      assert.equal(usage.inodes, 3);
    });

    void it('enforces lifecycle rules', async () => {
      await sn.prepare('x', null);
      await assert.rejects(sn.prepare('x', null), Conflict);
      await assert.rejects(sn.prepare('y', 'x'), /not committed/);
      await assert.rejects(sn.prepare('y', 'nope'), NotFound);
      await sn.commit('c', 'x');
      await sn.prepare('child', 'c');
      await assert.rejects(sn.remove('c'), Conflict);
      await sn.prepare('x2', null);
      await assert.rejects(sn.commit('c', 'x2'), Conflict);
      await sn.view('v', 'c');
      await assert.rejects(sn.commit('vv', 'v'), /not active/);
      await sn.remove('child');
      await sn.remove('v');
      await sn.remove('c');
      await assert.rejects(sn.stat('c'), NotFound);
      assert.deepEqual((await sn.walk()).map((i) => i.name), ['x2']);
    });

    void it('persists across reopen', async () => {
      await sn.prepare('p', null, { labels: { l: 'v' } });
      await sn.commit('c', 'p');
      await sn.prepare('q', 'c');
      const again = await fx.reopen();
      assert.deepEqual((await again.walk()).map((i) => [i.name, i.kind, i.parent]).sort(), [['c', 'committed', undefined], ['q', 'active', 'c']]);
      assert.deepEqual((await again.stat('c')).labels, { l: 'v' });
    });

    void it('mounts a deep chain of layers', async () => {
      let parent: string | null = null;
      const depth = 130;
      for (let i = 0; i < depth; i++) {
        const key = `layer-${i}-active`;
        const ms = await sn.prepare(key, parent);
        if (i % 40 === 0 || i === depth - 1) await withMount(ms, (d) => writeFile(join(d, `f${i}`), String(i)));
        await sn.commit(`layer-${i}`, key);
        parent = `layer-${i}`;
      }
      await withMount(await sn.prepare('top', parent), async (d) => {
        assert.equal(await readFile(join(d, 'f0'), 'utf8'), '0');
        assert.equal(await readFile(join(d, `f${depth - 1}`), 'utf8'), String(depth - 1));
        await writeFile(join(d, 'new'), 'n');
      });
      await access(join(work));
    });
  });
}
