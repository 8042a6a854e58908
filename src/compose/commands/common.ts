/** What several compose commands share: the services asked for, the project's containers, progress. */
import { StatusError } from '../../cli/flags.js';
import type { ComposeCtx } from '../cli/context.js';
import type { Project, Service } from '../model.js';
import { ComposeApi, type ContainerSummary } from '../engine/api.js';
import { LABEL, projectFilter } from '../engine/labels.js';
import { newProgress, type Progress } from '../progress.js';
import { nameOf, numberOf } from '../engine/convergence.js';

/** The project with only the services named (and, unless noDeps, what they depend on). */
export function selectServices(p: Project, names: string[], withDeps = true): Project {
  if (!names.length) return p;
  const keep = new Set<string>();
  const add = (n: string): void => {
    if (keep.has(n)) return;
    if (!p.services[n]) throw new StatusError(`no such service: ${n}`, 1);
    keep.add(n);
    if (withDeps) for (const d of Object.keys(p.services[n]!.depends_on ?? {})) if (p.services[d]) add(d);
  };
  names.forEach(add);
  const services: Record<string, Service> = {};
  for (const [n, s] of Object.entries(p.services)) {
    if (!keep.has(n)) continue;
    // a dependency left out (--no-deps) is not waited for
    services[n] = withDeps ? s : { ...s, depends_on: Object.fromEntries(Object.entries(s.depends_on ?? {}).filter(([d]) => keep.has(d))) };
  }
  return { ...p, services };
}

export function api(c: ComposeCtx): ComposeApi {
  return new ComposeApi(c.client());
}

export interface ContainerQuery {
  /** stopped ones too */
  all?: boolean;
  /** `run` containers too */
  oneoff?: boolean;
  services?: string[];
}

/** The project's containers, sorted by service and number as compose lists them. */
export async function projectContainers(a: ComposeApi, project: string, q: ContainerQuery = {}): Promise<ContainerSummary[]> {
  const more = q.oneoff ? [] : [`${LABEL.oneoff}=False`];
  let list = await a.containers(projectFilter(project, more), q.all !== false);
  if (q.services?.length) list = list.filter((c) => q.services!.includes(c.Labels[LABEL.service] ?? ''));
  return list.sort((x, y) => (x.Labels[LABEL.service] ?? '').localeCompare(y.Labels[LABEL.service] ?? '') || numberOf(x) - numberOf(y) || nameOf(x).localeCompare(nameOf(y)));
}

/** Checks the services named exist in the project (when there is a file). */
export function checkServices(c: ComposeCtx, names: string[]): void {
  if (!names.length) return;
  const p = c.tryProject();
  if (!p) return;
  for (const n of names) if (!p.services[n] && !p.disabled[n]) throw new StatusError(`no such service: ${n}`, 1);
}

/** Runs work with a progress writer on stderr, stopped (and drawn a last time) however it ends. */
export async function withProgress<T>(c: ComposeCtx, work: (progress: Progress) => Promise<T>, title = 'Running'): Promise<T> {
  const progress = newProgress(c.err, c.g.progress, title, c.g.ansi);
  try {
    return await work(progress);
  } finally {
    progress.stop();
  }
}

/** A command applied to each container of the services named, in parallel, with progress lines. */
export async function eachContainer(c: ComposeCtx, services: string[], q: ContainerQuery, working: string, done: string, action: (a: ComposeApi, ct: ContainerSummary) => Promise<void>): Promise<number> {
  checkServices(c, services);
  const a = api(c);
  const containers = await projectContainers(a, c.projectName(), { ...q, services });
  await withProgress(c, async (progress) => {
    await Promise.all(containers.map(async (ct) => {
      const ev = `Container ${nameOf(ct)}`;
      progress.event(ev, 'working', working);
      try {
        await action(a, ct);
      } catch (e) {
        progress.event(ev, 'error', 'Error');
        throw e;
      }
      progress.event(ev, 'done', done);
    }));
  });
  return 0;
}

/** The one container of a service `exec`, `cp` and `port` act on (--index, default the first). */
export async function serviceContainer(c: ComposeCtx, service: string, index: number | undefined): Promise<ContainerSummary> {
  checkServices(c, [service]);
  const list = (await projectContainers(api(c), c.projectName(), { all: false, services: [service] }));
  const ct = index ? list.find((x) => numberOf(x) === index) : list[0];
  if (!ct) throw new StatusError(index ? `service "${service}" is not running container #${index}` : `service "${service}" is not running`, 1);
  return ct;
}
