/**
 * The service-account controller and the root-CA publisher of kube-controller-manager, in the
 * server's process: every namespace gets a `default` ServiceAccount and the `kube-root-ca.crt`
 * ConfigMap (the CA that pods verify the API server with), made again when deleted and put back
 * when changed. Watches only enqueue a namespace; one worker reconciles namespaces in turn,
 * requeueing a failure with a growing delay.
 */
import type { RestStorage } from '../../apiserver/rest.js';
import { isObj, meta, type Obj } from '../../apiserver/object.js';
import { ApiError } from '../../apiserver/status.js';
import type { ResourceTable, ResourceType } from '../../types/resources.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface ServiceAccountsControllerOptions {
  readonly rest: RestStorage;
  readonly types: ResourceTable;
  /** The PEM the ConfigMap carries as ca.crt. */
  readonly caCert: string;
  readonly log: (message: string) => void;
}

export class ServiceAccountsController {
  private readonly abort = new AbortController();
  private readonly queue = new Set<string>();
  private wake: (() => void) | undefined;
  private readonly done: Promise<void>;
  private readonly ns: ResourceType;
  private readonly sa: ResourceType;
  private readonly cm: ResourceType;

  constructor(private readonly o: ServiceAccountsControllerOptions) {
    const find = (resource: string): ResourceType => {
      const t = o.types.find('', 'v1', resource);
      if (!t) throw new Error(`no ${resource} type`);
      return t;
    };
    [this.ns, this.sa, this.cm] = [find('namespaces'), find('serviceaccounts'), find('configmaps')];
    const watches = [
      this.watch(this.ns, null, (ev, o) => ev !== 'DELETED' && this.enqueue(meta(o).name)),
      this.watch(this.sa, 'metadata.name=default', (ev, o) => ev === 'DELETED' && this.enqueue(meta(o).namespace)),
      this.watch(this.cm, `metadata.name=${ROOT_CA_CONFIGMAP}`, (ev, o) => (ev === 'DELETED' || !this.caUpToDate(o)) && this.enqueue(meta(o).namespace)),
    ];
    this.done = Promise.all([...watches, this.work()]).then(() => undefined);
  }

  async close(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.done;
  }

  private enqueue(namespace: string | undefined): void {
    if (namespace === undefined || namespace === '') return;
    this.queue.add(namespace);
    this.wake?.();
  }

  /** Follows one type's watch until closed, resuming after errors. */
  private async watch(t: ResourceType, fieldSelector: string | null, handle: (type: string, o: Obj) => unknown): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        for await (const ev of this.o.rest.watch(t, undefined, { labelSelector: null, fieldSelector }, signal, { allow: false, everyMs: 60_000 })) {
          failures = 0;
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') handle(ev.type, ev.object);
        }
      } catch (err) {
        if (signal.aborted) return;
        this.o.log(`serviceaccounts controller: watch ${t.resource}: ${String(err)}`);
      }
      failures++;
      await this.delay(Math.min(100 * 2 ** failures, 5000));
    }
  }

  private async work(): Promise<void> {
    const retries = new Map<string, number>();
    while (!this.abort.signal.aborted) {
      const next = this.queue.values().next();
      if (next.done) {
        await new Promise<void>((resolve) => { this.wake = resolve; });
        this.wake = undefined;
        continue;
      }
      const namespace = next.value;
      this.queue.delete(namespace);
      try {
        await this.sync(namespace);
        retries.delete(namespace);
      } catch (err) {
        if (this.abort.signal.aborted) return;
        const n = (retries.get(namespace) ?? 0) + 1;
        retries.set(namespace, n);
        this.o.log(`serviceaccounts controller: namespace ${namespace}: ${String(err)}`);
        const timer = setTimeout(() => this.enqueue(namespace), Math.min(50 * 2 ** n, 10_000));
        timer.unref();
      }
    }
  }

  private async sync(namespace: string): Promise<void> {
    const ns = await this.getOrUndefined(this.ns, undefined, namespace);
    if (!ns || !this.active(ns)) return;
    let made = false;
    if (!(await this.getOrUndefined(this.sa, namespace, 'default'))) made = await this.create(this.sa, namespace, { metadata: { name: 'default' } }) || made;
    const cm = await this.getOrUndefined(this.cm, namespace, ROOT_CA_CONFIGMAP);
    if (!cm) {
      made = await this.create(this.cm, namespace, { metadata: { name: ROOT_CA_CONFIGMAP, annotations: { 'kubernetes.io/description': DESCRIPTION } }, data: { 'ca.crt': this.o.caCert } }) || made;
    } else if (!this.caUpToDate(cm)) {
      await this.o.rest.update(this.cm, namespace, ROOT_CA_CONFIGMAP, { ...cm, data: { ...(isObj(cm.data) ? cm.data : {}), 'ca.crt': this.o.caCert } }, false);
    }
    // A namespace deleted meanwhile (its contents go first): take back what was just made.
    if (made && !(await this.getOrUndefined(this.ns, undefined, namespace))) {
      for (const [t, name] of [[this.sa, 'default'], [this.cm, ROOT_CA_CONFIGMAP]] as const) {
        await this.o.rest.delete(t, namespace, name, { dryRun: false }).catch(() => undefined);
      }
    }
  }

  private active(ns: Obj): boolean {
    const phase = isObj(ns.status) ? ns.status.phase : undefined;
    return meta(ns).deletionTimestamp === undefined && phase !== 'Terminating';
  }

  private caUpToDate(cm: Obj): boolean {
    return isObj(cm.data) && cm.data['ca.crt'] === this.o.caCert;
  }

  private async create(t: ResourceType, namespace: string, body: Obj): Promise<boolean> {
    try {
      await this.o.rest.create(t, namespace, body, false);
      return true;
    } catch (err) {
      if (err instanceof ApiError && (err.reason === 'AlreadyExists' || err.reason === 'NotFound')) return false;
      throw err;
    }
  }

  private async getOrUndefined(t: ResourceType, namespace: string | undefined, name: string): Promise<Obj | undefined> {
    try {
      return await this.o.rest.get(t, namespace, name);
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'NotFound') return undefined;
      throw err;
    }
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.abort.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }
}
