import { mkdtemp, rm } from 'node:fs/promises';
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
