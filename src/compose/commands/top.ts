/** `compose top`: the processes of each container, under its name. */
import type { ComposeCommand } from '../cli/context.js';
import { tabwrite } from '../../cli/format.js';
import { nameOf } from '../engine/convergence.js';
import { api, checkServices, projectContainers } from './common.js';

export const command: ComposeCommand = {
  spec: { name: 'compose top', usage: '[SERVICES...]', description: 'Display the running processes', flags: [] },
  async run(c, p) {
    checkServices(c, p.args);
    const a = api(c);
    const list = await projectContainers(a, c.projectName(), { all: false, services: p.args });
    const tops = await Promise.all(list.map((ct) => a.top(ct.Id)));
    list.forEach((ct, i) => {
      const t = tops[i]!;
      c.out.write(`${nameOf(ct)}\n${tabwrite([t.Titles, ...t.Processes].map((r) => r.join('\t')).join('\n') + '\n')}\n`);
    });
    return 0;
  },
};
