import type { Command } from '../command.js';
import { enc } from '../command.js';

export const command: Command = {
  spec: {
    name: 'network disconnect',
    usage: '[OPTIONS] NETWORK CONTAINER',
    description: 'Disconnect a container from a network',
    flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Force the container to disconnect from a network' }],
    exactArgs: 2,
  },
  async run(ctx, p) {
    const [network, container] = p.args;
    await ctx.client().post(`/networks/${enc(network)}/disconnect`, undefined, { Container: container, Force: p.bool('force') });
    return 0;
  },
};
