import type { Command } from '../command.js';
import { enc, forEach } from '../command.js';

export const command: Command = {
  spec: {
    name: 'kill',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Kill one or more running containers',
    aliases: ['container kill', 'kill'],
    flags: [{ name: 'signal', short: 's', kind: 'string', help: 'Signal to send to the container' }],
    minArgs: 1,
  },
  run: (ctx, p) =>
    forEach(ctx, p.args, async (name) => {
      await ctx.client().post(`/containers/${enc(name)}/kill`, { signal: p.str('signal') || undefined });
      return name;
    }),
};
