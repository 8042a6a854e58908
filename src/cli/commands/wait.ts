import type { Command } from '../command.js';
import { enc, forEach } from '../command.js';

export const command: Command = {
  spec: {
    name: 'wait',
    usage: 'CONTAINER [CONTAINER...]',
    description: 'Block until one or more containers stop, then print their exit codes',
    aliases: ['container wait', 'wait'],
    flags: [],
    minArgs: 1,
  },
  run: (ctx, p) =>
    forEach(ctx, p.args, async (name) => {
      const r = await ctx.client().post<{ StatusCode: number; Error?: { Message?: string } | null }>(`/containers/${enc(name)}/wait`);
      if (r.Error?.Message) throw new Error(r.Error.Message);
      return String(r.StatusCode);
    }),
};
