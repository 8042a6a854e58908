/**
 * DELETE as k8s.io/apiserver's registry Store does it: DeleteOptions (grace period,
 * preconditions, propagationPolicy, dryRun), finalizers (an object that has them is only marked:
 * deletionTimestamp and deletionGracePeriodSeconds, and goes when an update empties them), pods'
 * graceful deletion, and namespaces, which are marked Terminating for the namespace controller.
 */
import { ConflictError, NotFoundError } from '../storage/errors.js';
import type { Storage } from '../storage/interface.js';
import type { ResourceType } from '../types/resources.js';
import { isObj, meta, timestamp, type Obj } from './object.js';
import type { Json } from './patch.js';
import { decode, encode, withKind } from './rest.js';
import { ApiError, badRequest, conflict, invalid, notFound, qualified } from './status.js';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  /** Undefined: the finalizers the object has are kept (the type's default policy, Background). */
  readonly propagationPolicy?: PropagationPolicy;
  readonly dryRun: boolean;
}

export interface DeleteResult {
  /** The object as deleted, or as marked for deletion. */
  readonly object: Obj;
  /** True when it is gone from storage; false when it waits for finalizers or its grace period. */
  readonly deleted: boolean;
}

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const NAMESPACE_FINALIZER = 'kubernetes';

/** The NamespaceLifecycle admission plugin's: these are never deleted. */
const IMMORTAL_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public'];

const POLICIES: readonly string[] = ['Foreground', 'Background', 'Orphan'];

/** DeleteOptions from the body (a DeleteOptions object, or none) and the query, as the handler decodes them. */
export function parseDeleteOptions(body: Json, q: URLSearchParams): DeleteOptions {
  const b = isObj(body) ? body : {};
  if (body !== null && !isObj(body)) throw badRequest('the body of the request was not a DeleteOptions object');
  const dryRunValues = [...q.getAll('dryRun'), ...(Array.isArray(b.dryRun) ? b.dryRun.filter((x): x is string => typeof x === 'string') : [])];
  for (const v of dryRunValues) {
    if (v !== 'All') throw invalidOptions('dryRun', `Unsupported value: "${v}": supported values: "All"`);
  }
  const grace = q.get('gracePeriodSeconds') ?? (typeof b.gracePeriodSeconds === 'number' ? String(b.gracePeriodSeconds) : null);
  if (grace !== null && !/^-?\d+$/.test(grace)) throw badRequest(`invalid gracePeriodSeconds: ${grace}`);
  const policy = q.get('propagationPolicy') ?? (typeof b.propagationPolicy === 'string' ? b.propagationPolicy : undefined);
  const orphanQ = q.get('orphanDependents');
  const orphan = orphanQ !== null ? orphanQ === 'true' || orphanQ === '1' : typeof b.orphanDependents === 'boolean' ? b.orphanDependents : undefined;
  if (policy !== undefined && !POLICIES.includes(policy)) {
    throw invalidOptions('propagationPolicy', `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`);
  }
  if (policy !== undefined && orphan !== undefined) {
    throw invalidOptions('propagationPolicy', 'Invalid value: "' + policy + '": orphanDependents and deletionPropagation cannot be both set');
  }
  const pre = isObj(b.preconditions) ? b.preconditions : {};
  return {
    gracePeriodSeconds: grace === null ? undefined : Math.max(Number(grace), Number(grace) < 0 ? 1 : 0),
    preconditions: {
      uid: typeof pre.uid === 'string' ? pre.uid : undefined,
      resourceVersion: typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined,
    },
    propagationPolicy: (policy as PropagationPolicy | undefined) ?? (orphan === undefined ? undefined : orphan ? 'Orphan' : 'Background'),
    dryRun: dryRunValues.includes('All'),
  };
}

function invalidOptions(field: string, message: string): ApiError {
  return invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [{ reason: 'FieldValueNotSupported', message, field }]);
}

export function finalizersOf(o: Obj): string[] {
  const f = meta(o).finalizers;
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : [];
}

/** The finalizers after a delete with this policy (deletionFinalizersForGarbageCollection). */
function finalizersFor(current: readonly string[], policy: PropagationPolicy | undefined): string[] {
  if (policy === undefined) return [...current];
  const out = current.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (policy === 'Orphan') out.push(ORPHAN_FINALIZER);
  if (policy === 'Foreground') out.push(FOREGROUND_FINALIZER);
  return out;
}

