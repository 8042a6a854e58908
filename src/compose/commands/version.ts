/** `compose version`: minke's compose, which follows docker compose v2. */
import type { ComposeCommand } from '../cli/context.js';
import { version } from '../../cli/meta.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose version',
    usage: '[OPTIONS]',
    description: 'Show the Docker Compose version information',
    flags: [
      { name: 'format', short: 'f', kind: 'string', help: 'Format the output. Values: [pretty | json]. (Default: pretty)' },
      { name: 'short', kind: 'bool', help: 'Shows only Compose\'s version number' },
    ],
    maxArgs: 0,
  },
  async run(c, p) {
    const v = version();
    if (p.bool('short')) c.out.write(`${v}\n`);
    else if (p.str('format') === 'json') c.out.write(`${JSON.stringify({ version: `v${v}` })}\n`);
    else c.out.write(`Docker Compose version v${v} (minke)\n`);
    return 0;
  },
};
