/**
 * The garbage collector (kube-controller-manager's garbagecollector): a graph of owners and
 * dependents from metadata.ownerReferences, kept from the watch of every object. A dependent
 * whose owners are all gone, or waiting for their dependents (foreground), is deleted; an owner
 * with the `orphan` finalizer has its dependents' references to it removed, then the finalizer;
 * an owner with `foregroundDeletion` loses the finalizer once no dependent that blocks it is left.
 */
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, finalizersOf, type PropagationPolicy } from '../../apiserver/delete.js';
import { isObj, meta, type Obj } from '../../apiserver/object.js';
import type { RestStorage } from '../../apiserver/rest.js';
import { ApiError } from '../../apiserver/status.js';
import { apiVersionOf, type ResourceType } from '../../types/resources.js';
import type { ObjectEvent } from '../object-watch.js';
import { WorkQueue } from '../work-queue.js';

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly blockOwnerDeletion?: boolean;
  readonly controller?: boolean;
}

interface Node {
  readonly resource: ResourceType;
  readonly namespace?: string;
  readonly name: string;
  owners: OwnerReference[];
  finalizers: string[];
  deleting: boolean;
}

export function ownerReferences(o: Obj): OwnerReference[] {
  const refs = meta(o).ownerReferences;
  if (!Array.isArray(refs)) return [];
  return refs.filter(isObj).filter((r) => typeof r.uid === 'string' && typeof r.name === 'string' && typeof r.kind === 'string' && typeof r.apiVersion === 'string')
    .map((r) => ({
      apiVersion: r.apiVersion as string, kind: r.kind as string, name: r.name as string, uid: r.uid as string,
      ...(typeof r.blockOwnerDeletion === 'boolean' ? { blockOwnerDeletion: r.blockOwnerDeletion } : {}),
      ...(typeof r.controller === 'boolean' ? { controller: r.controller } : {}),
    }));
}

export class GarbageCollector {
  private readonly nodes = new Map<string, Node>();
  /** owner uid → dependent uids */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly byKind = new Map<string, ResourceType>();
  private readonly queue: WorkQueue;

  constructor(private readonly rest: RestStorage, types: readonly ResourceType[], private readonly log: (m: string) => void) {
    for (const t of types) this.byKind.set(`${apiVersionOf(t)}/${t.kind}`, t);
    this.queue = new WorkQueue((uid) => this.process(uid), (uid, err) => this.log(`garbage collector: ${uid}: ${String(err)}`));
  }

  readonly handle = (ev: ObjectEvent): void => {
    const m = meta(ev.object);
    const uid = m.uid;
    if (typeof uid !== 'string') return;
    const before = this.nodes.get(uid);
    if (ev.type === 'DELETED') {
      this.nodes.delete(uid);
      for (const r of before?.owners ?? ownerReferences(ev.object)) {
        this.unlink(r.uid, uid);
        this.queue.add(r.uid); // a foreground owner may be waiting for this one
      }
      for (const d of this.dependents.get(uid) ?? []) this.queue.add(d);
      return;
    }
    const node: Node = {
      resource: ev.resource, namespace: m.namespace, name: m.name ?? '',
      owners: ownerReferences(ev.object), finalizers: finalizersOf(ev.object), deleting: m.deletionTimestamp !== undefined,
    };
    this.nodes.set(uid, node);
    const ownersChanged = !sameOwners(before?.owners ?? [], node.owners);
    for (const r of before?.owners ?? []) {
      if (!node.owners.some((o) => o.uid === r.uid)) this.unlink(r.uid, uid);
      if (ownersChanged) this.queue.add(r.uid); // a foreground owner this one no longer blocks
    }
    for (const r of node.owners) {
      let set = this.dependents.get(r.uid);
      if (!set) this.dependents.set(r.uid, set = new Set());
      set.add(uid);
    }
    if (node.owners.length > 0 && (ev.initial || ev.type === 'ADDED' || ownersChanged)) this.queue.add(uid);
    if (node.deleting && (node.finalizers.includes(ORPHAN_FINALIZER) || node.finalizers.includes(FOREGROUND_FINALIZER))) {
      this.queue.add(uid);
      if (!before?.deleting && node.finalizers.includes(FOREGROUND_FINALIZER)) for (const d of this.dependents.get(uid) ?? []) this.queue.add(d);
    }
  };

  private unlink(owner: string, dependent: string): void {
    const set = this.dependents.get(owner);
    set?.delete(dependent);
    if (set?.size === 0) this.dependents.delete(owner);
  }

  async stop(): Promise<void> {
    await this.queue.stop();
  }

  private async process(uid: string): Promise<void> {
    const node = this.nodes.get(uid);
    if (!node) return;
    if (node.deleting && node.finalizers.includes(ORPHAN_FINALIZER)) return this.orphanDependents(uid, node);
    if (node.deleting && node.finalizers.includes(FOREGROUND_FINALIZER)) {
      const deps = [...this.dependents.get(uid) ?? []];
      const blocking = deps.filter((d) => this.nodes.get(d)?.owners.some((r) => r.uid === uid && r.blockOwnerDeletion === true));
      if (blocking.length === 0) {
        await this.removeFinalizer(node, uid, FOREGROUND_FINALIZER);
        return;
      }
      for (const d of deps) this.queue.add(d);
    }
    if (!node.deleting && node.owners.length > 0) await this.attemptToDelete(uid, node);
  }

