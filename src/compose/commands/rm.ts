/** `compose rm`: removes the services' stopped containers (asking first unless -f; -s stops them first). */
import type { ComposeCommand } from '../cli/context.js';
import { confirm } from '../../cli/command.js';
import { nameOf } from '../engine/convergence.js';
import { api, checkServices, projectContainers, withProgress } from './common.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose rm',
    usage: '[OPTIONS] [SERVICE...]',
    description: 'Removes stopped service containers',
    flags: [
      { name: 'force', short: 'f', kind: 'bool', help: "Don't ask to confirm removal" },
      { name: 'stop', short: 's', kind: 'bool', help: 'Stop the containers, if required, before removing' },
      { name: 'volumes', short: 'v', kind: 'bool', help: 'Remove any anonymous volumes attached to containers' },
    ],
  },
  async run(c, p) {
    checkServices(c, p.args);
    const a = api(c);
    let list = await projectContainers(a, c.projectName(), { services: p.args });
    if (!p.bool('stop')) list = list.filter((ct) => ct.State !== 'running' && ct.State !== 'paused' && ct.State !== 'restarting');
    if (!list.length) {
      c.err.write('No stopped containers\n');
      return 0;
    }
    if (!p.bool('force')) {
      c.err.write(`Going to remove ${list.map(nameOf).join(', ')}\n`);
      if (!(await confirm(c.cli, '? Are you sure you want to remove them?'))) return 0;
    }
    await withProgress(c, async (progress) => {
      await Promise.all(list.map(async (ct) => {
        const ev = `Container ${nameOf(ct)}`;
        if (ct.State === 'running' || ct.State === 'paused') {
          progress.event(ev, 'working', 'Stopping');
          await a.stop(ct.Id);
          progress.event(ev, 'done', 'Stopped');
        }
        progress.event(ev, 'working', 'Removing');
        await a.remove(ct.Id, { force: true, volumes: p.bool('volumes') });
        progress.event(ev, 'done', 'Removed');
      }));
    });
    return 0;
  },
};
