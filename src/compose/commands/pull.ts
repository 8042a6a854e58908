/** `compose pull`: the services' images pulled through the engine (POST /images/create). */
import type { ComposeCommand } from '../cli/context.js';
import { pullImage } from '../engine/images.js';
import { imageName } from '../engine/names.js';
import { api, withProgress } from './common.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose pull',
    usage: '[OPTIONS] [SERVICE...]',
    description: 'Pull service images',
    flags: [
      { name: 'ignore-pull-failures', kind: 'bool', help: 'Pull what it can and ignores images with pull failures' },
      { name: 'ignore-buildable', kind: 'bool', help: 'Ignore images that can be built' },
      { name: 'include-deps', kind: 'bool', help: 'Also pull services declared as dependencies' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Pull without printing progress information' },
      { name: 'policy', kind: 'string', help: 'Apply pull policy ("missing"|"always")' },
    ],
  },
  async run(c, p) {
    const project = c.project(p.args);
    const a = api(c);
    const services = Object.values(project.services).filter((s) => (!p.args.length || p.args.includes(s.name)) && s.image && !(p.bool('ignore-buildable') && s.build));
    let failed = false;
    await withProgress(c, async (progress) => {
      await Promise.all(services.map(async (s) => {
        const ref = imageName(project.name, s);
        if (p.str('policy') === 'missing' && (await a.image(ref))) return progress.event(s.name, 'done', 'Skipped - Image is already present locally');
        progress.event(s.name, 'working', 'Pulling');
        try {
          await pullImage(a, ref, s.platform, () => undefined);
          progress.event(s.name, 'done', 'Pulled');
        } catch (e) {
          progress.event(s.name, s.build || p.bool('ignore-pull-failures') ? 'warning' : 'error', (e as Error).message);
          // an image the project can build is not a failure, as compose says
          if (!s.build && !p.bool('ignore-pull-failures')) failed = true;
        }
      }));
    }, 'Pulling');
    return failed ? 1 : 0;
  },
};
