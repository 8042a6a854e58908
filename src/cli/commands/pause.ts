import type { Command } from '../command.js';
import { enc, forEach } from '../command.js';

export const command: Command = {
  spec: {
    name: 'pause',
    usage: 'CONTAINER [CONTAINER...]',
    description: 'Pause all processes within one or more containers',
    aliases: ['container pause', 'pause'],
    flags: [],
    minArgs: 1,
  },
  run: (ctx, p) =>
    forEach(ctx, p.args, async (name) => {
      await ctx.client().post(`/containers/${enc(name)}/pause`);
      return name;
    }),
};
