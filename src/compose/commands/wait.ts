/** `compose wait`: blocks until the services' containers stop; prints their exit codes. */
import type { ComposeCommand } from '../cli/context.js';
import { api, checkServices, projectContainers } from './common.js';
import { StatusError } from '../../cli/flags.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose wait',
    usage: 'SERVICE [SERVICE...] [OPTIONS]',
    description: 'Block until containers of all (or specified) services stop.',
    flags: [{ name: 'down-project', kind: 'bool', help: 'Drops project when the first container stops' }],
    minArgs: 1,
  },
  async run(c, p) {
    checkServices(c, p.args);
    const a = api(c);
    const list = await projectContainers(a, c.projectName(), { services: p.args });
    if (!list.length) throw new StatusError(`no containers for project ${JSON.stringify(c.projectName())}`, 1);
    const codes = await Promise.all(list.map((ct) => a.wait(ct.Id)));
    for (const code of codes) c.out.write(`${code}\n`);
    return codes.find((x) => x !== 0) ?? 0;
  },
};
