import type { Command } from '../command.js';
import { enc } from '../command.js';
import { StatusError } from '../flags.js';

export const command: Command = {
  spec: {
    name: 'rename',
    usage: 'CONTAINER NEW_NAME',
    description: 'Rename a container',
    aliases: ['container rename', 'rename'],
    flags: [],
    exactArgs: 2,
  },
  async run(ctx, p) {
    const [oldName, newName] = p.args.map((a) => a.trim());
    if (!oldName || !newName) throw new StatusError('Error: Neither old nor new names may be empty', 1);
    try {
      await ctx.client().post(`/containers/${enc(oldName)}/rename`, { name: newName });
    } catch (e) {
      if (e instanceof Error && e.name === 'ApiError') throw new StatusError(`${(e as Error & { display: string }).display}\nError: failed to rename container named ${oldName}`, 1);
      throw e;
    }
    return 0;
  },
};
