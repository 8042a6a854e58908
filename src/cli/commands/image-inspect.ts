import type { Command } from '../command.js';
import { inspectAll } from '../inspect-common.js';

export const command: Command = {
  spec: {
    name: 'image inspect',
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Display detailed information on one or more images',
    flags: [
      { name: 'format', short: 'f', kind: 'string', help: 'Format output using a custom template' },
      { name: 'platform', kind: 'string', help: 'Inspect a specific platform of the multi-platform image.' },
    ],
    minArgs: 1,
  },
  run: (ctx, p) => inspectAll(ctx, p.args, ['image'], p.str('format'), false),
};
