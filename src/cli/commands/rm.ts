import type { Command } from '../command.js';
import { enc, forEach } from '../command.js';

export const command: Command = {
  spec: {
    name: 'rm',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Remove one or more containers',
    aliases: ['container rm', 'container remove', 'rm'],
    flags: [
      { name: 'force', short: 'f', kind: 'bool', help: 'Force the removal of a running container (uses SIGKILL)' },
      { name: 'link', short: 'l', kind: 'bool', help: 'Remove the specified link' },
      { name: 'volumes', short: 'v', kind: 'bool', help: 'Remove anonymous volumes associated with the container' },
    ],
    minArgs: 1,
  },
  run: (ctx, p) =>
    forEach(ctx, p.args, async (name) => {
      const n = name.replace(/^\/+/, '');
      if (!n) throw new Error('Container name cannot be empty');
      await ctx.client().delete(`/containers/${enc(n)}`, { force: p.bool('force') || undefined, v: p.bool('volumes') || undefined, link: p.bool('link') || undefined });
      return name;
    }),
};
