/**
 * `compose down`: the project's containers stopped (dependents first, in parallel where the
 * graph allows, each with its stop_grace_period or -t) and removed, then its networks; with -v
 * its named and anonymous volumes, with --rmi its images. Works from -p alone when the files are
 * gone, from the labels.
 */
import { StatusError } from '../../cli/flags.js';
import type { ComposeCommand } from '../cli/context.js';
import type { ContainerSummary } from '../engine/api.js';
import { nameOf, removeContainer, stopContainer, stopTimeout } from '../engine/convergence.js';
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
      // each service stops once the services depending on it have stopped (their removal
      // goes on meanwhile); services the files no longer have (orphans) stop at once
      const stops = new Map<string, Promise<void>>();
      const dependents = (svc: string): string[] => (project ? Object.values(project.services).filter((s) => s.depends_on?.[svc] && byService.has(s.name)).map((s) => s.name) : []);
      const stopped = (svc: string): Promise<void> => {
        let pr = stops.get(svc);
        if (!pr) {
          pr = Promise.all(dependents(svc).map(stopped)).then(() => Promise.all((byService.get(svc) ?? []).map((ct) => stopContainer(a, ct, stopTimeout(project?.services[svc], timeout), progress)))).then(() => undefined);
          stops.set(svc, pr);
        }
        return pr;
      };
      const removals = [...byService.entries()].flatMap(([svc, list]) => list.map(async (ct) => {
        await stopped(svc);
        await removeContainer(a, ct, progress, volumes);
      }));
      const results = await Promise.allSettled(removals);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      if (named.length) return;
      await Promise.all([
        removeNetworks(a, name, project ? Object.values(project.networks).filter((n) => !n.external).map((n) => n.name) : [], progress),
        volumes ? removeVolumes(a, name, progress) : undefined,
      ]);
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
