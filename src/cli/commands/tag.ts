import type { Command } from '../command.js';
import { enc } from '../command.js';
import { splitTag } from '../reference.js';

export const command: Command = {
  spec: {
    name: 'tag',
    usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
    description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    aliases: ['image tag', 'tag'],
    flags: [],
    exactArgs: 2,
  },
  async run(ctx, p) {
    const { repo, tag } = splitTag(p.args[1]);
    await ctx.client().post(`/images/${enc(p.args[0])}/tag`, { repo, tag: tag || 'latest' });
    return 0;
  },
};
