import type { Command } from '../command.js';
import { println } from '../command.js';
import { UsageError } from '../flags.js';

/** KEY=VALUE list to a map, as docker's ConvertKVStringsToMap / MapOpts (a bare KEY maps to ""). */
function kvMap(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i < 0) out[v] = '';
    else out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

export const command: Command = {
  spec: {
    name: 'volume create',
    usage: '[OPTIONS] [VOLUME]',
    description: 'Create a volume',
    flags: [
      { name: 'driver', short: 'd', kind: 'string', help: 'Specify volume driver name', default: 'local' },
      { name: 'label', kind: 'list', help: 'Set metadata for a volume' },
      { name: 'name', kind: 'string', help: 'Specify volume name', hidden: true },
      { name: 'opt', short: 'o', kind: 'list', type: 'map', help: 'Set driver specific options', default: 'map[]' },
    ],
    maxArgs: 1,
  },
  async run(ctx, p) {
    let name = p.str('name');
    if (p.args.length) {
      if (p.has('name')) {
        throw new UsageError('conflicting options: cannot specify a volume-name through both --name and as a positional arg', command.spec, 1);
      }
      name = p.args[0];
    }
    const body: Record<string, unknown> = { Driver: p.str('driver') || 'local', Name: name };
    if (p.list('opt').length) body.DriverOpts = kvMap(p.list('opt'));
    if (p.list('label').length) body.Labels = kvMap(p.list('label'));
    const vol = await ctx.client().post<{ Name: string }>('/volumes/create', undefined, body);
    println(ctx.out, vol.Name);
    return 0;
  },
};
