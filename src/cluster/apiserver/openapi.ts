/**
 * OpenAPI v2 (/openapi/v2) and v3 (/openapi/v3, and one document per group-version at
 * /openapi/v3/api/v1, /openapi/v3/apis/apps/v1, ...) as kube-apiserver serves them: the paths and
 * operations of every served resource, with their x-kubernetes-group-version-kind, x-kubernetes-action
 * and query parameters (kubectl reads the fieldValidation parameter there to leave validation to
 * the server), and the schemas of their types (openapi-schema.ts): what `kubectl explain`, kubectl's
 * strategic patches for client-side apply and the server's own field validation read.
 * Documents are built on first request and kept with their hash (the v3 index names each
 * document with it; a request with an old hash is redirected, a matching If-None-Match gets 304).
 */
import { createHash } from 'node:crypto';
import type { ResourceTable, ResourceType } from '../types/resources.js';
import type { Obj } from './object.js';
import { builtinDefinitions, definitionV3, type Definitions, type Schema } from './openapi-schema.js';

const INFO = { title: 'Kubernetes', version: 'v1.32.0' };
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
/** Definitions every document carries (the bodies and answers of delete, watch, patch). */
const COMMON = [`${META}.DeleteOptions`, `${META}.Status`, `${META}.WatchEvent`, `${META}.Patch`, `${META}.APIResourceList`];
const SCALE = 'io.k8s.api.autoscaling.v1.Scale';
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'];
const LIST_PARAMS = ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'pretty', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'];
const PARAM_TYPES: Readonly<Record<string, string>> = {
  allowWatchBookmarks: 'boolean', watch: 'boolean', sendInitialEvents: 'boolean', force: 'boolean', limit: 'integer', timeoutSeconds: 'integer', gracePeriodSeconds: 'integer',
};

export function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

interface Built {
  readonly body: Buffer;
  readonly hash: string;
}

interface Op {
  readonly method: 'get' | 'put' | 'post' | 'patch' | 'delete';
  readonly action: string;
  readonly id: string;
  readonly params: readonly string[];
  /** The definition of the body sent and answered; undefined: none (a Status answers). */
  readonly body?: string;
  readonly answer?: string;
  readonly kind: { group: string; version: string; kind: string };
}

/** The operations of a type, by path (kube-apiserver's action names and operation ids). */
function operations(defs: Definitions, t: ResourceType): Map<string, Op[]> {
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const name = defs.nameOf(t.group, t.version, t.kind);
  const list = defs.nameOf(t.group, t.version, `${t.kind}List`);
  const ns = t.namespaced ? 'Namespaced' : '';
  const g = t.group === '' ? 'Core' : t.group.split('.')[0].replace(/^./, (c) => c.toUpperCase());
  const gv = `${g}${t.version.replace(/^./, (c) => c.toUpperCase())}`;
  const base = `/${gvPath(t.group, t.version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}`;
  const verbs = new Set(t.verbs ?? ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
  const out = new Map<string, Op[]>();
  const add = (path: string, op: Op): void => { out.set(path, [...(out.get(path) ?? []), op]); };
  if (verbs.has('list')) add(base, { method: 'get', action: 'list', id: `list${gv}${ns}${t.kind}`, params: LIST_PARAMS, answer: list, kind: gvk });
  if (verbs.has('create')) add(base, { method: 'post', action: 'post', id: `create${gv}${ns}${t.kind}`, params: WRITE_PARAMS, body: name, answer: name, kind: gvk });
  if (verbs.has('deletecollection')) add(base, { method: 'delete', action: 'deletecollection', id: `deletecollection${gv}${ns}${t.kind}`, params: [...LIST_PARAMS.filter((p) => p !== 'watch'), 'dryRun', 'gracePeriodSeconds', 'propagationPolicy'], kind: gvk });
  const one = `${base}/{name}`;
  if (verbs.has('get')) add(one, { method: 'get', action: 'get', id: `read${gv}${ns}${t.kind}`, params: ['pretty'], answer: name, kind: gvk });
  if (verbs.has('update')) add(one, { method: 'put', action: 'put', id: `replace${gv}${ns}${t.kind}`, params: WRITE_PARAMS, body: name, answer: name, kind: gvk });
  if (verbs.has('patch')) add(one, { method: 'patch', action: 'patch', id: `patch${gv}${ns}${t.kind}`, params: [...WRITE_PARAMS, 'force'], body: `${META}.Patch`, answer: name, kind: gvk });
  if (verbs.has('delete')) add(one, { method: 'delete', action: 'delete', id: `delete${gv}${ns}${t.kind}`, params: ['dryRun', 'gracePeriodSeconds', 'pretty', 'propagationPolicy'], answer: t.returnDeletedObject ? name : `${META}.Status`, kind: gvk });
  for (const sub of t.subresources ?? []) {
    const s = sub === 'status' ? 'Status' : 'Scale';
    const def = sub === 'scale' ? SCALE : name;
    const kind = sub === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : gvk;
    add(`${one}/${sub}`, { method: 'get', action: 'get', id: `read${gv}${ns}${t.kind}${s}`, params: ['pretty'], answer: def, kind });
    add(`${one}/${sub}`, { method: 'put', action: 'put', id: `replace${gv}${ns}${t.kind}${s}`, params: WRITE_PARAMS, body: def, answer: def, kind });
    add(`${one}/${sub}`, { method: 'patch', action: 'patch', id: `patch${gv}${ns}${t.kind}${s}`, params: [...WRITE_PARAMS, 'force'], body: `${META}.Patch`, answer: def, kind });
  }
  return out;
}

function pathParams(path: string, v3: boolean): Obj[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m): Obj => {
    const p: Obj = { name: m[1], in: 'path', required: true, description: `${m[1]} of the resource` };
    if (v3) p.schema = { type: 'string', uniqueItems: true };
    else Object.assign(p, { type: 'string', uniqueItems: true });
    return p;
  });
}

