/**
 * OpenAPI v3 (/openapi/v3 and one document per group-version), for now only the paths and
 * operations with their x-kubernetes-group-version-kind and query parameters: what kubectl reads
 * to learn that the server validates fields itself (fieldValidation), so that create -f and
 * apply do not fall back to a client-side schema. Schemas (components) come with the type
 * definitions; until then kubectl's apply computes strategic patches from its compiled-in types.
 */
import { createHash } from 'node:crypto';
import { type ResourceTable, type ResourceType } from '../types/resources.js';
import type { Obj } from './object.js';

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'];

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function operation(t: ResourceType, action: string, params: readonly string[]): Obj {
  return {
    operationId: `${action}${t.kind}`,
    parameters: params.map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } })),
    responses: { 200: { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind },
  };
}

export function openApiDocument(table: ResourceTable, group: string, version: string): Obj | undefined {
  if (!table.hasGroupVersion(group, version)) return undefined;
  const paths: Obj = {};
  for (const t of table.inGroupVersion(group, version)) {
    const base = `/${gvPath(group, version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}`;
    paths[base] = { get: operation(t, 'list', ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'watch']), post: operation(t, 'post', QUERY_PARAMS) };
    paths[`${base}/{name}`] = {
      get: operation(t, 'get', ['pretty']), put: operation(t, 'put', QUERY_PARAMS),
      patch: operation(t, 'patch', [...QUERY_PARAMS, 'force']), delete: operation(t, 'delete', ['dryRun', 'gracePeriodSeconds', 'propagationPolicy']),
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: {} } };
}

/** The index: each group-version's document with a hash of its content, as kube-apiserver serves it. */
export function openApiIndex(table: ResourceTable): Obj {
  const paths: Obj = {};
  for (const g of table.groups) {
    for (const v of g.versions) {
      const hash = createHash('sha512').update(JSON.stringify(openApiDocument(table, g.name, v))).digest('hex').slice(0, 128).toUpperCase();
      paths[gvPath(g.name, v)] = { serverRelativeURL: `/openapi/v3/${gvPath(g.name, v)}?hash=${hash}` };
    }
  }
  return { paths };
}


