import type { Command } from '../command.js';
import { enc, forEach } from '../command.js';
import { ApiError } from '../client.js';

export const command: Command = {
  spec: {
    name: 'network rm',
    usage: 'NETWORK [NETWORK...]',
    description: 'Remove one or more networks',
    aliases: ['network rm', 'network remove'],
    flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Do not error if the network does not exist' }],
    minArgs: 1,
  },
  run: (ctx, p) =>
    forEach(
      ctx,
      p.args,
      async (name) => {
        try {
          await ctx.client().delete(`/networks/${enc(name)}`);
        } catch (e) {
          if (p.bool('force') && e instanceof ApiError && e.status === 404) return undefined;
          throw e;
        }
        return name;
      },
      () => 'exit status 1',
    ),
};
