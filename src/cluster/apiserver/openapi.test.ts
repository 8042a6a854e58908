import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_RESOURCES, ResourceTable } from '../types/resources.js';
import { openApiDocument, openApiIndex, openApiV2, serveOpenApi } from './openapi.js';
import { builtinDefinitions, toV3 } from './openapi-schema.js';

const table = new ResourceTable(BUILTIN_RESOURCES);

describe('OpenAPI definitions', () => {
  it('has a schema, named as Kubernetes names it, for every served kind', () => {
    const defs = builtinDefinitions();
    for (const t of BUILTIN_RESOURCES) {
      const name = defs.nameOf(t.group, t.version, t.kind);
      assert.ok(name, `${t.group}/${t.version} ${t.kind}`);
      if ((t.verbs ?? ['list']).includes('list')) assert.ok(defs.nameOf(t.group, t.version, `${t.kind}List`), `${t.kind}List`);
    }
    assert.equal(defs.nameOf('', 'v1', 'Pod'), 'io.k8s.api.core.v1.Pod');
    assert.equal(defs.nameOf('apps', 'v1', 'Deployment'), 'io.k8s.api.apps.v1.Deployment');
    assert.equal(defs.nameOf('rbac.authorization.k8s.io', 'v1', 'Role'), 'io.k8s.api.rbac.v1.Role');
  });

  it('carries descriptions, required fields, enums and the patch extensions', () => {
    const defs = builtinDefinitions();
    const spec = defs.get('io.k8s.api.core.v1.PodSpec');
    assert.deepEqual(spec?.required, ['containers']);
    const containers = spec?.properties?.containers;
    assert.match(containers?.description ?? '', /^List of containers belonging to the pod/);
    assert.equal(containers?.['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(containers?.['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers?.items?.$ref, '#/definitions/io.k8s.api.core.v1.Container');
    const pull = defs.get('io.k8s.api.core.v1.Container')?.properties?.imagePullPolicy;
    assert.deepEqual(pull?.enum, ['Always', 'IfNotPresent', 'Never']);
    assert.match(pull?.description ?? '', /\n\nPossible enum values:\n - `"Always"`/);
    assert.equal(defs.get('io.k8s.api.core.v1.ContainerPort')?.properties?.containerPort?.format, 'int32');
    const meta = defs.get('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    assert.equal(meta?.properties?.creationTimestamp?.$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time');
    assert.equal(meta?.properties?.finalizers?.['x-kubernetes-list-type'], 'set');
    // a 1.33 field is not served by a 1.32 server
    assert.equal(defs.get('io.k8s.api.core.v1.Lifecycle')?.properties?.stopSignal, undefined);
  });

  it('turns a $ref with a description into allOf in v3', () => {
    assert.deepEqual(toV3({ description: 'd', $ref: '#/definitions/a.B' }), { description: 'd', allOf: [{ $ref: '#/components/schemas/a.B' }] });
    assert.deepEqual(toV3({ type: 'array', items: { $ref: '#/definitions/a.B' } }), { type: 'array', items: { $ref: '#/components/schemas/a.B' } });
  });
});

describe('OpenAPI documents', () => {
  it('v3 per group-version: paths with the fieldValidation parameter and the schemas they reach', () => {
    const doc = openApiDocument(table, 'apps', 'v1') as { paths: Record<string, { post?: { parameters: { name: string }[] } }>; components: { schemas: Record<string, unknown> } };
    const post = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'].post;
    assert.ok(post?.parameters.some((p) => p.name === 'fieldValidation'));
    for (const n of ['io.k8s.api.apps.v1.Deployment', 'io.k8s.api.core.v1.PodSpec', 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'io.k8s.api.autoscaling.v1.Scale']) assert.ok(doc.components.schemas[n], n);
    assert.equal(doc.components.schemas['io.k8s.api.core.v1.Namespace'], undefined);
    assert.equal(openApiDocument(table, 'nope', 'v1'), undefined);
  });

  it('v2 has the definitions of every served kind', () => {
    const doc = openApiV2(table) as { swagger: string; definitions: Record<string, unknown> };
    assert.equal(doc.swagger, '2.0');
    assert.ok(doc.definitions['io.k8s.api.core.v1.Pod']);
    assert.ok(doc.definitions['io.k8s.api.rbac.v1.ClusterRoleBinding']);
  });

  it('serves the index with hashes, redirects an old hash, answers 304 and refuses protobuf only', () => {
    const index = openApiIndex(table) as { paths: Record<string, { serverRelativeURL: string }> };
    const url = new URL(index.paths['api/v1'].serverRelativeURL, 'https://x');
    const hash = url.searchParams.get('hash') ?? '';
    assert.match(hash, /^[0-9A-F]{128}$/);
    const ok = serveOpenApi(table, ['v3', 'api', 'v1'], url.searchParams, 'application/json', undefined);
    assert.equal(ok?.status, 200);
    assert.equal(ok?.headers.ETag, `"${hash}"`);
    assert.equal(ok?.headers['Cache-Control'], 'public, immutable');
    assert.equal(serveOpenApi(table, ['v3', 'api', 'v1'], new URLSearchParams(), undefined, `"${hash}"`)?.status, 304);
    const moved = serveOpenApi(table, ['v3', 'api', 'v1'], new URLSearchParams('hash=00'), 'application/json', undefined);
    assert.equal(moved?.status, 301);
    assert.equal(moved?.headers.Location, `/openapi/v3/api/v1?hash=${hash}`);
    assert.equal(serveOpenApi(table, ['v2'], new URLSearchParams(), 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf', undefined)?.status, 406);
    assert.equal(serveOpenApi(table, ['v2'], new URLSearchParams(), 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json', undefined)?.status, 200);
    assert.equal(serveOpenApi(table, ['v3', 'apis', 'nope', 'v1'], new URLSearchParams(), undefined, undefined), undefined);
  });
});
