import type { Command } from '../command.js';
import { inspectAll } from '../inspect-common.js';

export const command: Command = {
  spec: {
    name: 'volume inspect',
    usage: '[OPTIONS] VOLUME [VOLUME...]',
    description: 'Display detailed information on one or more volumes',
    flags: [{ name: 'format', short: 'f', kind: 'string', help: 'Format output using a custom template' }],
    minArgs: 1,
  },
  run: (ctx, p) => inspectAll(ctx, p.args, ['volume'], p.str('format'), false),
};
