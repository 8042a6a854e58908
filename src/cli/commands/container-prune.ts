import type { Command } from '../command.js';
import { confirm, println } from '../command.js';
import { encodeFilters } from '../client.js';
import { humanSize } from '../format.js';

export const command: Command = {
  spec: {
    name: 'container prune',
    usage: '[OPTIONS]',
    description: 'Remove all stopped containers',
    flags: [
      { name: 'filter', kind: 'list', type: 'filter', help: 'Provide filter values (e.g. "until=<timestamp>")' },
      { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
    ],
    maxArgs: 0,
  },
  async run(ctx, p) {
    if (!p.bool('force') && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?'))) return 0;
    const r = await pruneContainers(ctx, p.list('filter'));
    if (r.output) println(ctx.out, r.output);
    println(ctx.out, `Total reclaimed space: ${humanSize(r.space)}`);
    return 0;
  },
};

export async function pruneContainers(ctx: Parameters<Command['run']>[0], filters: string[]): Promise<{ output: string; space: number }> {
  const r = await ctx.client().post<{ ContainersDeleted?: string[] | null; SpaceReclaimed?: number }>('/containers/prune', { filters: encodeFilters(filters) });
  const deleted = r.ContainersDeleted ?? [];
  if (!deleted.length) return { output: '', space: 0 };
  return { output: `Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}`, space: r.SpaceReclaimed ?? 0 };
}