function checkPreconditions(t: ResourceType, name: string, o: Obj, pre: DeleteOptions['preconditions']): void {
  const m = meta(o);
  if (pre?.uid !== undefined && pre.uid !== m.uid) {
    throw conflict(t, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${m.uid ?? ''}`);
  }
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== m.resourceVersion) {
    throw conflict(t, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${m.resourceVersion ?? ''}`);
  }
}

type Plan = { readonly action: 'delete' } | { readonly action: 'keep' } | { readonly action: 'update'; readonly next: Obj };

const isPods = (t: ResourceType): boolean => t.group === '' && t.resource === 'pods';
const isNamespaces = (t: ResourceType): boolean => t.group === '' && t.resource === 'namespaces';

/** The pod's grace period (podStrategy.CheckGracefulDelete): 0 when unscheduled or finished. */
function podGracePeriod(pod: Obj, requested: number | undefined): number {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const phase = isObj(pod.status) ? pod.status.phase : undefined;
  let period = requested ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
  if (typeof spec.nodeName !== 'string' || spec.nodeName === '') period = 0;
  if (phase === 'Failed' || phase === 'Succeeded') period = 0;
  return period;
}

function addSeconds(ts: string, seconds: number): string {
  return timestamp(new Date(Date.parse(ts) + seconds * 1000));
}

/** What one DELETE does to the current object (rest.BeforeDelete, then the finalizer update). */
function plan(t: ResourceType, current: Obj, opts: DeleteOptions, now: Date): Plan {
  const next = structuredClone(current);
  const m = meta(next);
  const deleting = typeof m.deletionTimestamp === 'string';
  if (isNamespaces(t)) {
    // The namespace registry: the first delete marks it Terminating; the namespace controller
    // empties it and takes `kubernetes` out of spec.finalizers; the delete after that removes it.
    const specFinalizers = isObj(next.spec) && Array.isArray(next.spec.finalizers) ? next.spec.finalizers : [];
    const finalizers = finalizersFor(finalizersOf(next), opts.propagationPolicy);
    if (!deleting) {
      m.deletionTimestamp = timestamp(now);
      m.deletionGracePeriodSeconds = 0;
      if (finalizers.length > 0) m.finalizers = finalizers;
      else delete m.finalizers;
      next.status = { ...(isObj(next.status) ? next.status : {}), phase: 'Terminating' };
      return { action: 'update', next };
    }
    if (specFinalizers.length > 0 || finalizers.length > 0) return sameFinalizers(finalizers, finalizersOf(current)) ? { action: 'keep' } : withFinalizers(next, finalizers);
    return { action: 'delete' };
  }
  let graceful = false;
  if (isPods(t)) {
    const dgps = typeof m.deletionGracePeriodSeconds === 'number' ? m.deletionGracePeriodSeconds : undefined;
    if (deleting) {
      if (dgps !== undefined && dgps !== 0) {
        // Already being deleted gracefully: only a shorter grace period changes anything.
        if (opts.gracePeriodSeconds === undefined || opts.gracePeriodSeconds >= dgps) return { action: 'keep' };
        m.deletionTimestamp = addSeconds(m.deletionTimestamp ?? timestamp(now), opts.gracePeriodSeconds - dgps);
        m.deletionGracePeriodSeconds = opts.gracePeriodSeconds;
        graceful = opts.gracePeriodSeconds > 0;
      }
    } else {
      const period = podGracePeriod(next, opts.gracePeriodSeconds);
      if (period > 0) {
        m.deletionTimestamp = timestamp(new Date(now.getTime() + period * 1000));
        m.deletionGracePeriodSeconds = period;
        if (typeof m.generation === 'number') m.generation += 1;
        graceful = true;
      }
    }
  }
  const finalizers = finalizersFor(finalizersOf(next), opts.propagationPolicy);
  if (finalizers.length > 0) {
    if (!graceful) markAsDeleting(next, now);
    return withFinalizers(next, finalizers);
  }
  if (graceful) return withFinalizers(next, finalizers);
  return { action: 'delete' };
}

