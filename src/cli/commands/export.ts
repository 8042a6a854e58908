import type { Command } from '../command.js';
import { enc } from '../command.js';
import { checkArchiveOutput, refuseTerminal, writeStreamTo } from '../files.js';

export const command: Command = {
  spec: {
    name: 'export',
    usage: '[OPTIONS] CONTAINER',
    description: "Export a container's filesystem as a tar archive",
    aliases: ['container export', 'export'],
    flags: [{ name: 'output', short: 'o', kind: 'string', help: 'Write to a file, instead of STDOUT' }],
    exactArgs: 1,
  },
  async run(ctx, p) {
    const output = p.str('output');
    checkArchiveOutput(ctx, output, 'export container');
    const res = await ctx.client().stream('GET', `/containers/${enc(p.args[0])}/export`);
    await writeStreamTo(ctx, res, output, refuseTerminal);
    return 0;
  },
};
