// Server-side apply and managedFields, and client-side apply end to end, judged by the real kubectl.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApiServer, type TestApiServer } from './apiserver-harness.js';

let s: TestApiServer;

before(async () => {
  s = await startTestApiServer();
});

after(async () => {
  await s?.close();
});

interface Entry { manager: string; operation: string; apiVersion: string; time: string; fieldsType: string; fieldsV1: Record<string, unknown>; subresource?: string }
interface Got { metadata: { labels?: Record<string, string>; annotations?: Record<string, string>; managedFields?: Entry[] }; spec: { replicas: number; template: { spec: { containers: { name: string; image: string }[] } } }; data?: Record<string, string> }

function deployment(name: string, o: { replicas?: number; image?: string; labels?: Record<string, string>; sidecar?: boolean } = {}): string {
  const labels = { app: name, ...o.labels };
  const containers = [{ name: 'nginx', image: o.image ?? 'nginx:1.25', ports: [{ containerPort: 80 }] }];
  if (o.sidecar) containers.push({ name: 'log', image: 'busybox', ports: [{ containerPort: 9000 }] });
  return JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, labels },
    spec: { ...(o.replicas === undefined ? {} : { replicas: o.replicas }), selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers } } },
  });
}

async function get(kind: string, name: string): Promise<Got> {
  const r = await s.kubectl(['get', kind, name, '-o', 'json', '--show-managed-fields']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Got;
}

const managers = (g: Got): string[] => (g.metadata.managedFields ?? []).map((e) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`);

describe('server-side apply', () => {
  it('kubectl apply --server-side creates the object; managedFields show the Apply manager in FieldsV1', async () => {
    const r = await s.kubectl(['apply', '--server-side', '-f', '-'], { input: deployment('web', { replicas: 2 }) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'deployment.apps/web serverside-applied');
    const g = await get('deploy', 'web');
    assert.deepEqual(managers(g), ['kubectl/Apply']);
    const e = g.metadata.managedFields?.[0];
    assert.equal(e?.apiVersion, 'apps/v1');
    assert.equal(e?.fieldsType, 'FieldsV1');
    assert.match(e?.time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    type Tree = { [k: string]: Tree };
    const containers = (e?.fieldsV1 as Tree)['f:spec']['f:template']['f:spec']['f:containers'];
    assert.deepEqual(Object.keys(containers), ['k:{"name":"nginx"}']);
    assert.deepEqual(Object.keys(containers['k:{"name":"nginx"}']['f:ports']), ['.', 'k:{"containerPort":80,"protocol":"TCP"}']);
    const y = await s.kubectl(['get', 'deploy', 'web', '-o', 'yaml', '--show-managed-fields']);
    assert.match(y.stdout, /^ {4}manager: kubectl\n {4}operation: Apply$/m);
    assert.match(y.stdout, /^\s+f:replicas: \{\}$/m);
    const plain = await s.kubectl(['get', 'deploy', 'web', '-o', 'yaml']);
    assert.doesNotMatch(plain.stdout, /managedFields/, 'kubectl hides them unless asked');
  });

  it('a field another manager changed is a conflict; --force-conflicts takes it', async () => {
    const p = await s.kubectl(['patch', 'deploy', 'web', '-p', '{"spec":{"replicas":5}}']);
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(managers(await get('deploy', 'web')), ['kubectl/Apply', 'kubectl-patch/Update']);
    const c = await s.kubectl(['apply', '--server-side', '-f', '-'], { input: deployment('web', { replicas: 3 }) });
    assert.equal(c.code, 1);
    assert.match(c.stderr, /Apply failed with 1 conflict: conflict with "kubectl-patch" using apps\/v1: \.spec\.replicas/);
    assert.equal((await get('deploy', 'web')).spec.replicas, 5, 'nothing written');
    const same = await s.kubectl(['apply', '--server-side', '-f', '-'], { input: deployment('web', { replicas: 5, image: 'nginx:1.26' }) });
    assert.equal(same.code, 0, `an equal value is shared, not a conflict: ${same.stderr}`);
    const f = await s.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: deployment('web', { replicas: 3, image: 'nginx:1.26' }) });
    assert.equal(f.code, 0, f.stderr);
    const g = await get('deploy', 'web');
    assert.equal(g.spec.replicas, 3);
    assert.deepEqual(managers(g), ['kubectl/Apply'], 'kubectl-patch owned only replicas, now taken');
  });

  it('answers 409 with FieldManagerConflict causes, and 400 without a fieldManager', async () => {
    const body = deployment('web', { replicas: 7, image: 'nginx:1.26' });
    const headers = { 'Content-Type': 'application/apply-patch+yaml' };
    const none = await s.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { body, headers });
    assert.equal(none.status, 400, none.body);
    const r = await s.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web?fieldManager=robot', { body, headers });
    assert.equal(r.status, 409, r.body);
    const st = r.json<{ reason: string; message: string; details: { causes: { reason: string; message: string; field: string }[] } }>();
    assert.equal(st.reason, 'Conflict');
    assert.equal(st.message, 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    assert.deepEqual(st.details.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.spec.replicas' }]);
    const created = await s.request('PATCH', '/api/v1/namespaces/default/configmaps/fresh?fieldManager=robot', {
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fresh\ndata:\n  k: v\n', headers,
    });
    assert.equal(created.status, 201, 'apply creates a missing object');
  });

  it('removes what the applier no longer sets, merges containers by name, keeps what others own', async () => {
    const a = await s.kubectl(['apply', '--server-side', '-f', '-'], { input: deployment('web', { replicas: 3, image: 'nginx:1.26', labels: { tier: 'front' }, sidecar: true }) });
    assert.equal(a.code, 0, a.stderr);
    let g = await get('deploy', 'web');
    assert.deepEqual(g.spec.template.spec.containers.map((c) => c.name), ['nginx', 'log']);
    assert.equal(g.metadata.labels?.tier, 'front');
    const l = await s.kubectl(['label', 'deploy', 'web', 'owner=ops']);
    assert.equal(l.code, 0, l.stderr);
    const b = await s.kubectl(['apply', '--server-side', '-f', '-'], { input: deployment('web', { replicas: 3, image: 'nginx:1.26' }) });
    assert.equal(b.code, 0, b.stderr);
    g = await get('deploy', 'web');
    assert.deepEqual(g.spec.template.spec.containers.map((c) => c.name), ['nginx'], 'the sidecar went with the configuration');
    assert.equal(g.metadata.labels?.tier, undefined);
    assert.equal(g.metadata.labels?.owner, 'ops', 'owned by kubectl-label');
    assert.deepEqual(managers(g).sort(), ['kubectl-label/Update', 'kubectl/Apply']);
  });

  it('every create, update and patch records its manager (operation Update)', async () => {
    assert.equal((await s.kubectl(['create', 'configmap', 'tracked', '--from-literal=a=1'])).code, 0);
    let g = await get('cm', 'tracked');
    assert.deepEqual(managers(g), ['kubectl-create/Update']);
    assert.deepEqual(g.metadata.managedFields?.[0].fieldsV1, { 'f:data': { '.': {}, 'f:a': {} } });
    assert.equal((await s.kubectl(['annotate', 'cm', 'tracked', 'note=x'])).code, 0);
    g = await get('cm', 'tracked');
    assert.deepEqual(managers(g).sort(), ['kubectl-annotate/Update', 'kubectl-create/Update']);
    const r = await s.request('PUT', '/api/v1/namespaces/default/configmaps/tracked', {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tracked', annotations: { note: 'x' } }, data: { a: '1', b: '2' } }),
      headers: { 'User-Agent': 'my-tool/1.0 (linux)' },
    });
    assert.equal(r.status, 200, r.body);
    g = await get('cm', 'tracked');
    assert.ok(managers(g).includes('my-tool/Update'), `the User-Agent's first part names the manager: ${managers(g).join(' ')}`);
  });
});

