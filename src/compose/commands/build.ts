/** `compose build`: the images of the services that have a build section, through the engine's builder. */
import type { ComposeCommand } from '../cli/context.js';
import { buildService } from '../engine/images.js';
import { api, withProgress } from './common.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose build',
    usage: '[OPTIONS] [SERVICE...]',
    description: 'Build or rebuild services',
    flags: [
      { name: 'build-arg', kind: 'list', type: 'stringArray', help: 'Set build-time variables for services' },
      { name: 'no-cache', kind: 'bool', help: 'Do not use cache when building the image' },
      { name: 'pull', kind: 'bool', help: 'Always attempt to pull a newer version of the image' },
      { name: 'quiet', short: 'q', kind: 'bool', help: "Don't print anything to STDOUT" },
      { name: 'with-dependencies', kind: 'bool', help: 'Also build dependencies (transitively)' },
      { name: 'push', kind: 'bool', help: 'Push service images', hidden: true },
    ],
  },
  async run(c, p) {
    const project = c.project(p.args);
    const args: Record<string, string> = {};
    for (const a of p.list('build-arg')) {
      const i = a.indexOf('=');
      const v = i < 0 ? c.cli.env[a] : a.slice(i + 1);
      if (v !== undefined) args[i < 0 ? a : a.slice(0, i)] = v;
    }
    const names = p.args.length ? p.args : Object.keys(project.services);
    const a = api(c);
    for (const n of names) {
      const s = project.services[n];
      if (!s) throw new Error(`no such service: ${n}`);
      if (!s.build) continue;
      await withProgress(c, async (progress) => {
        const ev = `Service ${n}`;
        progress.event(ev, 'working', 'Building');
        try {
          await buildService(a, project, s, { noCache: p.bool('no-cache'), pull: p.bool('pull'), quiet: p.bool('quiet'), args, out: c.err });
        } catch (e) {
          progress.event(ev, 'error', 'Error');
          throw new Error(`failed to solve: ${(e as Error).message}`, { cause: e });
        }
        progress.event(ev, 'done', 'Built');
      });
    }
    return 0;
  },
};
