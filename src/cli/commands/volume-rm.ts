import type { Command } from '../command.js';
import { enc, forEach } from '../command.js';

export const command: Command = {
  spec: {
    name: 'volume rm',
    usage: '[OPTIONS] VOLUME [VOLUME...]',
    description: 'Remove one or more volumes. You cannot remove a volume that is in use by a container.',
    aliases: ['volume rm', 'volume remove'],
    flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Force the removal of one or more volumes' }],
    minArgs: 1,
  },
  run: (ctx, p) =>
    forEach(ctx, p.args, async (name) => {
      await ctx.client().delete(`/volumes/${enc(name)}`, { force: p.bool('force') || undefined });
      return name;
    }),
};
