import type { Command } from '../command.js';
import { println } from '../command.js';
import { configDir, eraseCredentials } from '../../core/docker-config.js';
import { loginServer } from '../registry-auth.js';

export const command: Command = {
  spec: {
    name: 'logout',
    usage: '[SERVER]',
    description: 'Log out from a registry.\nIf no server is specified, the default is defined by the daemon.',
    aliases: ['logout'],
    flags: [],
    maxArgs: 1,
  },
  async run(ctx, p) {
    const server = loginServer(p.args[0]);
    println(ctx.out, `Removing login credentials for ${server}`);
    eraseCredentials(server, configDir(ctx.env));
    return 0;
  },
};