describe('client-side apply', () => {
  it('last-applied annotation, a re-apply that changes a field, and --prune -l', async () => {
    const file = join(s.dir, 'app.yaml');
    const cm = (name: string, v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  labels: {app: pruned}\ndata:\n  v: "${v}"\n`;
    writeFileSync(file, `${cm('p1', '1')}---\n${cm('p2', '1')}`);
    const a = await s.kubectl(['apply', '-f', file]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout.trim(), 'configmap/p1 created\nconfigmap/p2 created');
    const g = await get('cm', 'p1');
    assert.match(g.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '', /"name":"p1"/);
    assert.deepEqual(managers(g), ['kubectl-client-side-apply/Update']);
    writeFileSync(file, cm('p1', '2'));
    const b = await s.kubectl(['apply', '-f', file, '--prune', '-l', 'app=pruned', '--prune-allowlist=core/v1/ConfigMap']);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /^configmap\/p1 configured$/m);
    assert.match(b.stdout, /^configmap\/p2 pruned$/m);
    assert.equal((await get('cm', 'p1')).data?.v, '2');
    const gone = await s.kubectl(['get', 'cm', 'p2']);
    assert.match(gone.stderr, /NotFound/);
    const again = await s.kubectl(['apply', '-f', file]);
    assert.equal(again.stdout.trim(), 'configmap/p1 unchanged');
  });

  it('kubectl apply --server-side takes over from client-side apply what is as last applied; another manager conflicts', async () => {
    const c = await s.kubectl(['apply', '-f', '-'], { input: deployment('csa', { replicas: 2 }) });
    assert.equal(c.code, 0, c.stderr);
    const other = await s.kubectl(['apply', '--server-side', '--field-manager=robot', '-f', '-'], { input: deployment('csa', { replicas: 4 }) });
    assert.equal(other.code, 1);
    assert.match(other.stderr, /conflict with "kubectl-client-side-apply" using apps\/v1: \.spec\.replicas/);
    const ssa = await s.kubectl(['apply', '--server-side', '-f', '-'], { input: deployment('csa', { replicas: 4 }) });
    assert.equal(ssa.code, 0, ssa.stderr);
    const g = await get('deploy', 'csa');
    assert.equal(g.spec.replicas, 4);
    assert.match(g.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '', /"replicas":4/);
    const scaled = await s.kubectl(['scale', 'deploy', 'csa', '--replicas=6']);
    assert.equal(scaled.code, 0, scaled.stderr);
    const after = await s.kubectl(['apply', '--server-side', '-f', '-'], { input: deployment('csa', { replicas: 4 }) });
    assert.equal(after.code, 1, 'a field someone else changed since is a conflict again');
    assert.match(after.stderr, /conflict with "kubectl" with subresource "scale" using apps\/v1: \.spec\.replicas/);
  });
});
