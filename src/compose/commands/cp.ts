/** `compose cp`: files between a service's container (SERVICE:PATH) and the host. */
import type { ComposeCommand } from '../cli/context.js';
import { StatusError } from '../../cli/flags.js';
import { nameOf } from '../engine/convergence.js';
import { serviceContainer } from './common.js';
import { delegate } from './delegate.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose cp',
    usage: '[OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n\tdocker compose cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH',
    description: 'Copy files/folders between a service container and the local filesystem',
    flags: [
      { name: 'archive', short: 'a', kind: 'bool', help: 'Archive mode (copy all uid/gid information)' },
      { name: 'follow-link', short: 'L', kind: 'bool', help: 'Always follow symbol link in SRC_PATH' },
      { name: 'index', kind: 'int', help: 'Index of the container if service has multiple replicas' },
      { name: 'all', kind: 'bool', help: 'Include containers created by the run command', hidden: true },
    ],
    exactArgs: 2,
  },
  async run(c, p) {
    const index = p.has('index') ? p.num('index') : undefined;
    const swap = async (arg: string): Promise<string> => {
      const i = arg.indexOf(':');
      if (i <= 0 || arg.startsWith('/') || arg.startsWith('.')) return arg;
      const ct = await serviceContainer(c, arg.slice(0, i), index);
      return `${nameOf(ct)}:${arg.slice(i + 1)}`;
    };
    const [src, dst] = await Promise.all(p.args.map(swap)) as [string, string];
    if (src === p.args[0] && dst === p.args[1]) throw new StatusError('copying between services is not supported; one side must be SERVICE:PATH', 1);
    return delegate(c, () => import('../../cli/commands/cp.js'), [...(p.bool('archive') ? ['-a'] : []), ...(p.bool('follow-link') ? ['-L'] : []), src, dst]);
  },
};
