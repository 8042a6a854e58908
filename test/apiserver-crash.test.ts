// Durability of `minke server` as a whole: writes acknowledged with 201 survive a SIGKILL of the
// server in the middle of a stream of creates, on SQLite and on etcd (when installed), with their
// resourceVersions; the restarted server keeps serving and numbering after them.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EtcdServer, findEtcd } from '../src/cluster/storage/etcd-server.js';
import { waitFor } from './apiserver-harness.js';
import { minkeBin } from './harness.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface Served { child: ChildProcess; url: string }

async function serve(dataDir: string, kubeconfig: string, endpoint?: string): Promise<Served> {
  let log = '';
  const child = spawn(process.execPath, [minkeBin, 'server', '--bind-address', '127.0.0.1', '--secure-port', '0', '--data-dir', dataDir, '--write-kubeconfig', kubeconfig,
    ...(endpoint !== undefined ? ['--datastore-endpoint', endpoint] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  child.stderr?.on('data', (c: Buffer) => { log += c.toString(); });
  const url = await waitFor(`minke server to serve (log: ${log})`, () => {
    if (child.exitCode !== null) throw new Error(`minke server exited (${child.exitCode}): ${log}`);
    return /serving the Kubernetes API on (https:\/\/\S+)/.exec(log)?.[1];
  }, 60_000);
  return { child, url };
}

function client(dataDir: string): (url: string, method: string, path: string, body?: unknown) => Promise<{ status: number; body: string }> {
  const tls = (f: string): Buffer => readFileSync(join(dataDir, 'tls', f));
  const agent = new Agent({ keepAlive: true, maxSockets: 16, ca: tls('ca.crt'), cert: tls('admin.crt'), key: tls('admin.key') });
  return (url, method, path, body) => new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, agent, headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, signal: AbortSignal.timeout(30_000) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function crashAndCheck(endpoint?: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'minke-server-crash-'));
  dirs.push(dir);
  const dataDir = join(dir, 'data');
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const first = await serve(dataDir, kubeconfig, endpoint);
  const call = client(dataDir);
  assert.equal((await call(first.url, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crash' } })).status, 201);
  // Eight writers create ConfigMaps until the server dies; the kill comes once 150 were acknowledged.
  const acked = new Map<string, string>();
  let n = 0;
  let killed = false;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (!killed || first.child.exitCode === null) {
      const name = `cm-${n++}`;
      const r = await call(first.url, 'POST', '/api/v1/namespaces/crash/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: name } })
        .catch(() => undefined);
      if (r === undefined) break; // the connection died with the server: not acknowledged
      if (r.status === 201) acked.set(name, (JSON.parse(r.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
      if (!killed && acked.size >= 150) {
        killed = true;
        first.child.kill('SIGKILL');
      }
    }
  }));
  assert.ok(acked.size >= 150, `acknowledged ${acked.size}`);
  await waitFor('the killed server to exit', () => (first.child.exitCode !== null || first.child.signalCode !== null ? true : undefined));

  const second = await serve(dataDir, kubeconfig, endpoint);
  try {
    const list = await call(second.url, 'GET', '/api/v1/namespaces/crash/configmaps');
    assert.equal(list.status, 200, list.body);
    const parsed = JSON.parse(list.body) as { metadata: { resourceVersion: string }; items: { metadata: { name: string; resourceVersion: string } }[] };
    const listed = new Map(parsed.items.map((i) => [i.metadata.name, i.metadata.resourceVersion]));
    for (const [name, rv] of acked) assert.equal(listed.get(name), rv, `${name} (acknowledged at ${rv}) after the kill`);
    const maxAcked = Math.max(...[...acked.values()].map(Number));
    assert.ok(Number(parsed.metadata.resourceVersion) >= maxAcked, `list RV ${parsed.metadata.resourceVersion} < ${maxAcked}`);
    // It keeps serving, and a new write is numbered after every acknowledged one.
    const again = await call(second.url, 'POST', '/api/v1/namespaces/crash/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after' } });
    assert.equal(again.status, 201, again.body);
    assert.ok(Number((JSON.parse(again.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion) > maxAcked);
  } finally {
    second.child.kill('SIGTERM');
    await new Promise((resolve) => (second.child.exitCode !== null ? resolve(undefined) : second.child.once('exit', resolve)));
  }
}

describe('minke server killed mid-write', () => {
  it('loses no acknowledged create on SQLite', async () => {
    await crashAndCheck();
  });

  const etcdBin = findEtcd();
  it('loses no acknowledged create on etcd', { skip: etcdBin === undefined ? 'no etcd binary on PATH (Debian: etcd-server)' : false }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'minke-server-crash-etcd-'));
    dirs.push(dir);
    const etcd = await EtcdServer.start(etcdBin!, join(dir, 'etcd'));
    try {
      await crashAndCheck(etcd.endpoint);
    } finally {
      await etcd.stop();
    }
  });
});
