/**
 * Bringing a project's containers to what the files say, service by service in dependency
 * order (compose v2's convergence): a container whose configuration hash or image changed is
 * recreated (made under a temporary name, the old one stopped and removed, the new one renamed),
 * and the services depending on a recreated one are recreated too; missing replicas are created,
 * extra ones removed; the rest is left as it is.
 */
import tar from 'tar-stream';
import type { Project, Service } from '../model.js';
import type { ComposeApi, ContainerSummary } from './api.js';
import { containerName } from './names.js';
import { createRequest, fileTarget, serviceHash, type ContainerOptions } from './container-config.js';
import { LABEL } from './labels.js';
import type { Progress } from '../progress.js';
import { durationMs } from '../normalize/values.js';

export type RecreatePolicy = 'diverged' | 'force' | 'never';

export interface ConvergeOptions {
  /** the policy for the services named on the command line (all when none are) */
  recreate: RecreatePolicy;
  /** the policy for the others (dependencies pulled in) */
  recreateDependencies: RecreatePolicy;
  named: string[];
  scale: Map<string, number>;
  /** -t: seconds to wait for a stop before a kill */
  timeout?: number;
  imageIds: Map<string, string>;
}

/** A container's name without its leading slash. */
export function nameOf(c: { Names?: string[]; Name?: string; Id: string }): string {
  const n = c.Names?.find((x) => x.lastIndexOf('/') === 0) ?? c.Names?.[0] ?? c.Name;
  return n ? n.replace(/^\//, '') : c.Id.slice(0, 12);
}

export function numberOf(c: ContainerSummary): number {
  const n = Number(c.Labels[LABEL.number]);
  return Number.isInteger(n) ? n : 0;
}

/** The scale a service runs at: --scale, else scale, else deploy.replicas, else 1. */
export function scaleOf(s: Service, scale: Map<string, number>): number {
  return scale.get(s.name) ?? s.scale ?? s.deploy?.replicas ?? 1;
}

/** Seconds a service's containers get to stop: -t, else stop_grace_period, else the engine's default. */
export function stopTimeout(s: Service | undefined, timeout: number | undefined): number | undefined {
  if (timeout !== undefined) return timeout;
  const ms = durationMs(s?.stop_grace_period);
  return ms === undefined ? undefined : Math.round(ms / 1000);
}

/** Stops one container if it runs, with its progress lines. */
export async function stopContainer(api: ComposeApi, c: ContainerSummary, timeout: number | undefined, progress: Progress): Promise<void> {
  if (c.State !== 'running' && c.State !== 'paused' && c.State !== 'restarting') return;
  const ev = `Container ${nameOf(c)}`;
  progress.event(ev, 'working', 'Stopping');
  await api.stop(c.Id, timeout);
  progress.event(ev, 'done', 'Stopped');
}

/** Removes one (stopped) container, with its progress lines. */
export async function removeContainer(api: ComposeApi, c: ContainerSummary, progress: Progress, volumes = false): Promise<void> {
  const ev = `Container ${nameOf(c)}`;
  progress.event(ev, 'working', 'Removing');
  await api.remove(c.Id, { force: true, volumes });
  progress.event(ev, 'done', 'Removed');
}

/** Stops and removes one container, with its progress lines. */
export async function stopAndRemove(api: ComposeApi, c: ContainerSummary, timeout: number | undefined, progress: Progress, volumes = false): Promise<void> {
  await stopContainer(api, c, timeout, progress);
  await removeContainer(api, c, progress, volumes);
}

/** Inline configs and secrets (content, environment) copied into a container before it starts. */
async function injectFiles(api: ComposeApi, p: Project, s: Service, id: string): Promise<void> {
  for (const kind of ['secrets', 'configs'] as const) {
    for (const r of s[kind] ?? []) {
      const def = p[kind][r.source];
      if (!def || def.file) continue;
      let content: string;
      if (def.content !== undefined) content = def.content;
      else if (def.environment !== undefined) {
        const v = p.environment[def.environment];
        if (v === undefined) throw new Error(`environment variable ${JSON.stringify(def.environment)} required by file ${JSON.stringify(r.source)} is not set`);
        content = v;
      } else continue;
      const target = fileTarget(kind, r.source, r.target);
      const pack = tar.pack();
      pack.entry({ name: target.replace(/^\//, ''), mode: r.mode ?? 0o444, uid: Number(r.uid ?? 0), gid: Number(r.gid ?? 0), mtime: new Date(0) }, content);
      pack.finalize();
      const chunks: Buffer[] = [];
      for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
      await api.putArchive(id, '/', Buffer.concat(chunks));
    }
  }
}

export class Convergence {
  /** the containers of each service once converged (the first is the one others refer to) */
  readonly state = new Map<string, ContainerSummary[]>();
  private readonly forced = new Set<string>();

  constructor(
    private readonly api: ComposeApi,
    private readonly p: Project,
    observed: ContainerSummary[],
    private readonly progress: Progress,
  ) {
    for (const name of Object.keys(p.services)) this.state.set(name, []);
    for (const c of observed) {
      if (c.Labels[LABEL.oneoff] === 'True') continue;
      const svc = c.Labels[LABEL.service];
      if (svc && this.state.has(svc)) this.state.get(svc)!.push(c);
    }
  }

  private resolve = (service: string): string | undefined => this.state.get(service)?.[0]?.Id;

  /** Whether a container must be recreated (its service's hash or image changed, or forced). */
  private mustRecreate(s: Service, c: ContainerSummary, policy: RecreatePolicy, o: ConvergeOptions): boolean {
    if (policy === 'never') return false;
    if (policy === 'force' || this.forced.has(s.name)) return true;
    return c.Labels[LABEL.configHash] !== serviceHash(s) || (o.imageIds.has(s.name) && c.Labels[LABEL.image] !== o.imageIds.get(s.name));
  }

  /**
   * Decides, before anything is done, what recreates: walking the graph from the dependencies up,
   * a service with a container to recreate forces its dependents' recreate, as compose does.
   */
  plan(o: ConvergeOptions): void {
    const order: string[] = [];
    const seen = new Set<string>();
    const visit = (n: string): void => {
      if (seen.has(n)) return;
      seen.add(n);
      for (const d of Object.keys(this.p.services[n]?.depends_on ?? {})) if (this.p.services[d]) visit(d);
      order.push(n);
    };
    Object.keys(this.p.services).forEach(visit);
    for (const n of order) {
      const s = this.p.services[n]!;
      const policy = this.policyOf(n, o);
      const kept = [...(this.state.get(n) ?? [])].sort((a, b) => numberOf(a) - numberOf(b)).slice(0, scaleOf(s, o.scale));
      if (kept.some((c) => this.mustRecreate(s, c, policy, o))) {
        for (const other of Object.values(this.p.services)) if (other.depends_on?.[n]) this.forced.add(other.name);
      }
    }
  }

  private policyOf(name: string, o: ConvergeOptions): RecreatePolicy {
    return o.named.length === 0 || o.named.includes(name) ? o.recreate : o.recreateDependencies;
  }

  /** Creates one container; its summary as listing would show it. */
  async create(s: Service, number: number, o: ConvergeOptions, extra: Partial<ContainerOptions> = {}, tmpName?: string): Promise<ContainerSummary> {
    const name = containerName(this.p.name, s, number);
    const ev = `Container ${name}`;
    if (!tmpName) this.progress.event(ev, 'working', 'Creating');
    const body = createRequest(this.p, s, { number, name, imageId: o.imageIds.get(s.name), resolve: this.resolve, ...extra });
    let id: string;
    try {
      // an engine before API 1.44 takes one network at create: the others are connected after
      const endpoints = (body.NetworkingConfig as { EndpointsConfig: Record<string, unknown> }).EndpointsConfig;
      const later = this.api.multipleEndpoints ? [] : Object.entries(endpoints).filter(([n]) => n !== (body.HostConfig as { NetworkMode: string }).NetworkMode);
      for (const [n] of later) delete endpoints[n];
      const r = await this.api.create(tmpName ?? name, body);
      id = r.Id;
      for (const [n, ep] of later) await this.api.connect(n, id, ep);
      for (const w of r.Warnings ?? []) this.progress.tail(`WARN[0000] ${w}`);
      await injectFiles(this.api, this.p, s, id);
    } catch (e) {
      this.progress.event(ev, 'error', 'Error');
      throw e;
    }
    if (!tmpName) this.progress.event(ev, 'done', 'Created');
    return { Id: id, Names: [`/${tmpName ?? name}`], Image: String(body.Image), Created: Date.now() / 1000, State: 'created', Status: 'Created', Labels: (body.Labels ?? {}) as Record<string, string> };
  }

  private async recreate(s: Service, old: ContainerSummary, o: ConvergeOptions): Promise<ContainerSummary> {
    const ev = `Container ${nameOf(old)}`;
    this.progress.event(ev, 'working', 'Recreate');
    const number = numberOf(old);
    const name = containerName(this.p.name, s, number);
    const made = await this.create(s, number, o, { labels: { [LABEL.replace]: old.Id } }, `${old.Id.slice(0, 12)}_${name}`);
    try {
      await this.api.stop(old.Id, stopTimeout(s, o.timeout));
      await this.api.remove(old.Id, { force: true });
      await this.api.rename(made.Id, name);
    } catch (e) {
      this.progress.event(ev, 'error', 'Error');
      throw e;
    }
    this.progress.event(ev, 'done', 'Recreated');
    return { ...made, Names: [`/${name}`] };
  }

  /** Converges one service. */
  async ensure(s: Service, policy: RecreatePolicy, o: ConvergeOptions): Promise<void> {
    const expected = scaleOf(s, o.scale);
    const observed = this.state.get(s.name) ?? [];
    const obsolete = (c: ContainerSummary): boolean => this.mustRecreate(s, c, policy, o);
    const sorted = [...observed].sort((a, b) => Number(obsolete(b)) - Number(obsolete(a)) || numberOf(a) - numberOf(b));
    const kept: ContainerSummary[] = [];
    const work: Array<Promise<void>> = [];
    sorted.forEach((c, i) => {
      if (i >= expected) {
        work.push(stopAndRemove(this.api, c, stopTimeout(s, o.timeout), this.progress));
        return;
      }
      if (obsolete(c)) {
        work.push(this.recreate(s, c, o).then((made) => void kept.push(made)));
        return;
      }
      const ev = `Container ${nameOf(c)}`;
      if (c.State === 'running') this.progress.event(ev, 'done', 'Running');
      else if (c.State === 'exited') this.progress.event(ev, 'done', 'Created');
      kept.push(c);
    });
    let next = Math.max(0, ...observed.map(numberOf)) + 1;
    for (let i = sorted.length; i < expected; i++) {
      const number = next++;
      work.push(this.create(s, number, o).then((made) => void kept.push(made)));
    }
    const results = await Promise.allSettled(work);
    kept.sort((a, b) => numberOf(a) - numberOf(b));
    this.state.set(s.name, kept);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Converges the project's services, and starts them unless `start` is undefined: every service
   * is converged at once (after the ones it shares a namespace or volumes with), and started once
   * it is converged and its dependencies are started and meet their conditions.
   */
  async apply(o: ConvergeOptions, start?: (name: string) => Promise<void>): Promise<void> {
    this.plan(o);
    const converged = new Map<string, Promise<void>>();
    const started = new Map<string, Promise<void>>();
    const converge = (n: string): Promise<void> => {
      let pr = converged.get(n);
      if (!pr) {
        const s = this.p.services[n]!;
        pr = Promise.all(sharedWith(s).filter((d) => this.p.services[d]).map(converge)).then(() => this.ensure(s, this.policyOf(n, o), o));
        converged.set(n, pr);
      }
      return pr;
    };
    const launch = (n: string): Promise<void> => {
      let pr = started.get(n);
      if (!pr) {
        const deps = Object.keys(this.p.services[n]!.depends_on ?? {}).filter((d) => this.p.services[d]);
        pr = Promise.all([converge(n), ...deps.map(launch)]).then(() => start!(n));
        started.set(n, pr);
      }
      return pr;
    };
    const names = Object.keys(this.p.services);
    const all = names.map((n) => (start ? launch(n) : converge(n)));
    const results = await Promise.allSettled([...all, ...names.map(converge)]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/** The services a service's containers refer to by container: network_mode, ipc, pid, volumes_from. */
function sharedWith(s: Service): string[] {
  const out: string[] = [];
  for (const mode of [s.network_mode, s.ipc, s.pid]) if (typeof mode === 'string' && mode.startsWith('service:')) out.push(mode.slice('service:'.length));
  for (const v of s.volumes_from ?? []) if (!v.startsWith('container:')) out.push(v.split(':')[0]!);
  return out;
}
