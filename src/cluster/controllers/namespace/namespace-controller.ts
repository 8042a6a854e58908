/**
 * The namespace controller (kube-controller-manager's namespace deleter): a namespace with a
 * deletionTimestamp has every object in it deleted (in the background), and once nothing is left
 * its `kubernetes` finalizer is taken out of spec.finalizers, which lets the namespace go.
 * Driven by the watch of every object: a namespace being deleted, or a deletion inside one.
 */
import { NAMESPACE_FINALIZER } from '../../apiserver/delete.js';
import { isObj, meta, timestamp, type Obj } from '../../apiserver/object.js';
import type { RestStorage } from '../../apiserver/rest.js';
import { ApiError } from '../../apiserver/status.js';
import type { ResourceType } from '../../types/resources.js';
import type { ObjectEvent } from '../object-watch.js';
import { WorkQueue } from '../work-queue.js';

export class NamespaceController {
  private readonly terminating = new Set<string>();
  private readonly queue: WorkQueue;

  constructor(private readonly rest: RestStorage, private readonly namespaceType: ResourceType, private readonly log: (m: string) => void) {
    this.queue = new WorkQueue((ns) => this.sync(ns), (ns, err) => this.log(`namespace controller: ${ns}: ${String(err)}`));
  }

  readonly handle = (ev: ObjectEvent): void => {
    const m = meta(ev.object);
    if (ev.resource === this.namespaceType) {
      const name = m.name ?? '';
      if (ev.type !== 'DELETED' && m.deletionTimestamp !== undefined) {
        this.terminating.add(name);
        this.queue.add(name);
      } else this.terminating.delete(name);
      return;
    }
    if (ev.type !== 'ADDED' && m.namespace !== undefined && this.terminating.has(m.namespace)) this.queue.add(m.namespace);
  };

  async stop(): Promise<void> {
    await this.queue.stop();
  }

  private async sync(name: string): Promise<void> {
    let ns: Obj;
    try {
      ns = await this.rest.get(this.namespaceType, undefined, name);
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'NotFound') return;
      throw err;
    }
    if (meta(ns).deletionTimestamp === undefined) return;
    let remaining = 0;
    const left = new Map<string, number>();
    for (const t of this.rest.namespacedTypes) {
      const { items } = await this.rest.list(t, name, { labelSelector: null, fieldSelector: null });
      for (const o of items) {
        remaining++;
        const q = t.group === '' ? `${t.resource}.` : `${t.resource}.${t.group}`;
        left.set(q, (left.get(q) ?? 0) + 1);
        if (meta(o).deletionTimestamp !== undefined) continue;
        try {
          await this.rest.delete(t, name, meta(o).name ?? '', { propagationPolicy: 'Background', preconditions: { uid: meta(o).uid }, dryRun: false });
        } catch (err) {
          if (!(err instanceof ApiError && (err.reason === 'NotFound' || err.reason === 'Conflict'))) throw err;
        }
      }
    }
    if (remaining > 0) {
      await this.setConditions(name, left);
      return; // the deletions' events bring the namespace back here
    }
    await this.rest.mutate(this.namespaceType, undefined, name, (o) => {
      if (isObj(o.spec) && Array.isArray(o.spec.finalizers)) o.spec.finalizers = o.spec.finalizers.filter((f) => f !== NAMESPACE_FINALIZER);
      return o;
    }).catch(ignoreNotFound);
    await this.rest.delete(this.namespaceType, undefined, name, { dryRun: false }).catch(ignoreNotFound);
  }

  /** The NamespaceContentRemaining condition kubectl describe shows while objects are left. */
  private async setConditions(name: string, left: ReadonlyMap<string, number>): Promise<void> {
    const message = `Some resources are remaining: ${[...left].map(([r, n]) => `${r} has ${n} resource instances`).join(', ')}`;
    await this.rest.mutate(this.namespaceType, undefined, name, (o) => {
      const status = isObj(o.status) ? o.status : (o.status = {});
      const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter((c) => !(isObj(c) && c.type === 'NamespaceContentRemaining'));
      const old = Array.isArray(status.conditions) ? status.conditions.find((c) => isObj(c) && c.type === 'NamespaceContentRemaining') : undefined;
      const same = isObj(old) && old.message === message;
      conditions.push({
        type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message,
        lastTransitionTime: same && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : timestamp(),
      });
      status.conditions = conditions;
      return o;
    }).catch(ignoreNotFound);
  }
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
}
