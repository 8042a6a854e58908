import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { runWriterUntilKilled } from './crash-writer.js';
import { EtcdServer, findEtcd } from './etcd-server.js';
import { EtcdStorage } from './etcd.js';
import { runStorageSuite } from './testsuite.js';

const binary = findEtcd();
let dir = '';
let server: EtcdServer | undefined;
let store: EtcdStorage | undefined;

if (binary === undefined) {
  process.stderr.write('etcd storage tests skipped: no etcd binary on PATH (scripts/setup.sh installs etcd-server)\n');
} else {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'minke-etcd-storage-'));
    server = await EtcdServer.start(binary, join(dir, 'data'));
    store = new EtcdStorage({ endpoints: [server.endpoint] });
  });

  after(async () => {
    await store?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  runStorageSuite('etcd', {
    store: () => {
      if (store === undefined) throw new Error('store not open');
      return store;
    },
    async crashWhileWriting(prefix, minAcks) {
      const etcd = server!;
      let killing: Promise<void> | undefined;
      // SIGKILL the server itself mid-writes (the writer dies with its connection or is killed after).
      const { acked } = await runWriterUntilKilled(etcd.endpoint, prefix, minAcks, (pid) => {
        killing = etcd.stop('SIGKILL').finally(() => process.kill(pid, 'SIGKILL'));
      });
      await killing;
      await store?.close();
      await etcd.run();
      store = new EtcdStorage({ endpoints: [etcd.endpoint] });
      return { acked, reopened: new EtcdStorage({ endpoints: [etcd.endpoint] }) };
    },
  });
}
