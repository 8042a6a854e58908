import type { Readable } from 'node:stream';
import { openInput } from '../files.js';
import type { Command } from '../command.js';
import { displayJsonMessages } from '../progress.js';
import { splitTag } from '../reference.js';

export const command: Command = {
  spec: {
    name: 'import',
    usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
    description: 'Import the contents from a tarball to create a filesystem image',
    aliases: ['image import', 'import'],
    flags: [
      { name: 'change', short: 'c', kind: 'list', type: 'list', help: 'Apply Dockerfile instruction to the created image' },
      { name: 'message', short: 'm', kind: 'string', help: 'Set commit message for imported image' },
      { name: 'platform', kind: 'string', help: 'Set platform if server is multi-platform capable' },
    ],
    minArgs: 1,
  },
  async run(ctx, p) {
    const [src, ref] = p.args;
    const { repo, tag } = ref ? splitTag(ref) : { repo: undefined, tag: undefined };
    let body: Readable | undefined;
    let fromSrc = src;
    if (src === '-') body = ctx.in;
    else if (!/^https?:\/\//.test(src)) {
      body = openInput(src);
      fromSrc = '-';
    }
    const res = await ctx.client().stream('POST', '/images/create', {
      query: { fromSrc, repo, tag: tag || undefined, message: p.str('message') || undefined, changes: p.list('change'), platform: p.str('platform') || undefined },
      body,
    });
    await displayJsonMessages(res, ctx.out);
    return 0;
  },
};
