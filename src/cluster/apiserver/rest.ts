/**
 * The generic REST storage of every resource in the table (k8s.io/apiserver's registry/generic):
 * get, list, watch, create, update, patch, delete on the cluster storage, with the metadata
 * Kubernetes maintains (uid, creationTimestamp, resourceVersion from the revision, generation).
 * Values are stored without resourceVersion: it is the revision that wrote them.
 */
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, CompactedError, ConflictError, InvalidContinueError, NotFoundError } from '../storage/errors.js';
import type { KeyValue, Revision, Storage } from '../storage/interface.js';
import { apiVersionOf, type ResourceType } from '../types/resources.js';
import { at, isObj, meta, stringMap, timestamp, type Obj } from './object.js';
import { checkDeletionUpdate, deleteObject, namespaceTerminating, shouldDeleteDuringUpdate, type DeleteOptions, type DeleteResult } from './delete.js';
import { applyConfiguration, applyToObject, type ApplyRequest } from './apply.js';
import { updateManagedFields, type Writer } from './managed-fields.js';
import { jsonPatch, mergePatch, strategicMergePatch, type Json } from './patch.js';
import { parseFieldSelector, parseLabelSelector, type Selector } from './selectors.js';
import { alreadyExists, ApiError, badRequest, conflict, expired, invalid, notFound, type Status } from './status.js';
import { nameRule, validateName } from './validation.js';

export interface ListQuery {
  labelSelector: string | null;
  fieldSelector: string | null;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  items: Obj[];
  resourceVersion: string;
  continue?: string;
}

export type WatchEventOut =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: Obj }
  | { type: 'BOOKMARK'; object: Obj }
  | { type: 'ERROR'; object: Status };

export type PatchType = 'merge' | 'json' | 'strategic';

export function keyPrefix(t: ResourceType, namespace?: string): string {
  const base = t.group === '' ? `/registry/${t.resource}/` : `/registry/${t.group}/${t.resource}/`;
  return t.namespaced && namespace ? `${base}${namespace}/` : base;
}

export function keyOf(t: ResourceType, namespace: string | undefined, name: string): string {
  return keyPrefix(t, t.namespaced ? namespace : undefined) + name;
}

const NAMESPACES_TYPE = { group: '', resource: 'namespaces' } as const;

export function decode(kv: KeyValue): Obj {
  const o = JSON.parse(Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength).toString('utf8')) as Obj;
  meta(o).resourceVersion = String(kv.revision);
  return o;
}

export function encode(o: Obj): Uint8Array {
  const m = meta(o);
  const rv = m.resourceVersion;
  delete m.resourceVersion;
  const bytes = Buffer.from(JSON.stringify(o));
  if (rv !== undefined) m.resourceVersion = rv;
  return bytes;
}

function randomSuffix(n = 5): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'; // apimachinery's rand.String: no vowels, no look-alikes
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

function parseRevision(rv: string | undefined): Revision | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d+$/.test(rv)) throw badRequest(`Invalid value: "${rv}": must be a non-negative integer`);
  return Number(rv);
}

/** Maps storage errors to Status errors for one object. */
function storageError(t: ResourceType, name: string, err: unknown): unknown {
  if (err instanceof NotFoundError) return notFound(t, name);
  if (err instanceof AlreadyExistsError) return alreadyExists(t, name);
  if (err instanceof ConflictError) return conflict(t, name);
  return err;
}

export class RestStorage {
  /** namespacedTypes: whose objects a namespace's deletion removes. */
  constructor(private readonly storage: Storage, readonly namespacedTypes: readonly ResourceType[]) {}

  async get(t: ResourceType, namespace: string | undefined, name: string): Promise<Obj> {
    try {
      return withKind(t, decode(await this.storage.get(keyOf(t, namespace, name))));
    } catch (err) {
      throw storageError(t, name, err);
    }
  }

