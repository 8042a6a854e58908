import type { Command } from '../command.js';
import { StatusError } from '../flags.js';
import { openInput } from '../files.js';
import { displayJsonMessages } from '../progress.js';

export const command: Command = {
  spec: {
    name: 'load',
    usage: '[OPTIONS]',
    description: 'Load an image from a tar archive or STDIN',
    aliases: ['image load', 'load'],
    flags: [
      { name: 'input', short: 'i', kind: 'string', help: 'Read from tar archive file, instead of STDIN' },
      { name: 'platform', kind: 'list', type: 'strings', help: 'Load only the given platform variant' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress the load output' },
    ],
    maxArgs: 0,
  },
  async run(ctx, p) {
    const input = p.str('input');
    if (!input && ctx.inIsTerminal) throw new StatusError('requested load from stdin, but stdin is empty', 1);
    const body = input ? openInput(input) : ctx.in;
    const quiet = p.bool('quiet') || !(ctx.out as { isTTY?: boolean }).isTTY;
    const res = await ctx.client().stream('POST', '/images/load', { query: { quiet: quiet ? '1' : '0' }, body });
    const type = String(res.headers['content-type'] ?? '');
    if (type.includes('json')) await displayJsonMessages(res, ctx.out);
    else for await (const c of res) ctx.out.write(c as Buffer);
    return 0;
  },
};
