import type { Command, Ctx } from '../command.js';
import { confirm, println } from '../command.js';
import { encodeFilters } from '../client.js';
import { humanSize } from '../format.js';

export async function pruneImages(ctx: Ctx, all: boolean, filters: string[]): Promise<{ output: string; space: number }> {
  const f = [...filters, `dangling=${all ? 'false' : 'true'}`];
  const r = await ctx.client().post<{ ImagesDeleted?: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed?: number }>('/images/prune', { filters: encodeFilters(f) });
  const deleted = r.ImagesDeleted ?? [];
  if (!deleted.length) return { output: '', space: 0 };
  let output = 'Deleted Images:\n';
  for (const d of deleted) {
    if (d.Untagged) output += `untagged: ${d.Untagged}\n`;
    if (d.Deleted) output += `deleted: ${d.Deleted}\n`;
  }
  return { output, space: r.SpaceReclaimed ?? 0 };
}

export const command: Command = {
  spec: {
    name: 'image prune',
    usage: '[OPTIONS]',
    description: 'Remove unused images',
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Remove all unused images, not just dangling ones' },
      { name: 'filter', kind: 'list', type: 'filter', help: 'Provide filter values (e.g. "until=<timestamp>")' },
      { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
    ],
    maxArgs: 0,
  },
  async run(ctx, p) {
    const warning = p.bool('all')
      ? 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?'
      : 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';
    if (!p.bool('force') && !(await confirm(ctx, warning))) return 0;
    const r = await pruneImages(ctx, p.bool('all'), p.list('filter'));
    if (r.output) println(ctx.out, r.output);
    println(ctx.out, `Total reclaimed space: ${humanSize(r.space)}`);
    return 0;
  },
};
