import type { Command } from '../command.js';
import { println } from '../command.js';
import { displayJsonMessages } from '../progress.js';
import { authHeaderFor, imageArgument } from '../registry-auth.js';

export const command: Command = {
  spec: {
    name: 'pull',
    usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
    description: 'Download an image from a registry',
    aliases: ['image pull', 'pull'],
    flags: [
      { name: 'all-tags', short: 'a', kind: 'bool', help: 'Download all tagged images in the repository' },
      { name: 'disable-content-trust', kind: 'bool', help: 'Skip image verification', default: true },
      { name: 'platform', kind: 'string', help: 'Set platform if server is multi-platform capable' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress verbose output' },
    ],
    exactArgs: 1,
  },
  async run(ctx, p) {
    const { image, ref, all, quiet, tag } = imageArgument(ctx, p);
    const res = await ctx.client().stream('POST', '/images/create', {
      query: { fromImage: ref.name, tag, platform: p.str('platform') || undefined },
      headers: authHeaderFor(image, ctx.env),
    });
    await displayJsonMessages(res, ctx.out, { quiet });
    // As docker: the full reference pulled.
    println(ctx.out, all ? ref.name : ref.digest ? `${ref.name}@${ref.digest}` : `${ref.name}:${tag}`);
    return 0;
  },
};
