import type { Command } from '../command.js';
import { enc, forEach } from '../command.js';

export const command: Command = {
  spec: {
    name: 'stop',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Stop one or more running containers',
    aliases: ['container stop', 'stop'],
    flags: [
      { name: 'signal', short: 's', kind: 'string', help: 'Signal to send to the container' },
      { name: 'timeout', short: 't', kind: 'int', help: 'Seconds to wait before killing the container' },
    ],
    minArgs: 1,
  },
  run: (ctx, p) =>
    forEach(ctx, p.args, async (name) => {
      await ctx.client().post(`/containers/${enc(name)}/stop`, { t: p.has('timeout') ? p.num('timeout') : undefined, signal: p.str('signal') || undefined });
      return name;
    }),
};
