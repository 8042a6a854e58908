// The REST semantics kubectl does not show on its own: conflicts, bad bodies, paging, watch
// bookmarks and 410s, Table output, authentication. Raw HTTPS with the admin certificate.
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { startTestApiServer, type TestApiServer } from './apiserver-harness.js';

let s: TestApiServer;
const CM = '/api/v1/namespaces/default/configmaps';

before(async () => {
  s = await startTestApiServer();
});

after(async () => {
  await s?.close();
});

type Status = { kind: string; apiVersion: string; status: string; reason: string; message: string; code: number; details?: { name?: string; kind?: string; causes?: { field: string }[] } };
type Obj = { kind: string; apiVersion: string; metadata: { name: string; resourceVersion: string; uid: string; generation?: number }; data?: Record<string, string> };

async function create(name: string, data: Record<string, string> = {}, labels: Record<string, string> = {}): Promise<Obj> {
  const r = await s.request('POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data }) });
  assert.equal(r.status, 201, r.body);
  return r.json<Obj>();
}

/**
 * The first n lines of a watch stream, then the connection is closed. onOpen runs once the
 * response has begun (afterFirstLine: once the first line, e.g. the initial list's, arrived).
 */
function watchLines(path: string, n: number, onOpen?: () => Promise<void>, afterFirstLine = false): Promise<Record<string, unknown>[]> {
  const dir = s;
  return new Promise((resolve, reject) => {
    const tls = (f: string): Buffer => process.getBuiltinModule('node:fs').readFileSync(`${dir.dataDir}/tls/${f}`);
    const req = httpsRequest(`${dir.server.url}${path}`, { ca: tls('ca.crt'), cert: tls('admin.crt'), key: tls('admin.key'), signal: AbortSignal.timeout(30_000) }, (res) => {
      let buf = '';
      const lines: Record<string, unknown>[] = [];
      if (onOpen && !afterFirstLine) onOpen().catch(reject);
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0 && lines.length < n) {
          lines.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
          buf = buf.slice(i + 1);
          if (lines.length === 1 && onOpen && afterFirstLine) onOpen().catch(reject);
        }
        if (lines.length >= n) {
          req.destroy();
          resolve(lines);
        }
      });
      res.on('end', () => resolve(lines));
      res.on('error', () => undefined);
    });
    req.on('error', (err) => { if (!req.destroyed) reject(err); });
    req.end();
  });
}

