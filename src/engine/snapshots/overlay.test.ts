import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { NotFound } from '../../core/errors.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OverlaySnapshotter } from './overlay.js';
import { runSnapshotterSuite } from './testsuite.js';

runSnapshotterSuite('overlay', async () => {
  const root = await mkdtemp(join(tmpdir(), 'minke-test-overlay-'));
  return {
    snapshotter: await OverlaySnapshotter.open(root),
    reopen: () => OverlaySnapshotter.open(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

void describe('overlay: layers unpacked apart, then adopted', () => {
  void it('adopts scratch directories as committed snapshots in order, keeps a name that exists, refuses a missing parent', async () => {
    const root = await mkdtemp(join(tmpdir(), 'minke-test-adopt-'));
    try {
      const sn = await OverlaySnapshotter.open(root);
      const a = await sn.scratch();
      const b = await sn.scratch();
      await writeFile(join(a, 'fs', 'a'), 'A');
      await writeFile(join(b, 'fs', 'b'), 'B');
      assert.deepEqual(await sn.adopt([{ name: 'L1', parent: null, scratch: a }, { name: 'L2', parent: 'L1', scratch: b, labels: { x: '1' } }]), [true, true]);
      assert.equal((await sn.stat('L2')).parent, 'L1');
      assert.equal((await sn.stat('L2')).labels['x'], '1');
      assert.equal(await readFile(join(await sn.dir('L2'), 'b'), 'utf8'), 'B');
      assert.deepEqual(await sn.parentDirs('L2'), [await sn.dir('L1')]);
      const again = await sn.scratch();
      assert.deepEqual(await sn.adopt([{ name: 'L1', parent: null, scratch: again }]), [false]);
      assert.equal(existsSync(again), false, 'the scratch of a name that exists is removed');
      const orphan = await sn.scratch();
      await assert.rejects(sn.adopt([{ name: 'L3', parent: 'nope', scratch: orphan }]), NotFound);
      // A scratch never adopted is gone at the next open.
      await OverlaySnapshotter.open(root);
      assert.equal(existsSync(orphan), false);
      assert.deepEqual((await (await OverlaySnapshotter.open(root)).walk()).map((s) => s.name).sort(), ['L1', 'L2']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