function queryParam(name: string, v3: boolean): Obj {
  const type = PARAM_TYPES[name] ?? 'string';
  return v3 ? { name, in: 'query', schema: { type, uniqueItems: true } } : { name, in: 'query', type, uniqueItems: true };
}

function renderOp(op: Op, v3: boolean, refBase: string): Obj {
  const ref = (d: string): Obj => ({ $ref: `${refBase}${d}` });
  const o: Obj = { description: `${op.action} ${op.kind.kind}`, operationId: op.id, parameters: op.params.map((p) => queryParam(p, v3)) };
  const answer = op.answer ?? `${META}.Status`;
  if (v3) {
    if (op.body) o.requestBody = { content: { '*/*': { schema: ref(op.body) } }, required: true };
    const content = { content: { 'application/json': { schema: ref(answer) }, 'application/yaml': { schema: ref(answer) } } };
    o.responses = op.method === 'post' ? { 200: { description: 'OK', ...content }, 201: { description: 'Created', ...content }, 202: { description: 'Accepted', ...content }, 401: { description: 'Unauthorized' } }
      : { 200: { description: 'OK', ...content }, 401: { description: 'Unauthorized' } };
  } else {
    if (op.body) (o.parameters as Obj[]).unshift({ name: 'body', in: 'body', required: true, schema: ref(op.body) });
    o.consumes = op.method === 'patch' ? ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'] : ['*/*'];
    o.produces = ['application/json', 'application/yaml'];
    o.schemes = ['https'];
    o.responses = { 200: { description: 'OK', schema: ref(answer) }, 401: { description: 'Unauthorized' } };
  }
  o['x-kubernetes-action'] = op.action;
  o['x-kubernetes-group-version-kind'] = op.kind;
  return o;
}

/** The definitions a set of types needs: theirs, their lists', what those reach, and the common ones. */
function definitionNames(defs: Definitions, types: readonly ResourceType[]): string[] {
  const roots = [...COMMON];
  for (const t of types) {
    for (const k of [t.kind, `${t.kind}List`]) {
      const n = defs.nameOf(t.group, t.version, k);
      if (n) roots.push(n);
    }
    if ((t.subresources ?? []).includes('scale')) roots.push(SCALE);
  }
  return defs.closure(roots);
}

function paths(defs: Definitions, types: readonly ResourceType[], v3: boolean): Obj {
  const refBase = v3 ? '#/components/schemas/' : '#/definitions/';
  const out: Obj = {};
  for (const t of types) {
    for (const [path, ops] of operations(defs, t)) {
      const item: Obj = {};
      for (const op of ops) item[op.method] = renderOp(op, v3, refBase);
      item.parameters = pathParams(path, v3);
      out[path] = item;
    }
  }
  return out;
}

function build(doc: Obj): Built {
  const body = Buffer.from(JSON.stringify(doc));
  return { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() };
}

const cache = new WeakMap<ResourceTable, Map<string, Built>>();

function cached(table: ResourceTable, key: string, make: () => Obj | undefined): Built | undefined {
  let m = cache.get(table);
  if (!m) cache.set(table, (m = new Map()));
  let b = m.get(key);
  if (!b) {
    const doc = make();
    if (!doc) return undefined;
    b = build(doc);
    m.set(key, b);
  }
  return b;
}

export function openApiV2(table: ResourceTable, defs: Definitions = builtinDefinitions()): Obj {
  const definitions: Obj = {};
  for (const n of definitionNames(defs, table.types)) definitions[n] = defs.get(n) as Obj;
  return { swagger: '2.0', info: INFO, paths: paths(defs, table.types, false), definitions };
}

export function openApiDocument(table: ResourceTable, group: string, version: string, defs: Definitions = builtinDefinitions()): Obj | undefined {
  if (!table.hasGroupVersion(group, version)) return undefined;
  const types = table.inGroupVersion(group, version);
  const schemas: Obj = {};
  for (const n of definitionNames(defs, types)) schemas[n] = definitionV3(n, defs.get(n) as Schema) as Obj;
  return { openapi: '3.0.0', info: INFO, paths: paths(defs, types, true), components: { schemas } };
}

/** The index: each group-version's document with the hash of its content, as kube-apiserver serves it. */
export function openApiIndex(table: ResourceTable): Obj {
  const out: Obj = {};
  for (const g of table.groups) {
    for (const v of g.versions) {
      const b = cached(table, gvPath(g.name, v), () => openApiDocument(table, g.name, v));
      if (b) out[gvPath(g.name, v)] = { serverRelativeURL: `/openapi/v3/${gvPath(g.name, v)}?hash=${b.hash}` };
    }
  }
  return { paths: out };
}

export interface OpenApiReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

function accepts(accept: string | undefined, json: boolean): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((m) => {
    const t = m.split(';')[0].trim();
    return t === '*/*' || t === 'application/*' || (json && t === 'application/json');
  });
}

function notAcceptable(accept: string): OpenApiReply {
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `only the following media types are accepted: application/json (asked for ${accept})`, reason: 'NotAcceptable', code: 406 };
  return { status: 406, headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(status)) };
}

