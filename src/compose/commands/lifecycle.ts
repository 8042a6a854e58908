/**
 * start, stop, restart, kill, pause and unpause of a project's containers: in dependency order
 * where it matters (start: dependencies first; stop: dependents first), a progress line each.
 */
import type { ComposeCommand, ComposeCtx } from '../cli/context.js';
import type { Parsed } from '../../cli/flags.js';
import type { ContainerSummary } from '../engine/api.js';
import { nameOf, stopTimeout } from '../engine/convergence.js';
import { inDependencyOrder } from '../engine/graph.js';
import { LABEL } from '../engine/labels.js';
import { startServices } from '../engine/start.js';
import { api, checkServices, eachContainer, projectContainers, selectServices, withProgress } from './common.js';

const timeoutFlag = { name: 'timeout', short: 't', kind: 'int' as const, help: 'Specify a shutdown timeout in seconds' };

function byService(list: ContainerSummary[]): Map<string, ContainerSummary[]> {
  const m = new Map<string, ContainerSummary[]>();
  for (const c of list) {
    const s = c.Labels[LABEL.service] ?? '';
    m.set(s, [...(m.get(s) ?? []), c]);
  }
  return m;
}

/** Stops the services' containers, dependents first. */
async function stop(c: ComposeCtx, p: Parsed): Promise<number> {
  checkServices(c, p.args);
  const a = api(c);
  const project = c.tryProject();
  const list = (await projectContainers(a, c.projectName(), { all: false, services: p.args, oneoff: true }));
  const groups = byService(list);
  const timeout = p.has('timeout') ? p.num('timeout') : undefined;
  await withProgress(c, async (progress) => {
    const one = async (svc: string): Promise<void> => {
      await Promise.all((groups.get(svc) ?? []).map(async (ct) => {
        const ev = `Container ${nameOf(ct)}`;
        progress.event(ev, 'working', 'Stopping');
        await a.stop(ct.Id, stopTimeout(project?.services[svc], timeout));
        progress.event(ev, 'done', 'Stopped');
      }));
    };
    const known = project ? Object.fromEntries(Object.entries(project.services).filter(([n]) => groups.has(n))) : {};
    await Promise.all([inDependencyOrder(known, one, true), ...[...groups.keys()].filter((s) => !known[s]).map(one)]);
  });
  return 0;
}

/** Starts the services' existing containers, waiting on depends_on as up does. */
async function start(c: ComposeCtx, p: Parsed): Promise<number> {
  const a = api(c);
  const name = c.projectName();
  const list = await projectContainers(a, name, { services: p.args });
  const project = c.tryProject();
  await withProgress(c, async (progress) => {
    if (!project) {
      await Promise.all(list.filter((ct) => ct.State !== 'running').map(async (ct) => {
        progress.event(`Container ${nameOf(ct)}`, 'working', 'Starting');
        await a.start(ct.Id);
        progress.event(`Container ${nameOf(ct)}`, 'done', 'Started');
      }));
      return;
    }
    const selected = selectServices(project, p.args, false);
    const state = byService(list);
    await startServices(a, selected, state, progress, (m) => c.warn(m));
  });
  return 0;
}

const services = '[SERVICE...]';

export const stopCommand: ComposeCommand = {
  spec: { name: 'compose stop', usage: `[OPTIONS] ${services}`, description: 'Stop services', flags: [timeoutFlag] },
  run: stop,
};

export const startCommand: ComposeCommand = {
  spec: { name: 'compose start', usage: services, description: 'Start services', flags: [{ name: 'wait', kind: 'bool', help: 'Wait for services to be running|healthy. Implies detached mode.', hidden: true }] },
  run: start,
};

export const restartCommand: ComposeCommand = {
  spec: { name: 'compose restart', usage: `[OPTIONS] ${services}`, description: 'Restart service containers', flags: [timeoutFlag, { name: 'no-deps', kind: 'bool', help: "Don't restart dependent services" }] },
  run: (c, p) => eachContainer(c, withRestartingDependents(c, p.args, p.bool('no-deps')), { all: true }, 'Restarting', 'Started', (a, ct) => a.restart(ct.Id, p.has('timeout') ? p.num('timeout') : undefined)),
};

/** The services named and, as compose restarts them too, those depending on one with `restart: true`. */
function withRestartingDependents(c: ComposeCtx, names: string[], noDeps: boolean): string[] {
  const project = c.tryProject();
  if (!names.length || noDeps || !project) return names;
  const out = new Set(names);
  for (let grew = true; grew;) {
    grew = false;
    for (const s of Object.values(project.services)) {
      if (out.has(s.name)) continue;
      if (Object.entries(s.depends_on ?? {}).some(([d, cfg]) => cfg.restart && out.has(d))) {
        out.add(s.name);
        grew = true;
      }
    }
  }
  return [...out];
}

export const killCommand: ComposeCommand = {
  spec: {
    name: 'compose kill',
    usage: `[OPTIONS] ${services}`,
    description: 'Force stop service containers',
    flags: [
      { name: 'signal', short: 's', kind: 'string', default: 'SIGKILL', help: 'SIGNAL to send to the container' },
      { name: 'remove-orphans', kind: 'bool', help: 'Remove containers for services not defined in the Compose file' },
    ],
  },
  run: (c, p) => eachContainer(c, p.args, { all: false }, 'Killing', 'Killed', (a, ct) => a.kill(ct.Id, p.str('signal'))),
};

export const pauseCommand: ComposeCommand = {
  spec: { name: 'compose pause', usage: services, description: 'Pause services', flags: [] },
  run: (c, p) => eachContainer(c, p.args, { all: false }, 'Pausing', 'Paused', (a, ct) => a.pause(ct.Id)),
};

export const unpauseCommand: ComposeCommand = {
  spec: { name: 'compose unpause', usage: services, description: 'Unpause services', flags: [] },
  run: (c, p) => eachContainer(c, p.args, { all: false }, 'Unpausing', 'Unpaused', (a, ct) => a.unpause(ct.Id)),
};
