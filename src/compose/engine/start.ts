/**
 * Starting a project's containers in dependency order, each service once the conditions of its
 * depends_on hold (service_started: started before; service_healthy: healthy;
 * service_completed_successfully: exited 0), an optional dependency that fails only warned
 * about; and `--wait`: every service running, or healthy when it has a health check.
 */
import type { Project, Service } from '../model.js';
import type { ComposeApi, ContainerInspect, ContainerSummary } from './api.js';
import { inDependencyOrder } from './graph.js';
import { nameOf } from './convergence.js';
import type { Progress } from '../progress.js';

const POLL_MS = 200;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Check = 'healthy' | 'completed' | 'running_or_healthy';

/** Whether the containers meet the check yet (true), not yet (false), or never will (throws). */
async function meets(api: ComposeApi, containers: ContainerSummary[], check: Check): Promise<{ ok: boolean; code?: number }> {
  for (const c of containers) {
    const i: ContainerInspect = await api.inspect(c.Id);
    const name = i.Name.replace(/^\//, '');
    const status = i.State.Status;
    if (check === 'completed') {
      if (status !== 'exited' && status !== 'dead') return { ok: false };
      if (i.State.ExitCode !== 0) return { ok: true, code: i.State.ExitCode };
      continue;
    }
    if (status === 'exited' || status === 'dead') throw new Error(`container ${name} exited (${i.State.ExitCode})`);
    const health = i.State.Health?.Status;
    if (!health || !i.Config.Healthcheck?.Test || i.Config.Healthcheck.Test[0] === 'NONE') {
      if (check === 'running_or_healthy') {
        if (status !== 'running') return { ok: false };
        continue;
      }
      throw new Error(`container ${name} has no healthcheck configured`);
    }
    if (health === 'unhealthy') throw new Error(`container ${name} is unhealthy`);
    if (health !== 'healthy') return { ok: false };
  }
  return { ok: true };
}

/** Waits for one service's containers to meet a check, with the deadline given (ms). */
export async function waitFor(api: ComposeApi, containers: ContainerSummary[], check: Check, deadline?: number): Promise<{ code?: number }> {
  for (;;) {
    const r = await meets(api, containers, check);
    if (r.ok) return r;
    if (deadline !== undefined && Date.now() > deadline) throw new Error('timeout');
    await sleep(POLL_MS);
  }
}

async function waitDependencies(api: ComposeApi, p: Project, s: Service, state: Map<string, ContainerSummary[]>, progress: Progress, warn: (m: string) => void): Promise<void> {
  await Promise.all(Object.entries(s.depends_on ?? {}).map(async ([dep, cfg]) => {
    if (cfg.condition === 'service_started' || !p.services[dep]) return;
    const containers = state.get(dep) ?? [];
    const d = p.services[dep]!;
    // a dependency scaled to 0 is not waited for
    if (!containers.length && (d.scale === 0 || d.deploy?.replicas === 0)) return;
    if (!containers.length) {
      if (cfg.required) throw new Error(`${s.name} is missing dependency ${dep}`);
      warn(`${s.name} is missing dependency ${dep}`);
      return;
    }
    for (const c of containers) progress.event(`Container ${nameOf(c)}`, 'working', 'Waiting');
    const mark = (status: 'done' | 'error' | 'warning', text: string): void => {
      for (const c of containers) progress.event(`Container ${nameOf(c)}`, status, text);
    };
    try {
      if (cfg.condition === 'service_healthy') {
        await waitFor(api, containers, 'healthy');
        mark('done', 'Healthy');
      } else {
        const r = await waitFor(api, containers, 'completed');
        if (r.code !== undefined && r.code !== 0) throw new Error(`service ${JSON.stringify(dep)} didn't complete successfully: exit ${r.code}`);
        mark('done', 'Exited');
      }
    } catch (e) {
      if (!cfg.required) {
        mark('warning', `Skipped: optional dependency ${JSON.stringify(dep)} failed`);
        warn(`optional dependency ${JSON.stringify(dep)} failed to start: ${(e as Error).message}`);
        return;
      }
      mark('error', 'Error');
      throw new Error(cfg.condition === 'service_healthy' ? `dependency failed to start: ${(e as Error).message}` : (e as Error).message, { cause: e });
    }
  }));
}

/** Starts one service's containers that do not run, once its depends_on conditions hold. */
export async function startService(api: ComposeApi, p: Project, name: string, state: Map<string, ContainerSummary[]>, progress: Progress, warn: (m: string) => void): Promise<void> {
  const s = p.services[name]!;
  await waitDependencies(api, p, s, state, progress, warn);
  await Promise.all((state.get(name) ?? []).map(async (c) => {
    if (c.State === 'running') return;
    const ev = `Container ${nameOf(c)}`;
    progress.event(ev, 'working', 'Starting');
    try {
      await api.start(c.Id);
    } catch (e) {
      progress.event(ev, 'error', 'Error');
      throw e;
    }
    c.State = 'running';
    progress.event(ev, 'done', 'Started');
  }));
}

/** Starts the services' containers that do not run, dependencies first. */
export async function startServices(api: ComposeApi, p: Project, state: Map<string, ContainerSummary[]>, progress: Progress, warn: (m: string) => void): Promise<void> {
  await inDependencyOrder(p.services, (name) => startService(api, p, name, state, progress, warn));
}

/** --wait: every service running, or healthy when it has a health check, by the deadline. */
export async function waitRunning(api: ComposeApi, p: Project, state: Map<string, ContainerSummary[]>, progress: Progress, timeoutMs: number | undefined): Promise<void> {
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  await Promise.all(Object.keys(p.services).map(async (name) => {
    const containers = state.get(name) ?? [];
    for (const c of containers) progress.event(`Container ${nameOf(c)}`, 'working', 'Waiting');
    try {
      await waitFor(api, containers, 'running_or_healthy', deadline);
    } catch (e) {
      for (const c of containers) progress.event(`Container ${nameOf(c)}`, 'error', 'Error');
      throw (e as Error).message === 'timeout' ? new Error(`timeout waiting for ${name}`) : e;
    }
    for (const c of containers) progress.event(`Container ${nameOf(c)}`, 'done', 'Healthy');
  }));
}