/**
 * The answer to GET /openapi/v2 or /openapi/v3[/<group-version>] (parts: the path's segments
 * after "openapi"), or undefined for another path. JSON only: a client that accepts nothing but
 * protobuf (client-go's v2 getter) gets 406 and goes on without the document.
 */
export function serveOpenApi(table: ResourceTable, parts: readonly string[], query: URLSearchParams, accept: string | undefined, ifNoneMatch: string | undefined): OpenApiReply | undefined {
  let b: Built | undefined;
  let immutable = false;
  if (parts.length === 1 && parts[0] === 'v2') {
    b = cached(table, 'v2', () => openApiV2(table));
  } else if (parts[0] === 'v3' && parts.length === 1) {
    b = build(openApiIndex(table));
  } else if (parts[0] === 'v3') {
    const [group, version] = parts[1] === 'api' && parts.length === 3 ? ['', parts[2]] : parts[1] === 'apis' && parts.length === 4 ? [parts[2], parts[3]] : [undefined, undefined];
    if (group === undefined || version === undefined) return undefined;
    const key = gvPath(group, version);
    b = cached(table, key, () => openApiDocument(table, group, version));
    if (!b) return undefined;
    const hash = query.get('hash');
    if (hash !== null && hash !== b.hash) {
      return { status: 301, headers: { Location: `/openapi/v3/${key}?hash=${b.hash}`, 'Cache-Control': 'no-cache, private' }, body: Buffer.alloc(0) };
    }
    immutable = hash !== null;
  } else return undefined;
  if (!b) return undefined;
  if (!accepts(accept, true)) return notAcceptable(accept ?? '');
  const etag = `"${b.hash}"`;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json', ETag: etag, Vary: 'Accept',
    'Cache-Control': immutable ? 'public, immutable' : 'no-cache, private',
  };
  if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((e) => e.trim() === etag)) return { status: 304, headers, body: Buffer.alloc(0) };
  return { status: 200, headers, body: b.body };
}
