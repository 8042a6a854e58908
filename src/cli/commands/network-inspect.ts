import type { Command } from '../command.js';
import { inspectFormatHelp } from '../flags.js';
import { inspectAll } from '../inspect-common.js';

export const command: Command = {
  spec: {
    name: 'network inspect',
    usage: '[OPTIONS] NETWORK [NETWORK...]',
    description: 'Display detailed information on one or more networks',
    flags: [
      { name: 'format', short: 'f', kind: 'string', help: inspectFormatHelp },
      { name: 'verbose', short: 'v', kind: 'bool', help: 'Verbose output for diagnostics' },
    ],
    minArgs: 1,
  },
  run: (ctx, p) => inspectAll(ctx, p.args, ['network'], p.str('format'), false, undefined, { verbose: p.bool('verbose') || undefined }),
};
