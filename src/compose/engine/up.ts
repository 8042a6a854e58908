/**
 * `create` and `up` without the terminal: images, networks, volumes, orphans, then the
 * containers converged; `up` then starts them in dependency order.
 */
import type { Writable } from 'node:stream';
import type { Project } from '../model.js';
import type { ComposeApi, ContainerSummary } from './api.js';
import { Convergence, nameOf, stopAndRemove, type ConvergeOptions, type RecreatePolicy } from './convergence.js';
import { ensureImages, type EnsureOptions } from './images.js';
import { LABEL, projectFilter } from './labels.js';
import { ensureNetworks, ensureVolumes } from './resources.js';
import { startService } from './start.js';
import type { Progress } from '../progress.js';

export interface CreateOptions {
  build: EnsureOptions['build'];
  pull?: string;
  recreate: RecreatePolicy;
  recreateDependencies: RecreatePolicy;
  removeOrphans: boolean;
  named: string[];
  scale: Map<string, number>;
  timeout?: number;
  buildOut: Writable;
  /** start the containers too (up), each service once its dependencies are started */
  start?: boolean;
}

/** Containers of the project whose service the files no longer have. */
export function orphans(full: Project, observed: ContainerSummary[]): ContainerSummary[] {
  return observed.filter((c) => c.Labels[LABEL.oneoff] !== 'True' && !full.services[c.Labels[LABEL.service] ?? ''] && !full.disabled[c.Labels[LABEL.service] ?? '']);
}

/**
 * Creates (or converges) the selected services' containers; `full` is the whole project (for
 * orphans). Returns the containers by service.
 */
export async function createProject(api: ComposeApi, full: Project, selected: Project, o: CreateOptions, progress: Progress, warn: (m: string) => void): Promise<Map<string, ContainerSummary[]>> {
  const [imageIds, observed] = await Promise.all([
    ensureImages(api, selected, Object.values(selected.services), { build: o.build, pull: o.pull, buildOut: o.buildOut }, progress),
    api.containers(projectFilter(full.name)),
  ]);
  const lost = orphans(full, observed);
  if (lost.length) {
    if (o.removeOrphans) await Promise.all(lost.map((c) => stopAndRemove(api, c, o.timeout, progress)));
    else warn(`Found orphan containers ([${lost.map(nameOf).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`);
  }
  await Promise.all([ensureNetworks(api, selected, progress, warn), ensureVolumes(api, selected, progress, warn)]);
  const conv = new Convergence(api, selected, observed, progress);
  const opts: ConvergeOptions = { recreate: o.recreate, recreateDependencies: o.recreateDependencies, named: o.named, scale: o.scale, timeout: o.timeout, imageIds };
  await conv.apply(opts, o.start ? (n) => startService(api, selected, n, conv.state, progress, warn) : undefined);
  return conv.state;
}
