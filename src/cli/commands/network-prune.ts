import type { Command } from '../command.js';
import { confirm, println } from '../command.js';
import { encodeFilters } from '../client.js';

export const command: Command = {
  spec: {
    name: 'network prune',
    usage: '[OPTIONS]',
    description: 'Remove all unused networks',
    flags: [
      { name: 'filter', kind: 'list', type: 'filter', help: 'Provide filter values (e.g. "until=<timestamp>")' },
      { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
    ],
    maxArgs: 0,
  },
  async run(ctx, p) {
    const warning = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?';
    // a cancelled prune ends quietly with 0, as docker's does
    if (!p.bool('force') && !(await confirm(ctx, warning))) return 0;
    const r = await ctx.client().post<{ NetworksDeleted?: string[] | null }>('/networks/prune', { filters: encodeFilters(p.list('filter')) });
    const deleted = r.NetworksDeleted ?? [];
    if (deleted.length) println(ctx.out, `Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}`);
    return 0;
  },
};
