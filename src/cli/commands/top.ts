import type { Command } from '../command.js';
import { enc } from '../command.js';
import { tabwrite } from '../format.js';

export const command: Command = {
  spec: {
    name: 'top',
    usage: 'CONTAINER [ps OPTIONS]',
    description: 'Display the running processes of a container',
    aliases: ['container top', 'top'],
    flags: [],
    stopAtPositional: true,
    minArgs: 1,
  },
  async run(ctx, p) {
    const [name, ...psArgs] = p.args;
    const r = await ctx.client().get<{ Titles: string[]; Processes: string[][] }>(`/containers/${enc(name)}/top`, { ps_args: psArgs.length ? psArgs.join(' ') : undefined });
    const lines = [r.Titles.join('\t'), ...r.Processes.map((row) => row.join('\t'))];
    ctx.out.write(tabwrite(`${lines.join('\n')}\n`, 20, 3));
    return 0;
  },
};
