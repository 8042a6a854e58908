import type { Command, Ctx } from '../command.js';
import { confirm, println } from '../command.js';
import { encodeFilters } from '../client.js';
import { humanSize } from '../format.js';

export async function pruneVolumes(ctx: Ctx, filters: string[]): Promise<{ output: string; space: number }> {
  const r = await ctx.client().post<{ VolumesDeleted?: string[] | null; SpaceReclaimed?: number }>('/volumes/prune', { filters: encodeFilters(filters) });
  const deleted = r.VolumesDeleted ?? [];
  if (!deleted.length) return { output: '', space: r.SpaceReclaimed ?? 0 };
  return { output: `Deleted Volumes:\n${deleted.map((v) => `${v}\n`).join('')}`, space: r.SpaceReclaimed ?? 0 };
}

export const command: Command = {
  spec: {
    name: 'volume prune',
    usage: '[OPTIONS]',
    description: 'Remove unused local volumes',
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Remove all unused volumes, not just anonymous ones' },
      { name: 'filter', kind: 'list', type: 'filter', help: 'Provide filter values (e.g. "label=<label>")' },
      { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
    ],
    maxArgs: 0,
  },
  async run(ctx, p) {
    const all = p.bool('all');
    const what = all ? 'all local volumes' : 'anonymous local volumes';
    if (!p.bool('force') && !(await confirm(ctx, `WARNING! This will remove ${what} not used by at least one container.\nAre you sure you want to continue?`))) return 0;
    const r = await pruneVolumes(ctx, all ? [...p.list('filter'), 'all=true'] : p.list('filter'));
    if (r.output) println(ctx.out, r.output);
    println(ctx.out, `Total reclaimed space: ${humanSize(r.space)}`);
    return 0;
  },
};
