import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalContentStore } from './store.js';
import { runContentStoreSuite } from './testsuite.js';

runContentStoreSuite('local', async () => {
  const root = await mkdtemp(join(tmpdir(), 'minke-test-content-'));
  const store = await LocalContentStore.open(root);
  return {
    store,
    partials: () => readdir(join(root, 'ingest')),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});
