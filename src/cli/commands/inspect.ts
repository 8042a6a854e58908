import type { Command } from '../command.js';
import { StatusError } from '../flags.js';
import type { Kind } from '../inspect-common.js';
import { inspectAll } from '../inspect-common.js';

const types = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];

export const command: Command = {
  spec: {
    name: 'inspect',
    usage: '[OPTIONS] NAME|ID [NAME|ID...]',
    description: 'Return low-level information on minke objects',
    flags: [
      { name: 'format', short: 'f', kind: 'string', help: 'Format output using a custom template' },
      { name: 'size', short: 's', kind: 'bool', help: 'Display total file sizes if the type is container' },
      { name: 'type', kind: 'string', help: 'Only inspect objects of the given type' },
    ],
    minArgs: 1,
  },
  run(ctx, p) {
    const type = p.str('type');
    if (type && !types.includes(type)) throw new StatusError(`unknown type: "${type}": must be one of ${types.map((t) => `"${t}"`).join(', ')}`, 1);
    const kinds: Kind[] = type ? [type] : ['container', 'image', 'volume'];
    const missing = type ? undefined : (n: string): string => `Error: No such object: ${n}`;
    return inspectAll(ctx, p.args, kinds, p.str('format'), p.bool('size'), missing);
  },
};
