// Deletion as the Kubernetes API conventions give it, judged by the real kubectl and raw requests:
// DeleteOptions, finalizers, pods' grace period, deletecollection, the garbage collector's
// cascades and namespace termination.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApiServer, waitFor, type TestApiServer } from './apiserver-harness.js';

let s: TestApiServer;

before(async () => {
  s = await startTestApiServer();
});

after(async () => {
  await s?.close();
});

type Obj = { metadata: { name: string; uid: string; resourceVersion: string; deletionTimestamp?: string; deletionGracePeriodSeconds?: number; finalizers?: string[]; ownerReferences?: { uid: string }[] }; status?: { phase?: string; conditions?: { type: string }[] } };

async function create(path: string, body: unknown): Promise<Obj> {
  const r = await s.request('POST', path, { body: JSON.stringify(body) });
  assert.equal(r.status, 201, r.body);
  return r.json<Obj>();
}

async function exists(path: string): Promise<Obj | undefined> {
  const r = await s.request('GET', path);
  if (r.status === 404) return undefined;
  assert.equal(r.status, 200, r.body);
  return r.json<Obj>();
}

/** A DELETE with a DeleteOptions body (with its length, as kubectl sends it). */
function del(path: string, options: unknown): ReturnType<TestApiServer['request']> {
  const body = JSON.stringify(options);
  return s.request('DELETE', path, { body, headers: { 'Content-Length': String(Buffer.byteLength(body)) } });
}

const gone = (path: string, what: string): Promise<true> => waitFor(what, async () => ((await exists(path)) === undefined ? true : undefined), 30_000);

