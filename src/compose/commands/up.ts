/**
 * `compose up`: create and start the services' containers; detached (-d) it ends there (after
 * --wait, once they run or are healthy), else it shows their output until they all exit, or
 * stops them on Ctrl-C or, with --abort-on-container-exit, when the first one exits.
 */
import { StatusError } from '../../cli/flags.js';
import type { Parsed } from '../../cli/flags.js';
import type { ComposeCommand, ComposeCtx } from '../cli/context.js';
import type { ContainerSummary } from '../engine/api.js';
import { nameOf, stopTimeout } from '../engine/convergence.js';
import { createProject, type CreateOptions } from '../engine/up.js';
import { waitRunning } from '../engine/start.js';
import { LogPrinter, logName } from '../logs.js';
import type { Project } from '../model.js';
import { api, selectServices, withProgress } from './common.js';
import { LABEL } from '../engine/labels.js';
import type { ComposeApi } from '../engine/api.js';

export const createFlags: ComposeCommand['spec']['flags'] = [
  { name: 'build', kind: 'bool', help: 'Build images before starting containers' },
  { name: 'no-build', kind: 'bool', help: "Don't build an image, even if it's policy" },
  { name: 'pull', kind: 'string', default: 'policy', help: 'Pull image before running ("always"|"missing"|"never"|"build")' },
  { name: 'force-recreate', kind: 'bool', help: "Recreate containers even if their configuration and image haven't changed" },
  { name: 'no-recreate', kind: 'bool', help: "If containers already exist, don't recreate them. Incompatible with --force-recreate." },
  { name: 'always-recreate-deps', kind: 'bool', help: 'Recreate dependent containers. Incompatible with --no-recreate.' },
  { name: 'remove-orphans', kind: 'bool', help: 'Remove containers for services not defined in the Compose file' },
  { name: 'scale', kind: 'list', type: 'scale', help: 'Scale SERVICE to NUM instances. Overrides the `scale` setting in the Compose file if present.' },
  { name: 'quiet-pull', kind: 'bool', help: 'Pull without printing progress information' },
];

/** The create options the flags give (shared by create, up and run). */
export function createOptions(c: ComposeCtx, p: Parsed, named: string[]): CreateOptions {
  if (p.bool('build') && p.bool('no-build')) throw new StatusError('--build and --no-build are incompatible', 1);
  if (p.bool('force-recreate') && p.bool('no-recreate')) throw new StatusError('--force-recreate and --no-recreate are incompatible', 1);
  const scale = new Map<string, number>();
  for (const s of p.list('scale')) {
    const [svc, n] = s.split('=');
    if (!svc || n === undefined || !/^\d+$/.test(n)) throw new StatusError(`invalid --scale option ${JSON.stringify(s)}. Should be SERVICE=NUM`, 1);
    scale.set(svc, Number(n));
  }
  const recreate = p.bool('force-recreate') ? 'force' : p.bool('no-recreate') ? 'never' : 'diverged';
  const pull = p.str('pull');
  return {
    build: p.bool('build') ? 'always' : p.bool('no-build') ? 'never' : 'missing',
    pull: pull === 'policy' ? undefined : pull,
    recreate,
    recreateDependencies: p.bool('always-recreate-deps') ? 'force' : recreate === 'never' ? 'never' : 'diverged',
    removeOrphans: p.bool('remove-orphans') || /^(1|true)$/i.test(c.cli.env.COMPOSE_REMOVE_ORPHANS ?? ''),
    named,
    scale,
    timeout: p.has('timeout') ? p.num('timeout') : undefined,
    buildOut: c.err,
  };
}

/** Scale 0 services are not started nor waited for. */
function checkScale(project: Project, scale: Map<string, number>): void {
  for (const s of scale.keys()) if (!project.services[s]) throw new StatusError(`no such service: ${s}`, 1);
}

async function stopAll(c: ComposeCtx, a: ComposeApi, project: Project, containers: ContainerSummary[], timeout: number | undefined): Promise<void> {
  await withProgress(c, async (progress) => {
    await Promise.all(containers.map(async (ct) => {
      const ev = `Container ${nameOf(ct)}`;
      progress.event(ev, 'working', 'Stopping');
      await a.stop(ct.Id, stopTimeout(project.services[ct.Labels[LABEL.service] ?? ''], timeout)).catch(() => undefined);
      progress.event(ev, 'done', 'Stopped');
    }));
  });
}

