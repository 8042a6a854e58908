// A judge of the API server: @kubernetes/client-node 1.x (the newest major needs Node 22) as an
// application uses it, against the cluster of the kubeconfig in $KUBECONFIG. Plain JavaScript run
// by test/apiserver-clients.test.ts: the package's types want a newer @types/node than the
// project's. Prints one "ok <step>" line per step; throws (exit 1) on the first that fails.
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';

const kc = new k8s.KubeConfig();
kc.loadFromDefault();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const ns = process.env.JUDGE_NS ?? 'judge-client-node';
const ok = (step) => console.log(`ok ${step}`);

await core.createNamespace({ body: { metadata: { name: ns } } });
ok('create namespace');

// An informer (list, then watch from the list's resourceVersion) started before the writes.
const seen = [];
const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/configmaps`, () => core.listNamespacedConfigMap({ namespace: ns }));
const until = (pred, what) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`informer: timed out waiting for ${what}; saw ${JSON.stringify(seen)}`)), 30_000);
  const check = () => { if (pred()) { clearTimeout(timer); resolve(); } else setTimeout(check, 20); };
  check();
});
informer.on('add', (o) => seen.push(`add ${o.metadata.name}`));
informer.on('update', (o) => seen.push(`update ${o.metadata.name} ${o.data?.k}`));
informer.on('delete', (o) => seen.push(`delete ${o.metadata.name}`));
let stopping = false;
informer.on('error', (err) => { if (!stopping) console.error('informer error', err); });
await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before' }, data: { k: '0' } } });
await informer.start();
await until(() => seen.includes('add before'), 'the listed object');
ok('informer lists');

// CRUD.
const created = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cm1', labels: { app: 'judge' } }, data: { k: 'v1' } } });
assert.equal(created.metadata.name, 'cm1');
assert.match(created.metadata.uid, /^[0-9a-f-]{36}$/);
ok('create');
const read = await core.readNamespacedConfigMap({ name: 'cm1', namespace: ns });
assert.equal(read.data.k, 'v1');
ok('read');
read.data.k = 'v2';
const replaced = await core.replaceNamespacedConfigMap({ name: 'cm1', namespace: ns, body: read });
assert.equal(replaced.data.k, 'v2');
assert.notEqual(replaced.metadata.resourceVersion, read.metadata.resourceVersion);
ok('replace');
await assert.rejects(core.replaceNamespacedConfigMap({ name: 'cm1', namespace: ns, body: read }), (err) => err.code === 409);
ok('replace with a stale resourceVersion is a 409');
const patched = await core.patchNamespacedConfigMap({ name: 'cm1', namespace: ns, body: { data: { k: 'v3' } } },
  k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
assert.equal(patched.data.k, 'v3');
ok('merge patch');
const listed = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app=judge' });
assert.deepEqual(listed.items.map((i) => i.metadata.name), ['cm1']);
ok('list with a label selector');
await assert.rejects(core.readNamespacedConfigMap({ name: 'nope', namespace: ns }), (err) => err.code === 404 && JSON.parse(err.body).reason === 'NotFound');
ok('read of a missing object is a 404 NotFound');

await until(() => seen.includes('add cm1') && seen.includes('update cm1 v3'), 'cm1 added and updated');
ok('informer watches');

// A raw watch from a resourceVersion.
const watch = new k8s.Watch(kc);
const events = [];
const from = (await core.readNamespacedConfigMap({ name: 'cm1', namespace: ns })).metadata.resourceVersion;
const req = await watch.watch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: from }, (type, obj) => events.push(`${type} ${obj.metadata.name}`), () => undefined);
await core.deleteNamespacedConfigMap({ name: 'cm1', namespace: ns });
await until(() => events.includes('DELETED cm1') && seen.includes('delete cm1'), 'the delete seen by the watch and the informer');
req.abort();
ok('watch and delete');

// A Deployment and its scale subresource.
await apps.createNamespacedDeployment({ namespace: ns, body: {
  metadata: { name: 'web' },
  spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'busybox' }] } } },
} });
const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace: ns });
assert.equal(scale.spec.replicas, 1);
await apps.replaceNamespacedDeploymentScale({ name: 'web', namespace: ns, body: { ...scale, spec: { replicas: 3 } } });
assert.equal((await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec.replicas, 3);
ok('deployment scale');

stopping = true;
await informer.stop();
await core.deleteNamespace({ name: ns });
ok('delete namespace');