describe('DELETE and DeleteOptions', () => {
  it('answers with a Status naming the uid, or the object for pods; 404 after', async () => {
    const cm = await create('/api/v1/namespaces/default/configmaps', { metadata: { name: 'plain' } });
    const r = await s.request('DELETE', '/api/v1/namespaces/default/configmaps/plain');
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'plain', kind: 'configmaps', uid: cm.metadata.uid } });
    assert.equal((await s.request('DELETE', '/api/v1/namespaces/default/configmaps/plain')).status, 404);
  });

  it('refuses a delete whose preconditions fail with 409 Conflict', async () => {
    const cm = await create('/api/v1/namespaces/default/configmaps', { metadata: { name: 'pre' } });
    const bad = await del('/api/v1/namespaces/default/configmaps/pre', { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'other' } });
    assert.equal(bad.status, 409, bad.body);
    const st = bad.json<{ reason: string; message: string }>();
    assert.equal(st.reason, 'Conflict');
    assert.equal(st.message, `Operation cannot be fulfilled on configmaps "pre": Precondition failed: UID in precondition: other, UID in object meta: ${cm.metadata.uid}`);
    const staleRv = await del('/api/v1/namespaces/default/configmaps/pre', { preconditions: { resourceVersion: '1' } });
    assert.equal(staleRv.status, 409, staleRv.body);
    const ok = await del('/api/v1/namespaces/default/configmaps/pre', { preconditions: { uid: cm.metadata.uid, resourceVersion: cm.metadata.resourceVersion } });
    assert.equal(ok.status, 200, ok.body);
  });

  it('dryRun=All deletes nothing', async () => {
    await create('/api/v1/namespaces/default/configmaps', { metadata: { name: 'dry' } });
    assert.equal((await s.request('DELETE', '/api/v1/namespaces/default/configmaps/dry?dryRun=All')).status, 200);
    const k = await s.kubectl(['delete', 'cm', 'dry', '--dry-run=server']);
    assert.equal(k.code, 0, k.stderr);
    assert.match(k.stdout, /configmap "dry" deleted \(server dry run\)/);
    assert.ok(await exists('/api/v1/namespaces/default/configmaps/dry'));
    const bad = await s.request('DELETE', '/api/v1/namespaces/default/configmaps/dry?propagationPolicy=Sideways');
    assert.equal(bad.status, 422, bad.body);
  });

  it('an object with finalizers is marked, refuses new finalizers, and goes when they are removed', async () => {
    await create('/api/v1/namespaces/default/configmaps', { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    const waiter = s.kubectl(['wait', '--for=delete', 'cm/held', '--timeout=60s']);
    const d = await s.kubectl(['delete', 'cm', 'held', '--wait=false']);
    assert.equal(d.code, 0, d.stderr);
    const held = await exists('/api/v1/namespaces/default/configmaps/held');
    assert.ok(held?.metadata.deletionTimestamp, 'marked');
    assert.equal(held?.metadata.deletionGracePeriodSeconds, 0);
    const add = await s.kubectl(['patch', 'cm', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold","example.com/more"]}}']);
    assert.notEqual(add.code, 0);
    assert.match(add.stderr, /no new finalizers can be added if the object is being deleted/);
    const again = await s.request('DELETE', '/api/v1/namespaces/default/configmaps/held');
    assert.equal(again.status, 200);
    assert.equal(again.json<Obj>().metadata.name, 'held', 'a pending delete answers with the object');
    const rm = await s.kubectl(['patch', 'cm', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(await exists('/api/v1/namespaces/default/configmaps/held'), undefined);
    const w = await waiter;
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stdout, /configmap\/held condition met/);
  });

  it('an unscheduled pod goes at once; a scheduled one gets deletionTimestamp and its grace period', async () => {
    const spec = { containers: [{ name: 'c', image: 'busybox' }] };
    await create('/api/v1/namespaces/default/pods', { metadata: { name: 'pending' }, spec });
    const d = await s.kubectl(['delete', 'pod', 'pending']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout.trim(), 'pod "pending" deleted');
    assert.equal(await exists('/api/v1/namespaces/default/pods/pending'), undefined);

    await create('/api/v1/namespaces/default/pods', { metadata: { name: 'bound' }, spec: { ...spec, nodeName: 'node-1' } });
    const start = Date.now();
    const g = await s.kubectl(['delete', 'pod', 'bound', '--grace-period=40', '--wait=false']);
    assert.equal(g.code, 0, g.stderr);
    const pod = await exists('/api/v1/namespaces/default/pods/bound');
    assert.equal(pod?.metadata.deletionGracePeriodSeconds, 40);
    const at = Date.parse(pod?.metadata.deletionTimestamp ?? '');
    assert.ok(Math.abs(at - (start + 40_000)) < 5000, `deletionTimestamp ${pod?.metadata.deletionTimestamp}`);
    const shorter = await del('/api/v1/namespaces/default/pods/bound', { gracePeriodSeconds: 10 });
    assert.equal(shorter.json<Obj>().metadata.deletionGracePeriodSeconds, 10);
    const force = await s.kubectl(['delete', 'pod', 'bound', '--grace-period=0', '--force']);
    assert.equal(force.code, 0, force.stderr);
    assert.equal(await exists('/api/v1/namespaces/default/pods/bound'), undefined);
  });

  it('deletecollection deletes what the selector matches (kubectl delete -l)', async () => {
    for (const [name, app] of [['c1', 'x'], ['c2', 'x'], ['c3', 'y']]) await create('/api/v1/namespaces/default/configmaps', { metadata: { name, labels: { app } } });
    const d = await s.kubectl(['delete', 'cm', '-l', 'app=x']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout.trim(), 'configmap "c1" deleted\nconfigmap "c2" deleted');
    const raw = await s.request('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=app%3Dy');
    assert.equal(raw.status, 200, raw.body);
    const list = raw.json<{ kind: string; items: Obj[] }>();
    assert.equal(list.kind, 'ConfigMapList');
    assert.deepEqual(list.items.map((i) => i.metadata.name), ['c3']);
    assert.equal(await exists('/api/v1/namespaces/default/configmaps/c3'), undefined);
  });
});

/** A Deployment, a ReplicaSet it owns (blocking) and a Pod the ReplicaSet owns. */
async function family(name: string): Promise<{ deploy: Obj; rs: Obj; pod: Obj }> {
  const labels = { app: name };
  const template = { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  const deploy = await create('/apis/apps/v1/namespaces/default/deployments', { metadata: { name }, spec: { selector: { matchLabels: labels }, template } });
  const owner = (kind: string, o: Obj): unknown => [{ apiVersion: 'apps/v1', kind, name: o.metadata.name, uid: o.metadata.uid, controller: true, blockOwnerDeletion: true }];
  const rs = await create('/apis/apps/v1/namespaces/default/replicasets', { metadata: { name: `${name}-rs`, labels, ownerReferences: owner('Deployment', deploy) }, spec: { selector: { matchLabels: labels }, template } });
  const pod = await create('/api/v1/namespaces/default/pods', { metadata: { name: `${name}-pod`, labels, ownerReferences: owner('ReplicaSet', rs) }, spec: template.spec });
  return { deploy, rs, pod };
}

describe('garbage collector', () => {
  it('--cascade=background: the owner goes at once, its dependents after it', async () => {
    await family('bg');
    const d = await s.kubectl(['delete', 'deploy', 'bg', '--cascade=background']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(await exists('/apis/apps/v1/namespaces/default/deployments/bg'), undefined);
    await gone('/apis/apps/v1/namespaces/default/replicasets/bg-rs', 'the replicaset');
    await gone('/api/v1/namespaces/default/pods/bg-pod', 'the pod');
  });

  it('--cascade=foreground: the owner waits with the foregroundDeletion finalizer until its dependents are gone', async () => {
    const f = await family('fg');
    // A finalizer on the pod holds the chain, so the waiting owner can be seen.
    const hold = await s.kubectl(['patch', 'pod', 'fg-pod', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);
    assert.equal(hold.code, 0, hold.stderr);
    const d = await s.kubectl(['delete', 'deploy', 'fg', '--cascade=foreground', '--wait=false']);
    assert.equal(d.code, 0, d.stderr);
    const deploy = await exists('/apis/apps/v1/namespaces/default/deployments/fg');
    assert.ok(deploy?.metadata.deletionTimestamp);
    assert.deepEqual(deploy?.metadata.finalizers, ['foregroundDeletion']);
    const rs = await waitFor('the replicaset marked', async () => {
      const o = await exists('/apis/apps/v1/namespaces/default/replicasets/fg-rs');
      return o?.metadata.deletionTimestamp ? o : undefined;
    });
    assert.deepEqual(rs.metadata.finalizers, ['foregroundDeletion']);
    await waitFor('the pod marked', async () => ((await exists('/api/v1/namespaces/default/pods/fg-pod'))?.metadata.deletionTimestamp ? true : undefined));
    assert.ok(await exists('/apis/apps/v1/namespaces/default/deployments/fg'), 'the owner waits');
    const waiter = s.kubectl(['wait', '--for=delete', 'deploy/fg', '--timeout=60s']);
    const release = await s.kubectl(['patch', 'pod', 'fg-pod', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    assert.equal(release.code, 0, release.stderr);
    const w = await waiter;
    assert.equal(w.code, 0, w.stderr);
    assert.equal(await exists('/apis/apps/v1/namespaces/default/replicasets/fg-rs'), undefined);
    assert.equal(await exists('/apis/apps/v1/namespaces/default/deployments/fg'), undefined);
    assert.ok(f.deploy.metadata.uid);
  });

  it('kubectl delete --cascade=foreground waits for the whole chain', async () => {
    await family('fg2');
    const d = await s.kubectl(['delete', 'deploy', 'fg2', '--cascade=foreground']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(await exists('/apis/apps/v1/namespaces/default/deployments/fg2'), undefined);
    assert.equal(await exists('/apis/apps/v1/namespaces/default/replicasets/fg2-rs'), undefined);
    assert.equal(await exists('/api/v1/namespaces/default/pods/fg2-pod'), undefined);
  });

  it('--cascade=orphan: the dependents stay, without the reference to the owner', async () => {
    const f = await family('or');
    const d = await s.kubectl(['delete', 'deploy', 'or', '--cascade=orphan']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(await exists('/apis/apps/v1/namespaces/default/deployments/or'), undefined);
    const rs = await exists('/apis/apps/v1/namespaces/default/replicasets/or-rs');
    assert.equal(rs?.metadata.ownerReferences, undefined);
    const pod = await exists('/api/v1/namespaces/default/pods/or-pod');
    assert.equal(pod?.metadata.ownerReferences?.[0]?.uid, f.rs.metadata.uid);
    assert.equal((await s.kubectl(['delete', 'rs', 'or-rs'])).code, 0);
    await gone('/api/v1/namespaces/default/pods/or-pod', 'the orphan pod, once its new owner goes');
  });

  it('collects a dependent whose owner is already gone', async () => {
    await create('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'stray', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'nobody', uid: '00000000-0000-0000-0000-000000000000' }] },
    });
    await gone('/api/v1/namespaces/default/configmaps/stray', 'the dangling dependent');
  });
});

describe('namespace deletion', () => {
  it('Terminating, creates refused, contents removed, then the namespace is gone', async () => {
    assert.equal((await s.kubectl(['create', 'ns', 'doomed'])).code, 0);
    await create('/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'a' } });
    await create('/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    const d = await s.kubectl(['delete', 'ns', 'doomed', '--wait=false']);
    assert.equal(d.code, 0, d.stderr);
    const ns = await exists('/api/v1/namespaces/doomed');
    assert.equal(ns?.status?.phase, 'Terminating');
    const get = await s.kubectl(['get', 'ns', 'doomed']);
    assert.match(get.stdout, /^doomed\s+Terminating\s/m);
    const refused = await s.kubectl(['-n', 'doomed', 'create', 'configmap', 'late']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated/);
    await gone('/api/v1/namespaces/doomed/configmaps/a', 'the namespace contents');
    await waitFor('the remaining-content condition', async () => ((await exists('/api/v1/namespaces/doomed'))?.status?.conditions?.some((c) => c.type === 'NamespaceContentRemaining') ? true : undefined));
    const waiter = s.kubectl(['wait', '--for=delete', 'ns/doomed', '--timeout=60s']);
    const rm = await s.kubectl(['-n', 'doomed', 'patch', 'cm', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    assert.equal(rm.code, 0, rm.stderr);
    const w = await waiter;
    assert.equal(w.code, 0, w.stderr);
    assert.equal(await exists('/api/v1/namespaces/doomed'), undefined);
  });

  it('kubectl delete ns --wait returns once the namespace is gone; default may not be deleted', async () => {
    assert.equal((await s.kubectl(['create', 'ns', 'brief'])).code, 0);
    await create('/api/v1/namespaces/brief/secrets', { metadata: { name: 's' } });
    const d = await s.kubectl(['delete', 'ns', 'brief', '--wait']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(await exists('/api/v1/namespaces/brief'), undefined);
    const def = await s.kubectl(['delete', 'ns', 'default']);
    assert.notEqual(def.code, 0);
    assert.match(def.stderr, /Error from server \(Forbidden\): namespaces "default" is forbidden: this namespace may not be deleted/);
  });
});