  selector(t: ResourceType, q: ListQuery): (o: Obj) => boolean {
    const labels = parseLabelSelector(q.labelSelector);
    const supported = ['metadata.name', 'metadata.namespace', ...(t.selectableFields ?? [])];
    const fields: Selector = parseFieldSelector(q.fieldSelector, supported);
    return (o) => {
      const m = meta(o);
      if (!labels(stringMap(m.labels))) return false;
      const f: Record<string, string> = { 'metadata.name': m.name ?? '', 'metadata.namespace': m.namespace ?? '' };
      for (const p of t.selectableFields ?? []) {
        const v = at(o, p);
        f[p] = typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v as string | number | boolean);
      }
      return fields(f);
    };
  }

  async list(t: ResourceType, namespace: string | undefined, q: ListQuery): Promise<ListResult> {
    const match = this.selector(t, q);
    const prefix = keyPrefix(t, namespace);
    const limit = q.limit !== undefined && q.limit > 0 ? q.limit : undefined;
    const rv = parseRevision(q.resourceVersion);
    if (q.resourceVersionMatch !== undefined && q.resourceVersionMatch !== '' && !['Exact', 'NotOlderThan'].includes(q.resourceVersionMatch)) {
      throw badRequest(`resourceVersionMatch: Unsupported value: "${q.resourceVersionMatch}": supported values: "Exact", "NotOlderThan"`);
    }
    const items: Obj[] = [];
    let token = q.continue || undefined;
    let revision: Revision = 0;
    try {
      for (;;) {
        const page = await this.storage.list(prefix, {
          limit: limit === undefined ? undefined : limit - items.length,
          continue: token,
          revision: token === undefined && rv !== undefined && rv > 0 ? rv : undefined,
          revisionMatch: q.resourceVersionMatch === 'Exact' ? 'Exact' : 'NotOlderThan',
        });
        revision = page.revision;
        for (const kv of page.items) {
          const o = decode(kv);
          if (match(o)) items.push(o);
        }
        token = page.continue;
        if (token === undefined || limit === undefined || items.length >= limit) break;
      }
    } catch (err) {
      if (err instanceof CompactedError && q.continue) {
        throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      if (err instanceof CompactedError) throw expired(`too old resource version: ${err.requested} (${err.compacted})`);
      if (err instanceof InvalidContinueError) throw badRequest(`continue key is not valid: ${err.message}`);
      throw err;
    }
    return { items, resourceVersion: String(revision), continue: token };
  }

  /**
   * Events after the resourceVersion (or, without one or with "0", the current objects as
   * ADDED first), filtered by the selectors as kube-apiserver filters them: an object that
   * starts matching is ADDED, one that stops matching is DELETED.
   */
  async *watch(t: ResourceType, namespace: string | undefined, q: ListQuery, signal: AbortSignal, bookmarks: { allow: boolean; everyMs: number }): AsyncGenerator<WatchEventOut> {
    const match = this.selector(t, q);
    const filtered = (q.labelSelector ?? '').trim() !== '' || (q.fieldSelector ?? '').trim() !== '';
    const prefix = keyPrefix(t, namespace);
    /** Keys whose last value matched; undefined when unknown (the store no longer has that revision). */
    let matching: Set<string> | undefined = new Set();
    let from = parseRevision(q.resourceVersion);
    if (from === undefined || from === 0) {
      const initial = await this.list(t, namespace, { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector });
      for (const o of initial.items) {
        matching.add(keyOf(t, meta(o).namespace, meta(o).name ?? ''));
        yield { type: 'ADDED', object: withKind(t, o) };
      }
      from = Number(initial.resourceVersion);
    } else if (filtered) {
      matching = await this.storage.list(prefix, { revision: from, revisionMatch: 'Exact' }).then(
        (page) => new Set(page.items.filter((kv) => match(decode(kv))).map((kv) => kv.key)),
        () => undefined);
    }
    const w = this.storage.watch(prefix, from, { signal });
    const timer = bookmarks.allow ? setInterval(() => w.requestProgress(), bookmarks.everyMs) : undefined;
    try {
      for await (const ev of w) {
        if (ev.type === 'BOOKMARK') {
          if (bookmarks.allow) yield { type: 'BOOKMARK', object: { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { resourceVersion: String(ev.revision) } } };
          continue;
        }
        const o = withKind(t, decode(ev.kv));
        const now = match(o);
        if (!filtered) {
          yield { type: ev.type, object: o };
          continue;
        }
        const before = matching?.has(ev.kv.key);
        if (ev.type === 'DELETED') {
          matching?.delete(ev.kv.key);
          if (before ?? now) yield { type: 'DELETED', object: o };
        } else if (now) {
          matching?.add(ev.kv.key);
          yield { type: ev.type === 'MODIFIED' && before === false ? 'ADDED' : ev.type, object: o };
        } else if (before) {
          matching?.delete(ev.kv.key);
          yield { type: 'DELETED', object: o };
        }
      }
    } catch (err) {
      if (err instanceof CompactedError) {
        yield { type: 'ERROR', object: expired(`too old resource version: ${err.requested} (${err.compacted})`).status() };
        return;
      }
      throw err;
    } finally {
      if (timer) clearInterval(timer);
    }
  }

  /** writer: whose fields these are (managedFields); 'apply' when apply.ts has set them already. */
  async create(t: ResourceType, namespace: string | undefined, body: Obj, dryRun: boolean, writer: Writer | 'apply' = SERVER): Promise<Obj> {
    checkKind(t, body);
    const m = meta(body);
    if (t.namespaced) {
      if (m.namespace !== undefined && m.namespace !== '' && m.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m.namespace = namespace;
    } else delete m.namespace;
    if (m.resourceVersion !== undefined && m.resourceVersion !== '') throw badRequest('resourceVersion should not be set on objects to be created');
    delete m.resourceVersion;
    if ((m.name === undefined || m.name === '') && m.generateName) m.name = m.generateName + randomSuffix();
    const name = m.name ?? '';
    if (name === '') {
      throw invalid(t, '', [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
    }
    const causes = validateName(name, nameRule(t.resource));
    if (t.namespaced) causes.push(...validateName(namespace ?? '', 'label', 'metadata.namespace'));
    if (causes.length > 0) throw invalid(t, name, causes);
    if (t.namespaced) await this.requireNamespace(namespace ?? '', t, name);
    m.uid = randomUUID();
    m.creationTimestamp = timestamp();
    if (isObj(body.spec) && t.resource !== 'namespaces') m.generation = 1;
    else delete m.generation;
    defaults(t, body);
    if (writer !== 'apply') updateManagedFields(t, undefined, body, writer, apiVersionOf(t));
    if (dryRun) return body;
    try {
      const rev = await this.storage.create(keyOf(t, namespace, name), encode(body));
      m.resourceVersion = String(rev);
      return body;
    } catch (err) {
      throw storageError(t, name, err);
    }
  }

  /** PUT: the whole object; 409 when its resourceVersion is not the current one. */
  async update(t: ResourceType, namespace: string | undefined, name: string, body: Obj, dryRun: boolean, writer: Writer = UNKNOWN): Promise<Obj> {
    checkKind(t, body);
    const bm = meta(body);
    if (bm.name !== undefined && bm.name !== name) {
      throw badRequest(`the name of the object (${bm.name}) does not match the name on the URL (${name})`);
    }
    if (t.namespaced && bm.namespace !== undefined && bm.namespace !== '' && bm.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    return this.modify(t, namespace, name, dryRun, (current) => keepStatus(t, current, body), writer);
  }

  /** check: sees (and may prune) the patched object before it is stored (field validation). */
  async patch(t: ResourceType, namespace: string | undefined, name: string, type: PatchType, patch: Json, dryRun: boolean, writer: Writer = UNKNOWN, check?: (next: Obj) => void): Promise<Obj> {
    return this.modify(t, namespace, name, dryRun, (current) => {
      const next = applyPatch(type, current, patch);
      check?.(next);
      checkKind(t, next);
      const nm = meta(next);
      if (nm.name !== name) throw badRequest(`the name of the object (${nm.name ?? ''}) does not match the name on the URL (${name})`);
      return keepStatus(t, current, next);
    }, writer);
  }

  /** Server-side apply: the object as applied, created when it did not exist. */
  async apply(t: ResourceType, namespace: string | undefined, name: string, body: Json, dryRun: boolean, req: ApplyRequest): Promise<{ object: Obj; created: boolean }> {
    const config = applyConfiguration(t, body, name);
    for (let attempt = 0; ; attempt++) {
      try {
        const object = await this.modify(t, namespace, name, dryRun, (current) => keepStatus(t, current, applyToObject(t, current, structuredClone(config), req)), 'apply');
        return { object, created: false };
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'NotFound' && err.details?.name === name && err.details.kind === t.resource)) throw err;
      }
      try {
        const fresh = applyToObject(t, undefined, structuredClone(config), req);
        meta(fresh).name = name;
        return { object: await this.create(t, namespace, fresh, dryRun, 'apply'), created: true };
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists') || attempt > 3) throw err;
      }
    }
  }

  /** GET of a subresource: the object itself for status, an autoscaling/v1 Scale for scale. */
  async getSubresource(t: ResourceType, namespace: string | undefined, name: string, sub: Subresource): Promise<Obj> {
    const o = await this.get(t, namespace, name);
    return sub === 'scale' ? scaleOf(o) : o;
  }

  /**
   * PUT or PATCH of a subresource: change gets the subresource's view (the object, or its Scale)
   * and returns the new view; only status (or spec.replicas) is taken from it.
   */
  async updateSubresource(t: ResourceType, namespace: string | undefined, name: string, sub: Subresource, dryRun: boolean, change: (view: Obj) => Obj, writer: Writer = UNKNOWN): Promise<Obj> {
    const out = await this.modify(t, namespace, name, dryRun, (current) => {
      const view = change(sub === 'scale' ? scaleOf(current) : structuredClone(current));
      const vm = meta(view);
      if (vm.name !== undefined && vm.name !== name) throw badRequest(`the name of the object (${vm.name}) does not match the name on the URL (${name})`);
      const next = current;
      meta(next).resourceVersion = vm.resourceVersion;
      if (sub === 'status') {
        if (view.status === undefined) delete next.status;
        else next.status = view.status;
      } else {
        const replicas = isObj(view.spec) ? view.spec.replicas : undefined;
        if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
          throw invalid({ group: 'autoscaling', kind: 'Scale' }, name, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`, field: 'spec.replicas' }]);
        }
        next.spec = { ...(isObj(next.spec) ? next.spec : {}), replicas };
      }
      return next;
    }, { ...writer, subresource: sub });
    return sub === 'scale' ? scaleOf(out) : out;
  }

  /** A read-modify-write by a controller (finalizers, ownerReferences), with the rules of an update. */
  async mutate(t: ResourceType, namespace: string | undefined, name: string, change: (current: Obj) => Obj, writer: Writer = CONTROLLERS): Promise<Obj> {
    return this.modify(t, namespace, name, false, change, writer);
  }

  private async modify(t: ResourceType, namespace: string | undefined, name: string, dryRun: boolean, change: (current: Obj) => Obj, writer: Writer | 'apply'): Promise<Obj> {
    let result: Obj | undefined;
    try {
      const kv = await this.storage.guaranteedUpdate(keyOf(t, namespace, name), (currentKv) => {
        const current = withKind(t, decode(currentKv));
        const next = change(structuredClone(current));
        const cm = meta(current);
        const nm = meta(next);
        if (nm.resourceVersion !== undefined && nm.resourceVersion !== '' && nm.resourceVersion !== cm.resourceVersion) throw conflict(t, name);
        // What clients may not change (kube-apiserver's BeforeUpdate): identity and system fields.
        nm.name = name;
        if (t.namespaced) nm.namespace = cm.namespace;
        else delete nm.namespace;
        nm.uid = cm.uid;
        nm.creationTimestamp = cm.creationTimestamp;
        checkDeletionUpdate(t, name, current, next);
        next.kind = t.kind;
        next.apiVersion = apiVersionOf(t);
        defaults(t, next);
        if (cm.generation !== undefined) {
          nm.generation = JSON.stringify(next.spec ?? null) === JSON.stringify(current.spec ?? null) ? cm.generation : cm.generation + 1;
        } else delete nm.generation;
        nm.resourceVersion = cm.resourceVersion;
        if (writer !== 'apply') updateManagedFields(t, current, next, writer, apiVersionOf(t));
        result = next;
        if (dryRun) return currentKv.value;
        if (shouldDeleteDuringUpdate(t, next)) throw new EmptiedFinalizers(next, currentKv.revision);
        return encode(next);
      });
      if (dryRun && result) return result;
      const out = withKind(t, decode(kv));
      return out;
    } catch (err) {
      if (err instanceof EmptiedFinalizers) {
        // The update took the last finalizer: the object goes (Store.deleteWithoutFinalizers).
        try {
          await this.storage.delete(keyOf(t, namespace, name), { preconditions: { revision: err.revision } });
          return err.object;
        } catch (e) {
          if (e instanceof ConflictError) return this.modify(t, namespace, name, dryRun, change, writer);
          throw storageError(t, name, e);
        }
      }
      throw storageError(t, name, err);
    }
  }

  /** DELETE with DeleteOptions (delete.ts): the object gone, or marked for its finalizers or grace period. */
  async delete(t: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions): Promise<DeleteResult> {
    return deleteObject(this.storage, t, keyOf(t, namespace, name), name, opts);
  }

  /** The namespace exists (404 otherwise) and, for a create, is not being deleted (403). */
  async requireNamespace(namespace: string, creating?: ResourceType, name = ''): Promise<void> {
    try {
      const ns = decode(await this.storage.get(`/registry/namespaces/${namespace}`));
      if (creating && meta(ns).deletionTimestamp !== undefined) throw namespaceTerminating(namespace, creating, name);
    } catch (err) {
      if (err instanceof NotFoundError) throw notFound(NAMESPACES_TYPE, namespace);
      throw err;
    }
  }
}

export type Subresource = 'status' | 'scale';

/** The managers of writes that name none: the server's own, a controller's, a client's without a User-Agent. */
const SERVER: Writer = { manager: 'kube-apiserver' };
const CONTROLLERS: Writer = { manager: 'kube-controller-manager' };
const UNKNOWN: Writer = { manager: 'unknown' };

/** Thrown out of guaranteedUpdate when the update empties the finalizers of an object being deleted. */
class EmptiedFinalizers extends Error {
  constructor(readonly object: Obj, readonly revision: Revision) {
    super('finalizers emptied');
  }
}

/** Types with a status subresource take status only through it (kube-apiserver's PrepareForUpdate). */
function keepStatus(t: ResourceType, current: Obj, next: Obj): Obj {
  if (!(t.subresources ?? []).includes('status')) return next;
  if (current.status === undefined) delete next.status;
  else next.status = current.status;
  return next;
}

export function applyPatch(type: PatchType, current: Obj, patch: Json): Obj {
  const next = type === 'json' ? jsonPatch(current, patch) : type === 'merge' ? mergePatch(current, patch) : strategicMergePatch(current, patch);
  if (!isObj(next)) throw badRequest('the patch does not yield an object');
  return next;
}

/** The autoscaling/v1 Scale of a Deployment, ReplicaSet or StatefulSet. */
function scaleOf(o: Obj): Obj {
  const m = meta(o);
  const spec = isObj(o.spec) ? o.spec : {};
  const status = isObj(o.status) ? o.status : {};
  const matchLabels = isObj(spec.selector) ? stringMap(spec.selector.matchLabels) : {};
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: m.name ?? '', namespace: m.namespace ?? '', uid: m.uid ?? '', resourceVersion: m.resourceVersion ?? '', creationTimestamp: m.creationTimestamp ?? null },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, selector: Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`).join(',') },
  };
}

export function withKind(t: ResourceType, o: Obj): Obj {
  o.kind = t.kind;
  o.apiVersion = apiVersionOf(t);
  return o;
}

/** A body for this URL's type: kind and apiVersion, when given, must be the URL's. */
function checkKind(t: ResourceType, body: Obj): void {
  const apiVersion = apiVersionOf(t);
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
    throw badRequest(`the API version in the data (${String(body.apiVersion as string)}) does not match the expected API version (${apiVersion})`);
  }
  if (body.kind !== undefined && body.kind !== t.kind) {
    throw badRequest(`the kind in the data (${String(body.kind as string)}) does not match the expected kind (${t.kind})`);
  }
  body.kind = t.kind;
  body.apiVersion = apiVersion;
}

/** The few defaults built-in types get before any controller runs. */
function defaults(t: ResourceType, o: Obj): void {
  if (t.group === '' && t.resource === 'namespaces') {
    if (!isObj(o.spec)) o.spec = {};
    if (!Array.isArray(o.spec.finalizers)) o.spec.finalizers = ['kubernetes'];
    if (!isObj(o.status)) o.status = {};
    if (typeof o.status.phase !== 'string') o.status.phase = 'Active';
    const m = meta(o);
    m.labels = { ...stringMap(m.labels), 'kubernetes.io/metadata.name': m.name ?? '' };
  }
  if (t.group === '' && t.resource === 'secrets' && typeof o.type !== 'string') o.type = 'Opaque';
}