describe('API server REST semantics', () => {
  it('PUT with a stale resourceVersion is a 409 Conflict; with the current one it updates', async () => {
    const o = await create('conflict', { a: '1' });
    const put = (rv: string, v: string): Promise<{ status: number; json<T>(): T }> => s.request('PUT', `${CM}/conflict`, {
      body: JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: rv }, data: { a: v } }),
    });
    const ok = await put(o.metadata.resourceVersion, '2');
    assert.equal(ok.status, 200);
    const updated = ok.json<Obj>();
    assert.equal(updated.data?.a, '2');
    assert.ok(Number(updated.metadata.resourceVersion) > Number(o.metadata.resourceVersion));
    assert.equal(updated.metadata.uid, o.metadata.uid);
    const stale = await put(o.metadata.resourceVersion, '3');
    assert.equal(stale.status, 409);
    const st = stale.json<Status>();
    assert.equal(st.kind, 'Status');
    assert.equal(st.reason, 'Conflict');
    assert.equal(st.message, 'Operation cannot be fulfilled on configmaps "conflict": the object has been modified; please apply your changes to the latest version and try again');
  });

  it('generateName, generation and deletion answers', async () => {
    const r = await s.request('POST', '/apis/apps/v1/namespaces/default/deployments', {
      body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { generateName: 'web-' }, spec: { replicas: 1 } }),
    });
    assert.equal(r.status, 201, r.body);
    const d = r.json<Obj>();
    assert.match(d.metadata.name, /^web-[a-z0-9]{5}$/);
    assert.equal(d.metadata.generation, 1);
    const p = await s.request('PATCH', `/apis/apps/v1/namespaces/default/deployments/${d.metadata.name}`, {
      headers: { 'Content-Type': 'application/merge-patch+json' }, body: '{"spec":{"replicas":3}}',
    });
    assert.equal(p.json<Obj>().metadata.generation, 2);
    const del = await s.request('DELETE', `/apis/apps/v1/namespaces/default/deployments/${d.metadata.name}`);
    assert.equal(del.status, 200);
    const st = del.json<Status & { details: { group: string } }>();
    assert.equal(st.status, 'Success');
    assert.equal(st.details.group, 'apps');
    const again = await s.request('DELETE', `/apis/apps/v1/namespaces/default/deployments/${d.metadata.name}`);
    assert.equal(again.status, 404);
    assert.equal(again.json<Status>().message, `deployments.apps "${d.metadata.name}" not found`);
  });

  it('bad bodies: kind or apiVersion not the URL\'s (400), malformed JSON (400), invalid names (422), over 3 MiB (413)', async () => {
    const wrongKind = await s.request('POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'k' } }) });
    assert.equal(wrongKind.status, 400);
    assert.equal(wrongKind.json<Status>().reason, 'BadRequest');
    const wrongVersion = await s.request('POST', CM, { body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'k' } }) });
    assert.equal(wrongVersion.status, 400);
    const malformed = await s.request('POST', CM, { body: '{"apiVersion":' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json<Status>().kind, 'Status');
    const badName = await s.request('POST', CM, { body: JSON.stringify({ metadata: { name: 'UPPER' } }) });
    assert.equal(badName.status, 422);
    const inv = badName.json<Status>();
    assert.equal(inv.reason, 'Invalid');
    assert.equal(inv.details?.kind, 'ConfigMap');
    assert.equal(inv.details?.causes?.[0].field, 'metadata.name');
    const nsLabel = await s.request('POST', '/api/v1/namespaces', { body: JSON.stringify({ metadata: { name: 'a.b' } }) });
    assert.equal(nsLabel.status, 422);
    const big = await s.request('POST', CM, { body: JSON.stringify({ metadata: { name: 'big' }, data: { x: 'x'.repeat(3 * 1024 * 1024 + 1) } }) });
    assert.equal(big.status, 413);
    assert.equal(big.json<Status>().reason, 'RequestEntityTooLarge');
    assert.equal((await s.request('GET', `${CM}/big`)).status, 404);
    const method = await s.request('PUT', CM, { body: '{}' });
    assert.equal(method.status, 405);
    assert.equal(method.json<Status>().reason, 'MethodNotAllowed');
  });

  it('list: limit and continue page through every item once; label selectors filter', async () => {
    for (let i = 0; i < 7; i++) await create(`page-${i}`, {}, { page: 'yes', parity: i % 2 ? 'odd' : 'even' });
    const names: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const r = await s.request('GET', `${CM}?labelSelector=page%3Dyes&limit=3${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      assert.equal(r.status, 200, r.body);
      const list = r.json<{ kind: string; metadata: { continue?: string; resourceVersion: string }; items: Obj[] }>();
      assert.equal(list.kind, 'ConfigMapList');
      names.push(...list.items.map((o) => o.metadata.name));
      token = list.metadata.continue ?? '';
      pages++;
    } while (token);
    assert.deepEqual(names, [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
    assert.equal(pages, 3);
    const odd = await s.request('GET', `${CM}?labelSelector=${encodeURIComponent('parity in (odd),page')}`);
    assert.deepEqual(odd.json<{ items: Obj[] }>().items.map((o) => o.metadata.name), ['page-1', 'page-3', 'page-5']);
    const notEven = await s.request('GET', `${CM}?labelSelector=${encodeURIComponent('parity!=even,page=yes')}`);
    assert.equal(notEven.json<{ items: Obj[] }>().items.length, 3);
    const bad = await s.request('GET', `${CM}?fieldSelector=spec.foo%3Dbar`);
    assert.equal(bad.status, 400);
  });

  it('watch from a resourceVersion: MODIFIED then DELETED, and BOOKMARKs when allowed', async () => {
    const o = await create('watched', { a: '1' });
    const lines = await watchLines(`${CM}?watch=1&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dwatched&resourceVersion=${o.metadata.resourceVersion}`, 3, async () => {
      const r = await s.request('PATCH', `${CM}/watched`, { headers: { 'Content-Type': 'application/merge-patch+json' }, body: '{"data":{"a":"2"}}' });
      assert.equal(r.status, 200);
      assert.equal((await s.request('DELETE', `${CM}/watched`)).status, 200);
    });
    const changes = lines.filter((l) => l.type !== 'BOOKMARK');
    assert.deepEqual(changes.map((l) => l.type), ['MODIFIED', 'DELETED']);
    const bookmarks = await watchLines(`${CM}?watch=1&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dnothing-here`, 1);
    assert.equal(bookmarks[0].type, 'BOOKMARK');
    const bm = bookmarks[0].object as Obj;
    assert.equal(bm.kind, 'ConfigMap');
    assert.match(bm.metadata.resourceVersion, /^\d+$/);
  });

  it('a watch with a label selector sees objects enter (ADDED) and leave (DELETED) it', async () => {
    const o = await create('mover', {}, { stage: 'a' });
    const relabel = (stage: string): Promise<unknown> => s.request('PATCH', `${CM}/mover`, {
      headers: { 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { labels: { stage } } }),
    });
    const lines = await watchLines(`${CM}?watch=1&labelSelector=stage%3Db&resourceVersion=${o.metadata.resourceVersion}`, 2, async () => {
      await relabel('b');
      await relabel('c');
    });
    assert.deepEqual(lines.map((l) => l.type), ['ADDED', 'DELETED']);
    const fromList = await watchLines(`${CM}?watch=1&labelSelector=stage%3Dc`, 2, async () => {
      await relabel('d');
    }, true);
    assert.deepEqual(fromList.map((l) => l.type), ['ADDED', 'DELETED']);
  });

  it('watch from a compacted resourceVersion ends with a 410 Expired Status', async () => {
    await create('compact-me');
    await s.server.storage.compact(await s.server.storage.currentRevision());
    const lines = await watchLines(`${CM}?watch=1&resourceVersion=1`, 1);
    assert.equal(lines[0].type, 'ERROR');
    const st = lines[0].object as Status;
    assert.equal(st.code, 410);
    assert.equal(st.reason, 'Expired');
    assert.match(st.message, /^too old resource version: 1 \(\d+\)$/);
  });

  it('as=Table answers a meta.k8s.io/v1 Table with the type\'s columns', async () => {
    await create('tabled', { a: '1', b: '2' });
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    const r = await s.request('GET', `${CM}?fieldSelector=metadata.name%3Dtabled`, { headers: { Accept: accept } });
    const t = r.json<{ kind: string; apiVersion: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[]; object: { kind: string } }[] }>();
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Data', 'Age']);
    assert.deepEqual(t.rows[0].cells.slice(0, 2), ['tabled', 2]);
    assert.equal(t.rows[0].object.kind, 'PartialObjectMetadata');
    const ns = await s.request('GET', '/api/v1/namespaces/default', { headers: { Accept: accept } });
    const nt = ns.json<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>();
    assert.deepEqual(nt.columnDefinitions.map((c) => c.name), ['Name', 'Status', 'Age']);
    assert.deepEqual(nt.rows[0].cells.slice(0, 2), ['default', 'Active']);
  });

  it('discovery, health and version; everything else needs a client certificate', async () => {
    const v = await s.request('GET', '/version', { cert: false });
    assert.equal(v.status, 200);
    assert.equal(v.json<{ minor: string }>().minor, '32');
    const h = await s.request('GET', '/healthz?verbose', { cert: false });
    assert.match(h.body, /^\[\+\]ping ok\n[\s\S]*\[\+\]etcd ok\n[\s\S]*healthz check passed\n$/);
    assert.equal((await s.request('GET', '/livez', { cert: false })).body, 'ok');
    assert.match((await s.request('GET', '/readyz?verbose', { cert: false })).body, /readyz check passed/);
    const anon = await s.request('GET', CM, { cert: false });
    assert.equal(anon.status, 401);
    assert.equal(anon.json<Status>().reason, 'Unauthorized');
    const rl = await s.request('GET', '/apis/apps/v1');
    const list = rl.json<{ kind: string; groupVersion: string; resources: { name: string; verbs: string[]; shortNames?: string[]; categories?: string[] }[] }>();
    assert.equal(list.kind, 'APIResourceList');
    const deploy = list.resources.find((r) => r.name === 'deployments');
    assert.deepEqual(deploy?.shortNames, ['deploy']);
    assert.deepEqual(deploy?.categories, ['all']);
    assert.ok(deploy?.verbs.includes('watch'));
    const groups = (await s.request('GET', '/apis')).json<{ groups: { name: string }[] }>();
    assert.ok(groups.groups.some((g) => g.name === 'batch'));
    const agg = await s.request('GET', '/apis', { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } });
    assert.equal(agg.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const aggDoc = agg.json<{ kind: string; items: { metadata: { name: string }; versions: { resources: { resource: string; scope: string }[] }[] }[] }>();
    assert.equal(aggDoc.kind, 'APIGroupDiscoveryList');
    const apps = aggDoc.items.find((g) => g.metadata.name === 'apps');
    assert.equal(apps?.versions[0].resources.find((r) => r.resource === 'deployments')?.scope, 'Namespaced');
    const core = (await s.request('GET', '/api', { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' } }))
      .json<{ items: { metadata: { name: string } }[] }>();
    assert.deepEqual(core.items.map((g) => g.metadata.name), ['']);
    const nowhere = await s.request('GET', '/apis/nope/v1');
    assert.equal(nowhere.status, 404);
  });
});
