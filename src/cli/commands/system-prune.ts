import type { Command, Ctx } from '../command.js';
import { confirm, println } from '../command.js';
import { ApiError, encodeFilters } from '../client.js';
import { humanSize } from '../format.js';
import { pruneContainers } from './container-prune.js';
import { pruneImages } from './image-prune.js';
import { pruneVolumes } from './volume-prune.js';

async function pruneOther(ctx: Ctx, path: string, key: string, title: string, filters: string[], sized: boolean): Promise<{ output: string; space: number }> {
  let r: Record<string, unknown>;
  try {
    r = await ctx.client().post<Record<string, unknown>>(path, { filters: encodeFilters(filters) });
  } catch (e) {
    // an engine without this kind of object has nothing to prune
    if (e instanceof ApiError && (e.status === 404 || e.status === 501)) return { output: '', space: 0 };
    throw e;
  }
  const deleted = (r[key] as string[] | null | undefined) ?? [];
  const space = sized ? Number(r.SpaceReclaimed ?? 0) : 0;
  if (!deleted.length) return { output: '', space };
  return { output: `${title}:\n${deleted.map((d) => `${d}\n`).join('')}`, space };
}

export const command: Command = {
  spec: {
    name: 'system prune',
    usage: '[OPTIONS]',
    description: 'Remove unused data',
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Remove all unused images not just dangling ones' },
      { name: 'filter', kind: 'list', type: 'filter', help: 'Provide filter values (e.g. "label=<key>=<value>")' },
      { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
      { name: 'volumes', kind: 'bool', help: 'Prune anonymous volumes' },
    ],
    maxArgs: 0,
  },
  async run(ctx, p) {
    const all = p.bool('all');
    const items = ['all stopped containers'];
    if (p.bool('volumes')) items.push('all anonymous volumes not used by at least one container');
    items.push('all networks not used by at least one container');
    items.push(all ? 'all images without at least one container associated to them' : 'all dangling images');
    items.push(all ? 'all build cache' : 'unused build cache');
    const warning = `WARNING! This will remove:\n${items.map((i) => `  - ${i}\n`).join('')}\nAre you sure you want to continue?`;
    if (!p.bool('force') && !(await confirm(ctx, warning))) return 0;
    const filters = p.list('filter');
    let space = 0;
    const report = (r: { output: string; space: number }): void => {
      if (r.output) println(ctx.out, r.output);
      space += r.space;
    };
    report(await pruneContainers(ctx, filters));
    if (p.bool('volumes')) report(await pruneVolumes(ctx, filters));
    report(await pruneOther(ctx, '/networks/prune', 'NetworksDeleted', 'Deleted Networks', filters, false));
    report(await pruneImages(ctx, all, filters));
    const cache = await pruneOther(ctx, '/build/prune', 'CachesDeleted', 'Deleted build cache objects', all ? [...filters] : filters, true);
    report(cache);
    println(ctx.out, `Total reclaimed space: ${humanSize(space)}`);
    return 0;
  },
};