function sameFinalizers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function withFinalizers(next: Obj, finalizers: readonly string[]): Plan {
  const m = meta(next);
  if (finalizers.length > 0) m.finalizers = [...finalizers];
  else delete m.finalizers;
  return { action: 'update', next };
}

/** Store.markAsDeleting: a type without graceful deletion whose finalizers hold it back. */
function markAsDeleting(o: Obj, now: Date): void {
  const m = meta(o);
  if (m.deletionTimestamp === undefined && typeof m.generation === 'number') m.generation += 1;
  if (m.deletionTimestamp === undefined || Date.parse(m.deletionTimestamp) > now.getTime()) m.deletionTimestamp = timestamp(now);
  m.deletionGracePeriodSeconds = 0;
}

/** Deletes (or marks for deletion) the object at key; retries when another write comes between. */
export async function deleteObject(storage: Storage, t: ResourceType, key: string, name: string, opts: DeleteOptions): Promise<DeleteResult> {
  if (isNamespaces(t) && IMMORTAL_NAMESPACES.includes(name)) {
    throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
  }
  for (let attempt = 0; ; attempt++) {
    let current: Obj;
    let revision: number;
    try {
      const kv = await storage.get(key);
      current = withKind(t, decode(kv));
      revision = kv.revision;
    } catch (err) {
      if (err instanceof NotFoundError) throw notFound(t, name);
      throw err;
    }
    checkPreconditions(t, name, current, opts.preconditions);
    const p = plan(t, current, opts, new Date());
    try {
      if (p.action === 'keep') return { object: current, deleted: false };
      if (p.action === 'update') {
        if (opts.dryRun) return { object: p.next, deleted: false };
        const kv = await storage.guaranteedUpdate(key, () => encode(p.next), { preconditions: { revision } });
        return { object: withKind(t, decode(kv)), deleted: false };
      }
      if (opts.dryRun) return { object: current, deleted: true };
      await storage.delete(key, { preconditions: { revision } });
      return { object: current, deleted: true };
    } catch (err) {
      if (err instanceof NotFoundError) throw notFound(t, name);
      if (!(err instanceof ConflictError) || attempt >= 20) throw err;
    }
  }
}

/**
 * After an update: an object being deleted whose finalizers are all gone (and, for a
 * namespace, spec.finalizers too) goes now (Store.shouldDeleteDuringUpdate).
 */
export function shouldDeleteDuringUpdate(t: ResourceType, next: Obj): boolean {
  const m = meta(next);
  if (typeof m.deletionTimestamp !== 'string' || finalizersOf(next).length > 0) return false;
  if (isNamespaces(t)) return !(isObj(next.spec) && Array.isArray(next.spec.finalizers) && next.spec.finalizers.length > 0);
  return m.deletionGracePeriodSeconds === 0 || m.deletionGracePeriodSeconds === undefined;
}

/**
 * What an update may not do to the deletion fields (ValidateObjectMetaUpdate): they are the
 * server's, and an object being deleted takes no new finalizers.
 */
export function checkDeletionUpdate(t: ResourceType, name: string, current: Obj, next: Obj): void {
  const cm = meta(current);
  const nm = meta(next);
  for (const f of ['deletionTimestamp', 'deletionGracePeriodSeconds']) {
    const v = (cm as Obj)[f];
    if (v === undefined) delete (nm as Obj)[f];
    else (nm as Obj)[f] = v;
  }
  if (cm.deletionTimestamp === undefined) return;
  const before = new Set(finalizersOf(current));
  const added = finalizersOf(next).filter((f) => !before.has(f));
  if (added.length > 0) {
    throw invalid(t, name, [{
      reason: 'FieldValueForbidden', field: 'metadata.finalizers',
      message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
    }]);
  }
}

/** The Status a DELETE answers with when the object is gone and the type does not return it. */
export function deletedStatus(t: ResourceType, o: Obj): Obj {
  const details: Obj = { name: meta(o).name ?? '', kind: t.resource, uid: meta(o).uid ?? '' };
  if (t.group !== '') details.group = t.group;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/** NamespaceLifecycle admission: nothing new in a namespace being deleted. */
export function namespaceTerminating(namespace: string, t: ResourceType, name: string): ApiError {
  return new ApiError(403, 'Forbidden', `${qualified(t)} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
    name, kind: t.resource, ...(t.group === '' ? {} : { group: t.group }),
    causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
  });
}
