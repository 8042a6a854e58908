import type { Command } from '../command.js';
import { enc, println } from '../command.js';

const kinds = ['C', 'A', 'D'];

export const command: Command = {
  spec: {
    name: 'diff',
    usage: 'CONTAINER',
    description: "Inspect changes to files or directories on a container's filesystem",
    aliases: ['container diff', 'diff'],
    flags: [],
    exactArgs: 1,
  },
  async run(ctx, p) {
    const changes = await ctx.client().get<{ Path: string; Kind: number }[] | null>(`/containers/${enc(p.args[0])}/changes`);
    for (const c of changes ?? []) println(ctx.out, `${kinds[c.Kind] ?? '?'} ${c.Path}`);
    return 0;
  },
};
