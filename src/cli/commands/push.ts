import type { Command } from '../command.js';
import { enc, println } from '../command.js';
import { StatusError } from '../flags.js';
import { displayJsonMessages } from '../progress.js';
import { familiar } from '../reference.js';
import { authHeaderFor, imageArgument } from '../registry-auth.js';

export const command: Command = {
  spec: {
    name: 'push',
    usage: '[OPTIONS] NAME[:TAG]',
    description: 'Upload an image to a registry',
    aliases: ['image push', 'push'],
    flags: [
      { name: 'all-tags', short: 'a', kind: 'bool', help: 'Push all tags of an image to the repository' },
      { name: 'disable-content-trust', kind: 'bool', help: 'Skip image signing', default: true },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress verbose output' },
    ],
    exactArgs: 1,
  },
  async run(ctx, p) {
    const { image, ref, all, quiet, tag } = imageArgument(ctx, p);
    if (ref.digest) throw new StatusError('cannot push a digest reference', 1);
    const res = await ctx.client().stream('POST', `/images/${enc(ref.name)}/push`, {
      query: { tag },
      headers: authHeaderFor(image, ctx.env),
    });
    await displayJsonMessages(res, ctx.out, { quiet });
    if (quiet) println(ctx.out, all ? familiar(ref.name) : `${familiar(ref.name)}:${tag}`);
    return 0;
  },
};
