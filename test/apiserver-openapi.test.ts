// OpenAPI, field validation and metrics of minke's API server, judged by the real kubectl 1.32.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApiServer, type TestApiServer } from './apiserver-harness.js';

let s: TestApiServer;

before(async () => {
  s = await startTestApiServer();
});

after(async () => {
  await s?.close();
});

describe('kubectl explain reads the OpenAPI v3 documents', () => {
  it('explain pod.spec.containers: the field, its type, description and fields', async () => {
    const r = await s.kubectl(['explain', 'pod.spec.containers']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.deepEqual(lines.slice(0, 4), ['KIND:       Pod', 'VERSION:    v1', '', 'FIELD: containers <[]Container>']);
    assert.match(r.stdout, /^DESCRIPTION:\n {4}List of containers belonging to the pod\. Containers cannot currently be\n {4}added or removed\./m);
    assert.match(r.stdout, /^ {4}A single application container that you want to run within a pod\.$/m);
    assert.match(r.stdout, /^ {2}env\t<\[\]EnvVar>\n {4}List of environment variables to set in the container\. Cannot be updated\.$/m);
    assert.match(r.stdout, /^ {2}imagePullPolicy\t<string>\n {2}enum: Always, IfNotPresent, Never$/m);
    assert.match(r.stdout, /^ {2}name\t<string> -required-$/m);
    assert.match(r.stdout, /^ {2}resources\t<ResourceRequirements>$/m);
    const limits = await s.kubectl(['explain', 'pod.spec.containers.resources']);
    assert.match(limits.stdout, /^ {2}limits\t<map\[string\]Quantity>$/m);
  });

  it('explain --api-version=apps/v1 deployments.spec.strategy', async () => {
    const r = await s.kubectl(['explain', '--api-version=apps/v1', 'deployments.spec.strategy']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^GROUP: {6}apps\nKIND: {7}Deployment\nVERSION: {4}v1\n\nFIELD: strategy <DeploymentStrategy>\n/);
    assert.match(r.stdout, /^ {4}The deployment strategy to use to replace existing pods with new ones\.$/m);
    assert.match(r.stdout, /^ {2}rollingUpdate\t<RollingUpdateDeployment>$/m);
    assert.match(r.stdout, /^ {2}type\t<string>\n {2}enum: Recreate, RollingUpdate\n {4}Type of deployment\. Can be "Recreate" or "RollingUpdate"\. Default is\n {4}RollingUpdate\.$/m);
  });

  it('explain deployment --recursive walks every field', async () => {
    const r = await s.kubectl(['explain', 'deployment', '--recursive']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}metadata\t<ObjectMeta>\n {4}annotations\t<map\[string\]string>$/m);
    assert.match(r.stdout, /^ {4}ownerReferences\t<\[\]OwnerReference>\n {6}apiVersion\t<string> -required-$/m);
    assert.match(r.stdout, /^ {4}selector\t<LabelSelector> -required-$/m);
    assert.match(r.stdout, /^ {6}rollingUpdate\t<RollingUpdateDeployment>\n {8}maxSurge\t<IntOrString>\n {8}maxUnavailable\t<IntOrString>$/m);
    assert.match(r.stdout, /^ {6}spec\t<PodSpec>\n {8}activeDeadlineSeconds\t<integer>$/m);
    assert.ok(r.stdout.split('\n').length > 1000, 'the pod template is walked too');
  });

  it('explain of a cluster-scoped kind in another group', async () => {
    const r = await s.kubectl(['explain', 'clusterrolebinding.roleRef']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^FIELD: roleRef <RoleRef>$/m);
    assert.match(r.stdout, /^ {2}apiGroup\t<string> -required-$/m);
  });
});

const POD_WITH_TYPO = `apiVersion: v1
kind: Pod
metadata:
  name: NAME
spec:
  foo: bar
  containers:
  - name: c
    image: busybox
    imagePullPolcy: Always
`;

describe('field validation with kubectl', () => {
  it('kubectl create -f refuses unknown fields under its default strict validation', async () => {
    const r = await s.kubectl(['create', '-f', '-'], { input: POD_WITH_TYPO.replace('NAME', 'strict') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error from server \(BadRequest\): error when creating "STDIN": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec\.containers\[0\]\.imagePullPolcy", unknown field "spec\.foo"$/m);
    const g = await s.kubectl(['get', 'pod', 'strict']);
    assert.equal(g.code, 1, 'nothing was created');
  });

  it('--validate=warn creates the object, prints the warnings and drops the unknown fields', async () => {
    const r = await s.kubectl(['create', '-f', '-', '--validate=warn'], { input: POD_WITH_TYPO.replace('NAME', 'warned') });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'pod/warned created');
    assert.match(r.stderr, /^Warning: unknown field "spec\.containers\[0\]\.imagePullPolcy"$/m);
    assert.match(r.stderr, /^Warning: unknown field "spec\.foo"$/m);
    const g = await s.kubectl(['get', 'pod', 'warned', '-o', 'jsonpath={.spec}']);
    // What is left is the pod as written, less the unknown fields (plus what admission adds).
    const spec = JSON.parse(g.stdout) as { foo?: unknown; containers: Record<string, unknown>[] };
    assert.equal(spec.foo, undefined);
    assert.deepEqual(Object.keys(spec.containers[0]!).filter((k) => k !== 'volumeMounts').sort(), ['image', 'name']);
  });

  it('--validate=false (Ignore) says nothing', async () => {
    const r = await s.kubectl(['create', '-f', '-', '--validate=false'], { input: POD_WITH_TYPO.replace('NAME', 'ignored') });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  it('a patch with an unknown field warns (the default, Warn) and a strict raw request is refused', async () => {
    const p = await s.kubectl(['patch', 'pod', 'warned', '-p', '{"spec":{"bar":1}}']);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stderr, /^Warning: unknown field "spec\.bar"$/m);
    const r = await s.request('PATCH', '/api/v1/namespaces/default/pods/warned?fieldValidation=Strict', {
      body: '{"metadata":{"labels":{"a":"1","a":"2"}},"spec":{"bar":1}}', headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    assert.equal(r.status, 400, r.body);
    assert.equal(r.json().message, 'strict decoding error: duplicate field "metadata.labels.a", unknown field "spec.bar"');
  });
});

describe('metrics', () => {
  it('kubectl get --raw /metrics shows the request counts growing', async () => {
    const count = (text: string): number => {
      const m = /^apiserver_request_total\{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="LIST",version="v1"\} (\d+)$/m.exec(text);
      return m ? Number(m[1]) : 0;
    };
    const before = await s.kubectl(['get', '--raw', '/metrics']);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, /^# TYPE apiserver_request_duration_seconds histogram$/m);
    assert.match(before.stdout, /^process_resident_memory_bytes \d+$/m);
    const l = await s.kubectl(['get', 'configmaps']);
    assert.equal(l.code, 0, l.stderr);
    const after = await s.kubectl(['get', '--raw', '/metrics']);
    assert.equal(count(after.stdout), count(before.stdout) + 1);
    assert.match(after.stdout, /^apiserver_request_duration_seconds_bucket\{.*resource="configmaps",scope="namespace",subresource="",verb="LIST",version="v1",le="\+Inf"\} \d+$/m);
  });
});