  /** attemptToDeleteItem: delete a dependent none of whose owners still holds it. */
  private async attemptToDelete(uid: string, node: Node): Promise<void> {
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const r of node.owners) {
      const state = await this.ownerState(node, r);
      if (state === 'absent') dangling.push(r);
      else if (state === 'waiting') waiting.push(r);
      else solid.push(r);
    }
    if (solid.length > 0) {
      if (dangling.length === 0 && !waiting.some((r) => r.blockOwnerDeletion === true)) return;
      // Still owned: drop the references to gone owners, and stop blocking foreground owners.
      const gone = new Set(dangling.map((r) => r.uid));
      const unblock = new Set(waiting.map((r) => r.uid));
      await this.ignoreNotFound(this.rest.mutate(node.resource, node.namespace, node.name, (o) => {
        if (meta(o).uid !== uid) throw new ApiError(409, 'Conflict', 'the object was replaced');
        const refs = Array.isArray(meta(o).ownerReferences) ? (meta(o).ownerReferences as Obj[]) : [];
        meta(o).ownerReferences = refs.filter((r) => !gone.has(r.uid as string))
          .map((r) => (unblock.has(r.uid as string) ? { ...r, blockOwnerDeletion: false } : r));
        return o;
      }));
      return;
    }
    let policy: PropagationPolicy = 'Background';
    if (waiting.length > 0 && (this.dependents.get(uid)?.size ?? 0) > 0) policy = 'Foreground';
    else if (node.finalizers.includes(ORPHAN_FINALIZER)) policy = 'Orphan';
    else if (node.finalizers.includes(FOREGROUND_FINALIZER)) policy = 'Foreground';
    this.log(`garbage collector: deleting ${apiVersionOf(node.resource)}/${node.resource.kind} ${node.namespace ?? ''}/${node.name} (${policy})`);
    await this.ignoreNotFound(this.rest.delete(node.resource, node.namespace, node.name, { propagationPolicy: policy, preconditions: { uid }, dryRun: false }));
  }

  /** solid, absent (gone, or another object of that name) or waiting (being deleted in the foreground). */
  private async ownerState(dependent: Node, r: OwnerReference): Promise<'solid' | 'absent' | 'waiting'> {
    const known = this.nodes.get(r.uid);
    if (known) return known.deleting && known.finalizers.includes(FOREGROUND_FINALIZER) ? 'waiting' : 'solid';
    const t = this.byKind.get(`${r.apiVersion}/${r.kind}`) ?? [...this.byKind.values()].find((x) => x.kind === r.kind && r.apiVersion.split('/')[0] === (x.group || r.apiVersion.split('/')[0]));
    if (!t) return 'solid'; // a kind this server does not serve: never collect on a guess
    if (t.namespaced && dependent.namespace === undefined) return 'absent';
    try {
      const live = await this.rest.get(t, t.namespaced ? dependent.namespace : undefined, r.name);
      if (meta(live).uid !== r.uid) return 'absent';
      return meta(live).deletionTimestamp !== undefined && finalizersOf(live).includes(FOREGROUND_FINALIZER) ? 'waiting' : 'solid';
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'NotFound') return 'absent';
      throw err;
    }
  }

  /** The orphan finalizer: every dependent loses its reference to the owner, then the owner its finalizer. */
  private async orphanDependents(uid: string, node: Node): Promise<void> {
    for (const d of [...this.dependents.get(uid) ?? []]) {
      const dep = this.nodes.get(d);
      if (!dep) continue;
      await this.ignoreNotFound(this.rest.mutate(dep.resource, dep.namespace, dep.name, (o) => {
        const refs = Array.isArray(meta(o).ownerReferences) ? (meta(o).ownerReferences as Obj[]) : [];
        const kept = refs.filter((r) => r.uid !== uid);
        if (kept.length > 0) meta(o).ownerReferences = kept;
        else delete meta(o).ownerReferences;
        return o;
      }));
    }
    await this.removeFinalizer(node, uid, ORPHAN_FINALIZER);
  }

  private async removeFinalizer(node: Node, uid: string, finalizer: string): Promise<void> {
    await this.ignoreNotFound(this.rest.mutate(node.resource, node.namespace, node.name, (o) => {
      if (meta(o).uid !== uid) return o;
      const kept = finalizersOf(o).filter((f) => f !== finalizer);
      if (kept.length > 0) meta(o).finalizers = kept;
      else delete meta(o).finalizers;
      return o;
    }));
  }

  private async ignoreNotFound(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
    }
  }
}

function sameOwners(a: readonly OwnerReference[], b: readonly OwnerReference[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
