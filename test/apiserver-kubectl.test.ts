// The real kubectl (1.32, chosen by the dispatcher from /version) against minke's API server on SQLite.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApiServer, waitFor, type TestApiServer } from './apiserver-harness.js';

let s: TestApiServer;
let other: TestApiServer;

before(async () => {
  [s, other] = await Promise.all([startTestApiServer(), startTestApiServer()]);
});

after(async () => {
  await Promise.all([s?.close(), other?.close()]);
});

describe('kubectl against minke server', () => {
  it('kubectl get ns lists the namespaces made at first start', async () => {
    const r = await s.kubectl(['get', 'ns']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^NAME\s+STATUS\s+AGE$/);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      assert.ok(lines.some((l) => new RegExp(`^${ns}\\s+Active\\s+\\S+$`).test(l)), r.stdout);
    }
  });

  it('kubectl version reports the server as 1.32', async () => {
    const r = await s.kubectl(['version', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout) as { serverVersion: { major: string; minor: string; gitVersion: string } };
    assert.equal(v.serverVersion.major, '1');
    assert.equal(v.serverVersion.minor, '32');
    assert.match(v.serverVersion.gitVersion, /^v1\.32\.\d+\+minke/);
  });

  it('kubectl api-resources and api-versions read discovery', async () => {
    const r = await s.kubectl(['api-resources']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m);
    assert.match(r.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(r.stdout, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    assert.match(r.stdout, /^persistentvolumeclaims\s+pvc\s+v1\s+true\s+PersistentVolumeClaim$/m);
    assert.match(r.stdout, /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m);
    assert.match(r.stdout, /^ingresses\s+ing\s+networking\.k8s\.io\/v1\s+true\s+Ingress$/m);
    assert.match(r.stdout, /^clusterroles\s+rbac\.authorization\.k8s\.io\/v1\s+false\s+ClusterRole$/m);
    const v = await s.kubectl(['api-versions']);
    assert.equal(v.code, 0, v.stderr);
    assert.deepEqual(v.stdout.trim().split('\n').sort(), ['admissionregistration.k8s.io/v1', 'apps/v1', 'authentication.k8s.io/v1', 'authorization.k8s.io/v1', 'autoscaling/v2', 'batch/v1', 'coordination.k8s.io/v1',
      'discovery.k8s.io/v1', 'networking.k8s.io/v1', 'policy/v1', 'rbac.authorization.k8s.io/v1', 'scheduling.k8s.io/v1', 'storage.k8s.io/v1', 'v1']);
  });

  it('kubectl create configmap, get -o yaml, get (table), delete', async () => {
    const c = await s.kubectl(['create', 'configmap', 'a', '--from-literal=k=v']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.trim(), 'configmap/a created');
    const y = await s.kubectl(['get', 'cm', 'a', '-o', 'yaml']);
    assert.equal(y.code, 0, y.stderr);
    assert.match(y.stdout, /^data:\n {2}k: v$/m);
    assert.match(y.stdout, /^ {2}namespace: default$/m);
    assert.match(y.stdout, /^ {2}uid: [0-9a-f-]{36}$/m);
    assert.match(y.stdout, /^ {2}resourceVersion: "\d+"$/m);
    assert.match(y.stdout, /^ {2}creationTimestamp: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$/m);
    const t = await s.kubectl(['get', 'cm']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^NAME\s+DATA\s+AGE\n/);
    assert.match(t.stdout, /^a\s+1\s+\d+s$/m);
    const d = await s.kubectl(['delete', 'cm', 'a']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout.trim(), 'configmap "a" deleted');
    const g = await s.kubectl(['get', 'cm', 'a']);
    assert.equal(g.code, 1);
    assert.equal(g.stderr.trim(), 'Error from server (NotFound): configmaps "a" not found');
  });

  it('kubectl apply -f creates, then patches (client-side apply)', async () => {
    const file = join(s.dir, 'cm.yaml');
    const manifest = (v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  labels: {app: web}\ndata:\n  one: "${v}"\n`;
    writeFileSync(file, manifest('1'));
    const first = await s.kubectl(['apply', '-f', file]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), 'configmap/applied created');
    writeFileSync(file, manifest('2'));
    const second = await s.kubectl(['apply', '-f', file]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.trim(), 'configmap/applied configured');
    const j = await s.kubectl(['get', 'cm', 'applied', '-o', 'json']);
    const obj = JSON.parse(j.stdout) as { data: Record<string, string>; metadata: { annotations: Record<string, string>; labels: Record<string, string> } };
    assert.deepEqual(obj.data, { one: '2' });
    assert.equal(obj.metadata.labels.app, 'web');
    assert.ok(obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    const same = await s.kubectl(['apply', '-f', file]);
    assert.equal(same.stdout.trim(), 'configmap/applied unchanged');
    const sel = await s.kubectl(['get', 'cm', '-l', 'app=web', '-o', 'name']);
    assert.equal(sel.stdout.trim(), 'configmap/applied');
    const none = await s.kubectl(['get', 'cm', '-l', 'app=db', '-o', 'name']);
    assert.equal(none.stdout.trim(), '');
    const field = await s.kubectl(['get', 'cm', '--field-selector', 'metadata.name=applied', '-o', 'name']);
    assert.equal(field.stdout.trim(), 'configmap/applied');
  });

  it('kubectl apply of a Deployment merges containers by name (strategic merge patch)', async () => {
    const file = join(s.dir, 'deploy.yaml');
    const manifest = (image: string, extra = ''): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: applied-web
spec:
  replicas: 1
  selector: {matchLabels: {app: applied-web}}
  template:
    metadata: {labels: {app: applied-web}}
    spec:
      containers:
      - name: app
        image: ${image}
        ports: [{containerPort: 80}]
      - name: sidecar
        image: busybox
${extra}`;
    writeFileSync(file, manifest('nginx:1'));
    assert.equal((await s.kubectl(['apply', '-f', file])).code, 0);
    // a field set by someone else survives the next apply, as it does with kube-apiserver
    const p = await s.kubectl(['patch', 'deploy', 'applied-web', '--type=json', '-p', '[{"op":"add","path":"/spec/template/spec/containers/0/env","value":[{"name":"FROM_PATCH","value":"1"}]}]']);
    assert.equal(p.code, 0, p.stderr);
    writeFileSync(file, manifest('nginx:2'));
    const r = await s.kubectl(['apply', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'deployment.apps/applied-web configured');
    const got = JSON.parse((await s.kubectl(['get', 'deploy', 'applied-web', '-o', 'json'])).stdout) as {
      metadata: { generation: number }; spec: { template: { spec: { containers: { name: string; image: string; ports?: object[]; env?: object[] }[] } } };
    };
    const [app, sidecar] = got.spec.template.spec.containers;
    assert.equal(app.name, 'app');
    assert.equal(app.image, 'nginx:2');
    assert.deepEqual(app.ports, [{ containerPort: 80 }]);
    assert.deepEqual(app.env, [{ name: 'FROM_PATCH', value: '1' }]);
    assert.equal(sidecar.image, 'busybox');
    assert.equal(got.metadata.generation, 3);
  });

  it('kubectl patch (merge and json), label and annotate', async () => {
    assert.equal((await s.kubectl(['create', 'cm', 'p', '--from-literal=a=1'])).code, 0);
    const m = await s.kubectl(['patch', 'cm', 'p', '--type=merge', '-p', '{"data":{"b":"2"}}']);
    assert.equal(m.code, 0, m.stderr);
    const j = await s.kubectl(['patch', 'cm', 'p', '--type=json', '-p', '[{"op":"remove","path":"/data/a"}]']);
    assert.equal(j.code, 0, j.stderr);
    const st = await s.kubectl(['patch', 'cm', 'p', '-p', '{"data":{"c":"3"}}']);
    assert.equal(st.code, 0, st.stderr);
    assert.equal((await s.kubectl(['label', 'cm', 'p', 'tier=x'])).code, 0);
    assert.equal((await s.kubectl(['annotate', 'cm', 'p', 'note=y'])).code, 0);
    const got = JSON.parse((await s.kubectl(['get', 'cm', 'p', '-o', 'json'])).stdout) as { data: object; metadata: { labels: object; annotations: object } };
    assert.deepEqual(got.data, { b: '2', c: '3' });
    assert.deepEqual(got.metadata.labels, { tier: 'x' });
    assert.deepEqual(got.metadata.annotations, { note: 'y' });
  });

  it('kubectl get cm -w sees a configmap created while it watches', async () => {
    assert.equal((await s.kubectl(['create', 'cm', 'watch-seed'])).code, 0);
    const child = spawn('kubectl', ['get', 'cm', '-w', '--output-watch-events'], { env: { ...process.env, KUBECONFIG: s.kubeconfig } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    const exited = new Promise((resolve) => child.once('close', resolve));
    try {
      // The watch is open once the initial list is printed (or, with no configmaps, once kubectl has asked).
      await waitFor(`the initial list (so far: ${JSON.stringify(out)})`, () => (/^ADDED\s+watch-seed\s/m.test(out) ? true : undefined));
      assert.equal((await s.kubectl(['create', 'cm', 'watched', '--from-literal=x=y'])).code, 0);
      await waitFor('the ADDED event', () => (/^ADDED\s+watched\s+1\s/m.test(out) ? true : undefined));
      assert.equal((await s.kubectl(['delete', 'cm', 'watched'])).code, 0);
      await waitFor('the DELETED event', () => (/^DELETED\s+watched\s/m.test(out) ? true : undefined));
    } finally {
      child.kill();
      await exited;
    }
  });

  it('errors read as kube-apiserver writes them', async () => {
    const missing = await s.kubectl(['get', 'cm', 'x']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'Error from server (NotFound): configmaps "x" not found');
    const ns = await s.kubectl(['get', 'ns', 'nope']);
    assert.equal(ns.stderr.trim(), 'Error from server (NotFound): namespaces "nope" not found');
    const inMissing = await s.kubectl(['-n', 'nope', 'create', 'cm', 'x']);
    assert.equal(inMissing.code, 1);
    assert.match(inMissing.stderr, /namespaces "nope" not found/);
    assert.equal((await s.kubectl(['create', 'cm', 'dup'])).code, 0);
    const dup = await s.kubectl(['create', 'cm', 'dup']);
    assert.match(dup.stderr, /configmaps "dup" already exists/);
    const bad = await s.kubectl(['create', 'cm', 'Bad_Name']);
    assert.match(bad.stderr, /ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const unknown = await s.kubectl(['get', 'widgets']);
    assert.match(unknown.stderr, /the server doesn't have a resource type "widgets"/);
  });

  it('kubectl create namespace, secret and serviceaccount (protobuf bodies), delete namespace', async () => {
    assert.equal((await s.kubectl(['create', 'ns', 'team'])).code, 0);
    const sec = await s.kubectl(['-n', 'team', 'create', 'secret', 'generic', 'pw', '--from-literal=p=q']);
    assert.equal(sec.code, 0, sec.stderr);
    const sa = await s.kubectl(['-n', 'team', 'create', 'serviceaccount', 'robot']);
    assert.equal(sa.code, 0, sa.stderr);
    const got = JSON.parse((await s.kubectl(['-n', 'team', 'get', 'secret', 'pw', '-o', 'json'])).stdout) as { type: string; data: Record<string, string> };
    assert.equal(got.type, 'Opaque');
    assert.deepEqual(got.data, { p: Buffer.from('q').toString('base64') });
    const all = await s.kubectl(['get', 'cm,secret,sa', '-A', '-o', 'name']);
    assert.match(all.stdout, /secret\/pw/);
    const del = await s.kubectl(['delete', 'ns', 'team']);
    assert.equal(del.code, 0, del.stderr);
    const after = await s.kubectl(['-n', 'team', 'get', 'secret', 'pw']);
    assert.match(after.stderr, /NotFound/);
  });

  it('kubectl create deployment, job and cronjob (protobuf bodies) and get them as tables', async () => {
    const d = await s.kubectl(['create', 'deployment', 'web', '--image=nginx', '--port=80', '--replicas=2']);
    assert.equal(d.code, 0, d.stderr);
    const spec = JSON.parse((await s.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec}'])).stdout) as {
      replicas: number; selector: { matchLabels: Record<string, string> }; template: { spec: { containers: { image: string; ports: { containerPort: number }[] }[] } };
    };
    assert.equal(spec.replicas, 2);
    assert.deepEqual(spec.selector.matchLabels, { app: 'web' });
    assert.equal(spec.template.spec.containers[0].image, 'nginx');
    assert.equal(spec.template.spec.containers[0].ports[0].containerPort, 80);
    const t = await s.kubectl(['get', 'deploy', 'web']);
    assert.match(t.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0\/2\s+0\s+0\s+\S+\n$/);
    assert.equal((await s.kubectl(['create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi'])).code, 0);
    const job = JSON.parse((await s.kubectl(['get', 'job', 'once', '-o', 'json'])).stdout) as { spec: { template: { spec: { restartPolicy: string; containers: { command: string[] }[] } } } };
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    assert.deepEqual(job.spec.template.spec.containers[0].command, ['echo', 'hi']);
    assert.equal((await s.kubectl(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *'])).code, 0);
    assert.match((await s.kubectl(['get', 'cj'])).stdout, /^tick\s+\*\/5 \* \* \* \*\s+\S+$/m);
    const scaled = await s.kubectl(['scale', 'deploy', 'web', '--replicas=5']);
    assert.equal(scaled.code, 0, scaled.stderr);
    assert.equal(scaled.stdout.trim(), 'deployment.apps/web scaled');
    const st = await s.kubectl(['patch', 'deploy', 'web', '--subresource=status', '--type=merge', '-p', '{"status":{"readyReplicas":4}}']);
    assert.equal(st.code, 0, st.stderr);
    // status through the main resource is ignored: it has a status subresource
    assert.equal((await s.kubectl(['patch', 'deploy', 'web', '--type=merge', '-p', '{"status":{"readyReplicas":1}}'])).code, 0);
    assert.match((await s.kubectl(['get', 'deploy', 'web'])).stdout, /^web\s+4\/5\s/m);
    const desc = await s.kubectl(['describe', 'deploy', 'web']);
    assert.equal(desc.code, 0, desc.stderr);
    assert.match(desc.stdout, /^Name:\s+web$/m);
  });

  it('two servers side by side keep their own objects', async () => {
    assert.equal((await other.kubectl(['create', 'cm', 'only-here'])).code, 0);
    assert.equal((await other.kubectl(['get', 'cm', 'only-here', '-o', 'name'])).stdout.trim(), 'configmap/only-here');
    assert.match((await s.kubectl(['get', 'cm', 'only-here'])).stderr, /configmaps "only-here" not found/);
  });
});
