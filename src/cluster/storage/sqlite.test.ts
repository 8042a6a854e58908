import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { runWriterUntilKilled } from './crash-writer.js';
import { SqliteStorage } from './sqlite.js';
import { runStorageSuite } from './testsuite.js';

let dir = '';
let store: SqliteStorage | undefined;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'minke-sqlite-storage-'));
  store = new SqliteStorage(join(dir, 'state.db'));
});

after(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

runStorageSuite('sqlite', {
  store: () => {
    if (store === undefined) throw new Error('store not open');
    return store;
  },
  async crashWhileWriting(prefix, minAcks) {
    const path = join(dir, 'crash.db');
    const { acked } = await runWriterUntilKilled(path, prefix, minAcks, (pid) => process.kill(pid, 'SIGKILL'));
    return { acked, reopened: new SqliteStorage(path) };
  },
});
