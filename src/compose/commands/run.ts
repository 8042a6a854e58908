/**
 * `compose run`: a one-off container of a service (`<project>-<service>-run-<id>`, labelled
 * oneoff), its dependencies started first; the service's ports are published only with
 * --service-ports (or -p), as compose does; attached unless -d, removed after with --rm.
 */
import { randomBytes } from 'node:crypto';
import type { ComposeCommand } from '../cli/context.js';
import { StatusError } from '../../cli/flags.js';
import { Convergence } from '../engine/convergence.js';
import { ensureImages } from '../engine/images.js';
import { ensureNetworks, ensureVolumes } from '../engine/resources.js';
import { startService } from '../engine/start.js';
import { LABEL, projectFilter } from '../engine/labels.js';
import { oneoffName } from '../engine/names.js';
import { parsePortSpec } from '../normalize/ports.js';
import { parseVolumeSpec } from '../normalize/volumes.js';
import { shellSplit } from '../normalize/values.js';
import type { Project } from '../model.js';
import { api, selectServices, withProgress } from './common.js';
import { createFlags, createOptions } from './up.js';
import { delegate } from './delegate.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose run',
    usage: '[OPTIONS] SERVICE [COMMAND] [ARGS...]',
    description: 'Run a one-off command on a service',
    flags: [
      ...createFlags.filter((f) => ['build', 'no-build', 'pull', 'remove-orphans', 'quiet-pull'].includes(f.name)),
      { name: 'detach', short: 'd', kind: 'bool', help: 'Run container in background and print container ID' },
      { name: 'rm', kind: 'bool', help: 'Automatically remove the container when it exits' },
      { name: 'env', short: 'e', kind: 'list', type: 'stringArray', help: 'Set environment variables' },
      { name: 'volume', short: 'v', kind: 'list', type: 'stringArray', help: 'Bind mount a volume' },
      { name: 'publish', short: 'p', kind: 'list', type: 'stringArray', help: "Publish a container's port(s) to the host" },
      { name: 'service-ports', short: 'P', kind: 'bool', help: "Run command with all service's ports enabled and mapped to the host" },
      { name: 'use-aliases', kind: 'bool', help: "Use the service's network useAliases in the network(s) the container connects to" },
      { name: 'name', kind: 'string', help: 'Assign a name to the container' },
      { name: 'entrypoint', kind: 'string', help: 'Override the entrypoint of the image' },
      { name: 'workdir', short: 'w', kind: 'string', help: 'Working directory inside the container' },
      { name: 'user', short: 'u', kind: 'string', help: 'Run as specified username or uid' },
      { name: 'label', short: 'l', kind: 'list', type: 'stringArray', help: 'Add or override a label' },
      { name: 'no-TTY', short: 'T', kind: 'bool', help: 'Disable pseudo-TTY allocation (default: auto-detected)' },
      { name: 'interactive', short: 'i', kind: 'bool', default: true, help: 'Keep STDIN open even if not attached' },
      { name: 'tty', short: 't', kind: 'bool', default: true, help: 'Allocate a pseudo-TTY', hidden: true },
      { name: 'no-deps', kind: 'bool', help: "Don't start linked services" },
      { name: 'quiet', short: 'q', kind: 'bool', help: "Don't print anything to STDOUT" },
    ],
    stopAtPositional: true,
    minArgs: 1,
  },
  async run(c, p) {
    const [service, ...cmd] = p.args as [string, ...string[]];
    const full = c.project([service]);
    if (!full.services[service]) throw new StatusError(`no such service: ${service}`, 1);
    const selected = selectServices(full, [service], !p.bool('no-deps'));
    const a = api(c);
    const o = createOptions(c, p, []);
    const s = { ...selected.services[service]! };
    const deps: Project = { ...selected, services: Object.fromEntries(Object.entries(selected.services).filter(([n]) => n !== service)) };
    const env: Record<string, string> = {};
    for (const e of p.list('env')) {
      const i = e.indexOf('=');
      if (i < 0) {
        if (c.cli.env[e] !== undefined) env[e] = c.cli.env[e]!;
      } else env[e.slice(0, i)] = e.slice(i + 1);
    }
    const labels: Record<string, string> = {};
    for (const l of p.list('label')) {
      const i = l.indexOf('=');
      labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
    }
    const slug = randomBytes(32).toString('hex');
    const name = p.str('name') || oneoffName(full.name, service, slug);
    const publish = p.bool('service-ports') || p.list('publish').length > 0;
    if (p.list('publish').length) s.ports = p.list('publish').flatMap((x, i) => parsePortSpec(x, `--publish[${i}]`));
    const tty = !p.bool('no-TTY') && p.bool('tty') && c.cli.inIsTerminal && !p.bool('detach');
    const interactive = p.bool('interactive') && !p.bool('detach');
    const id = await withProgress(c, async (progress) => {
      const imageIds = await ensureImages(a, selected, Object.values(selected.services), { build: o.build, pull: o.pull, buildOut: c.err }, progress);
      await ensureNetworks(a, selected, progress, (m) => c.warn(m));
      await ensureVolumes(a, selected, progress, (m) => c.warn(m));
      const observed = await a.containers(projectFilter(full.name));
      const conv = new Convergence(a, selected, observed, progress);
      const converge = { recreate: 'diverged' as const, recreateDependencies: 'diverged' as const, named: [], scale: new Map<string, number>(), imageIds };
      const depConv = new Convergence(a, deps, observed, progress);
      await depConv.apply(converge, (n) => startService(a, deps, n, depConv.state, progress, (m) => c.warn(m)));
      for (const [n, list] of depConv.state) conv.state.set(n, list);
      const made = await conv.create(s, 1, converge, {
        oneoff: true,
        name,
        labels: { ...labels, [LABEL.slug]: slug },
        publishPorts: publish,
        command: cmd.length ? cmd : undefined,
        entrypoint: p.has('entrypoint') ? shellSplit(p.str('entrypoint'), '--entrypoint') : undefined,
        env,
        extraVolumes: p.list('volume').map((v, i) => parseVolumeSpec(v, `--volume[${i}]`, process.cwd(), c.cli.env.HOME)),
        tty,
        stdin: interactive,
        autoRemove: p.bool('rm'),
        user: p.str('user') || undefined,
        workdir: p.str('workdir') || undefined,
      }, name);
      return made.Id;
    });
    if (p.bool('detach')) {
      await a.start(id);
      c.out.write(`${name}\n`);
      return 0;
    }
    return delegate(c, () => import('../../cli/commands/start.js'), ['-a', ...(interactive ? ['-i'] : []), id]);
  },
};
