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
