/** `compose push`: the services' images pushed through the engine (POST /images/{name}/push). */
import type { ComposeCommand } from '../cli/context.js';
import { pushImage } from '../engine/images.js';
import { api, withProgress } from './common.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose push',
    usage: '[OPTIONS] [SERVICE...]',
    description: 'Push service images',
    flags: [
      { name: 'ignore-push-failures', kind: 'bool', help: 'Push what it can and ignores images with push failures' },
      { name: 'include-deps', kind: 'bool', help: 'Also push images of services declared as dependencies' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Push without printing progress information' },
    ],
  },
  async run(c, p) {
    const project = c.project(p.args);
    const a = api(c);
    const services = Object.values(project.services).filter((s) => (!p.args.length || p.args.includes(s.name)) && s.image);
    let failed: unknown;
    await withProgress(c, async (progress) => {
      for (const s of services) {
        const ev = `Image ${s.image}`;
        progress.event(ev, 'working', 'Pushing');
        try {
          await pushImage(a, s.image!, () => undefined);
          progress.event(ev, 'done', 'Pushed');
        } catch (e) {
          progress.event(ev, 'error', (e as Error).message);
          if (!p.bool('ignore-push-failures')) failed ??= e;
        }
      }
    }, 'Pushing');
    if (failed) throw failed;
    return 0;
  },
};