/** Shows the containers' output until they exit (or one does, with abort); the exit code. */
async function attach(c: ComposeCtx, a: ComposeApi, project: Project, containers: ContainerSummary[], p: Parsed): Promise<number> {
  const abort = p.bool('abort-on-container-exit') || p.str('exit-code-from') !== '';
  const exitFrom = p.str('exit-code-from');
  if (exitFrom && !project.services[exitFrom]) throw new StatusError(`no such service: ${exitFrom}`, 1);
  const shown = containers.filter((ct) => project.services[ct.Labels[LABEL.service] ?? '']?.attach !== false);
  const tty = (c.out as { isTTY?: boolean }).isTTY === true;
  const printer = new LogPrinter(c.out, shown.map(logName), tty && c.g.ansi !== 'never', !p.bool('no-log-prefix'));
  c.out.write(`Attaching to ${shown.map(logName).join(', ')}\n`);
  let code = 0;
  let stopping = false;
  let resolveAbort: () => void = () => undefined;
  const aborted = new Promise<void>((r) => (resolveAbort = r));
  const onSignal = (): void => {
    if (stopping) process.exit(130);
    stopping = true;
    c.out.write('Gracefully stopping... (press Ctrl+C again to force)\n');
    code = 130;
    resolveAbort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const streams = shown.map(async (ct) => {
      const info = await a.inspect(ct.Id);
      await printer.print(a, ct, { follow: true }, info.Config.Tty === true);
      if (stopping) return;
      // the log stream ends as the process does; the engine's wait gives the recorded exit
      const exit = await a.wait(ct.Id);
      printer.status(ct, `exited with code ${exit}`);
      const svc = ct.Labels[LABEL.service];
      if (exitFrom ? svc === exitFrom : abort) {
        code = exit;
        if (abort && !stopping) {
          stopping = true;
          c.out.write('Aborting on container exit...\n');
          resolveAbort();
        }
      }
    });
    await Promise.race([Promise.all(streams), aborted]);
    if (stopping) {
      const running = await Promise.all(containers.map(async (ct) => ((await a.inspect(ct.Id)).State.Running ? ct : undefined)));
      await stopAll(c, a, project, running.filter((x): x is ContainerSummary => x !== undefined), p.has('timeout') ? p.num('timeout') : undefined);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}

export const command: ComposeCommand = {
  spec: {
    name: 'compose up',
    usage: '[OPTIONS] [SERVICE...]',
    description: 'Create and start containers',
    flags: [
      ...createFlags,
      { name: 'detach', short: 'd', kind: 'bool', help: 'Detached mode: Run containers in the background' },
      { name: 'no-deps', kind: 'bool', help: "Don't start linked services" },
      { name: 'no-start', kind: 'bool', help: "Don't start the services after creating them" },
      { name: 'wait', kind: 'bool', help: 'Wait for services to be running|healthy. Implies detached mode.' },
      { name: 'wait-timeout', kind: 'int', help: 'Maximum duration in seconds to wait for the project to be running|healthy' },
      { name: 'abort-on-container-exit', kind: 'bool', help: 'Stops all containers if any container was stopped. Incompatible with -d' },
      { name: 'exit-code-from', kind: 'string', help: 'Return the exit code of the selected service container. Implies --abort-on-container-exit' },
      { name: 'timeout', short: 't', kind: 'int', help: 'Use this timeout in seconds for container shutdown when attached or when containers are already running' },
      { name: 'no-log-prefix', kind: 'bool', help: "Don't print prefix in logs" },
      { name: 'attach-dependencies', kind: 'bool', help: 'Automatically attach to log output of dependent services', hidden: true },
      { name: 'no-attach', kind: 'list', type: 'stringArray', help: 'Do not attach (stream logs) to the specified services' },
      { name: 'timestamps', kind: 'bool', help: 'Show timestamps' },
      { name: 'yes', short: 'y', kind: 'bool', help: 'Assume "yes" as answer to all prompts and run non-interactively', hidden: true },
    ],
  },
  async run(c, p) {
    const detach = p.bool('detach') || p.bool('wait');
    if (detach && (p.bool('abort-on-container-exit') || p.str('exit-code-from'))) throw new StatusError('--abort-on-container-exit and --detach are incompatible', 1);
    const full = c.project(p.args);
    const selected = selectServices(full, p.args, !p.bool('no-deps'));
    const o = createOptions(c, p, p.args);
    checkScale(full, o.scale);
    const a = api(c);
    const state = await withProgress(c, async (progress) => {
      const st = await createProject(a, full, selected, { ...o, start: !p.bool('no-start') }, progress, (m) => c.warn(m));
      if (p.bool('no-start')) return st;
      if (p.bool('wait')) {
        const t = p.has('wait-timeout') ? p.num('wait-timeout') * 1000 : undefined;
        await waitRunning(a, selected, st, progress, t);
      }
      return st;
    });
    if (detach || p.bool('no-start')) return 0;
    const containers = [...state.values()].flat().filter((ct) => !p.list('no-attach').includes(ct.Labels[LABEL.service] ?? ''));
    return attach(c, a, selected, containers, p);
  },
};
