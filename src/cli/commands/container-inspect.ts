import type { Command } from '../command.js';
import { inspectAll } from '../inspect-common.js';

export const command: Command = {
  spec: {
    name: 'container inspect',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Display detailed information on one or more containers',
    flags: [
      { name: 'format', short: 'f', kind: 'string', help: 'Format output using a custom template' },
      { name: 'size', short: 's', kind: 'bool', help: 'Display total file sizes' },
    ],
    minArgs: 1,
  },
  run: (ctx, p) => inspectAll(ctx, p.args, ['container'], p.str('format'), p.bool('size')),
};
