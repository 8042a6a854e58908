/**
 * `compose down`: the project's containers stopped (dependents first, in parallel where the
 * graph allows, each with its stop_grace_period or -t) and removed, then its networks; with -v
 * its named and anonymous volumes, with --rmi its images. Works from -p alone when the files are
 * gone, from the labels.
 */
import { StatusError } from '../../cli/flags.js';
import type { ComposeCommand } from '../cli/context.js';
import type { ContainerSummary } from '../engine/api.js';
import { nameOf, stopAndRemove, stopTimeout } from '../engine/convergence.js';
import { inDependencyOrder } from '../engine/graph.js';
import { LABEL } from '../engine/labels.js';
import { imageName } from '../engine/names.js';
import { removeNetworks, removeVolumes } from '../engine/resources.js';
import { orphans } from '../engine/up.js';
import { api, projectContainers, withProgress } from './common.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose down',
    usage: '[OPTIONS] [SERVICES]',
    description: 'Stop and remove containers, networks',
    flags: [
      { name: 'volumes', short: 'v', kind: 'bool', help: 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers' },
      { name: 'rmi', kind: 'string', help: 'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")' },
      { name: 'remove-orphans', kind: 'bool', help: 'Remove containers for services not defined in the Compose file' },
      { name: 'timeout', short: 't', kind: 'int', help: 'Specify a shutdown timeout in seconds' },
    ],
  },
  async run(c, p) {
    const rmi = p.str('rmi');
    if (rmi && rmi !== 'local' && rmi !== 'all') throw new StatusError(`invalid value for --rmi: ${rmi}`, 1);
    const a = api(c);
    const project = c.tryProject();
    const name = c.projectName();
    const timeout = p.has('timeout') ? p.num('timeout') : undefined;
    const all = await projectContainers(a, name, { oneoff: true });
    const named = p.args;
    let targets = named.length ? all.filter((ct) => named.includes(ct.Labels[LABEL.service] ?? '')) : all;
    const lost = project ? orphans(project, targets) : [];
    if (project && lost.length && !p.bool('remove-orphans')) {
      targets = targets.filter((ct) => !lost.includes(ct));
      c.warn(`Found orphan containers ([${lost.map(nameOf).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`);
    }
    const volumes = p.bool('volumes');
    await withProgress(c, async (progress) => {
      const byService = new Map<string, ContainerSummary[]>();
      for (const ct of targets) {
        const svc = ct.Labels[LABEL.service] ?? '';
        byService.set(svc, [...(byService.get(svc) ?? []), ct]);
      }
      const remove = (svc: string): Promise<void> =>
        Promise.all((byService.get(svc) ?? []).map((ct) => stopAndRemove(a, ct, stopTimeout(project?.services[svc], timeout), progress, volumes))).then(() => undefined);
      if (project) {
        // dependents first; services the files no longer have (orphans) alongside
        const known = Object.fromEntries(Object.entries(project.services).filter(([n]) => byService.has(n)));
        await Promise.all([inDependencyOrder(known, remove, true), ...[...byService.keys()].filter((s) => !known[s]).map(remove)]);
      } else await Promise.all([...byService.keys()].map(remove));
      if (named.length) return;
      await removeNetworks(a, name, project ? Object.values(project.networks).filter((n) => !n.external).map((n) => n.name) : [], progress);
      if (volumes) await removeVolumes(a, name, progress);
      if (rmi) {
        const images = new Set<string>();
        if (project) {
          for (const s of Object.values(project.services)) if (rmi === 'all' || !s.image) images.add(imageName(project.name, s));
        } else for (const ct of all) if (rmi === 'all' || ct.Image.startsWith(`${name}-`)) images.add(ct.Image);
        await Promise.all([...images].map(async (img) => {
          const ev = `Image ${img}`;
          progress.event(ev, 'working', 'Removing');
          try {
            await a.removeImage(img);
            progress.event(ev, 'done', 'Removed');
          } catch {
            progress.event(ev, 'warning', 'Resource is still in use');
          }
        }));
      }
    });
    return 0;
  },
};
