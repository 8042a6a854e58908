import type { Command } from '../command.js';
import { enc } from '../command.js';
import { StatusError } from '../flags.js';
import { parseNormalizedNamed } from '../reference.js';

/** docker's client.ImageTag: both references checked here, the target sent normalised. */
function parse(ref: string): ReturnType<typeof parseNormalizedNamed> {
  try {
    return parseNormalizedNamed(ref);
  } catch (e) {
    throw new StatusError(`Error parsing reference: "${ref}" is not a valid repository/tag: ${(e as Error).message}`, 1);
  }
}

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
    const [source, target] = p.args;
    if (!/^(?:sha256:)?[a-f0-9]{1,64}$/.test(source)) parse(source);
    const ref = parse(target);
    if (ref.digest) throw new StatusError('refusing to create a tag with a digest reference', 1);
    await ctx.client().post(`/images/${enc(source)}/tag`, { repo: ref.name, tag: ref.tag ?? 'latest' });
    return 0;
  },
};
