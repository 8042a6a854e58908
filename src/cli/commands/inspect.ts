import type { Command } from '../command.js';
import { StatusError } from '../flags.js';
import type { Kind } from '../inspect-common.js';
import { inspectAll } from '../inspect-common.js';

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
    if (type && type !== 'container' && type !== 'image') throw new StatusError(`"${type}" is not a valid value for --type`, 1);
    const kinds: Kind[] = type ? [type as Kind] : ['container', 'image'];
    const missing = (n: string): string => (type ? `Error: No such ${type}: ${n}` : `Error: No such object: ${n}`);
    return inspectAll(ctx, p.args, kinds, p.str('format'), p.bool('size'), missing);
  },
};
