import type { Command } from '../command.js';
import { writeStreamTo } from '../files.js';
import { StatusError } from '../flags.js';

export const command: Command = {
  spec: {
    name: 'save',
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    aliases: ['image save', 'save'],
    flags: [
      { name: 'output', short: 'o', kind: 'string', help: 'Write to a file, instead of STDOUT' },
      { name: 'platform', kind: 'list', type: 'strings', help: 'Save only the given platform variant' },
    ],
    minArgs: 1,
  },
  async run(ctx, p) {
    const output = p.str('output');
    if (!output && (ctx.out as { isTTY?: boolean }).isTTY) {
      throw new StatusError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
    }
    const res = await ctx.client().stream('GET', '/images/get', { query: { names: p.args } });
    await writeStreamTo(ctx, res, output, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    return 0;
  },
};
