import type { Command } from '../command.js';
import { confirm, println } from '../command.js';
import { encodeFilters } from '../client.js';
import { humanSize } from '../format.js';

export const command: Command = {
  spec: {
    name: 'builder prune',
    usage: '[OPTIONS]',
    description: 'Remove build cache',
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Remove all unused build cache, not just dangling ones' },
      { name: 'filter', kind: 'list', type: 'filter', help: 'Provide filter values (e.g. "until=24h")' },
      { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
      { name: 'keep-storage', kind: 'string', help: 'Amount of disk space to keep for cache' },
    ],
    maxArgs: 0,
  },
  async run(ctx, p) {
    const warning = p.bool('all')
      ? 'WARNING! This will remove all build cache.\nAre you sure you want to continue?'
      : 'WARNING! This will remove all dangling build cache.\nAre you sure you want to continue?';
    if (!p.bool('force') && !(await confirm(ctx, warning))) return 0;
    const r = await ctx.client().post<{ CachesDeleted?: string[] | null; SpaceReclaimed?: number }>('/build/prune', {
      all: p.bool('all') ? '1' : undefined, filters: encodeFilters(p.list('filter')), 'keep-storage': p.str('keep-storage') || undefined,
    });
    const deleted = r.CachesDeleted ?? [];
    if (deleted.length) println(ctx.out, `Deleted build cache objects:\n${deleted.join('\n')}\n`);
    println(ctx.out, `Total:\t${humanSize(r.SpaceReclaimed ?? 0)}`);
    return 0;
  },
};
