import type { Command } from '../command.js';
import { checkArchiveOutput, refuseTerminal, writeStreamTo } from '../files.js';

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
    checkArchiveOutput(ctx, output, 'save image');
    const res = await ctx.client().stream('GET', '/images/get', { query: { names: p.args } });
    await writeStreamTo(ctx, res, output, refuseTerminal);
    return 0;
  },
};
