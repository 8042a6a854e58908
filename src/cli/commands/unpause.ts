import type { Command } from '../command.js';
import { enc, forEach } from '../command.js';

export const command: Command = {
  spec: {
    name: 'unpause',
    usage: 'CONTAINER [CONTAINER...]',
    description: 'Unpause all processes within one or more containers',
    aliases: ['container unpause', 'unpause'],
    flags: [],
    minArgs: 1,
  },
  run: (ctx, p) =>
    forEach(ctx, p.args, async (name) => {
      await ctx.client().post(`/containers/${enc(name)}/unpause`);
      return name;
    }),
};
