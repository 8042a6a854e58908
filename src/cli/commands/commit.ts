import type { Command } from '../command.js';
import { println } from '../command.js';
import { splitTag } from '../reference.js';

export const command: Command = {
  spec: {
    name: 'commit',
    usage: "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
    description: "Create a new image from a container's changes",
    aliases: ['container commit', 'commit'],
    flags: [
      { name: 'author', short: 'a', kind: 'string', help: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
      { name: 'change', short: 'c', kind: 'list', type: 'list', help: 'Apply Dockerfile instruction to the created image' },
      { name: 'message', short: 'm', kind: 'string', help: 'Commit message' },
      { name: 'pause', short: 'p', kind: 'bool', help: 'Pause container during commit', default: true },
    ],
    minArgs: 1,
    maxArgs: 2,
  },
  async run(ctx, p) {
    const [container, ref] = p.args;
    const { repo, tag } = ref ? splitTag(ref) : { repo: undefined, tag: undefined };
    const r = await ctx.client().post<{ Id: string }>(
      '/commit',
      {
        container,
        repo,
        tag: tag || undefined,
        comment: p.str('message') || undefined,
        author: p.str('author') || undefined,
        pause: p.bool('pause'),
        changes: p.list('change'),
      },
      {},
    );
    println(ctx.out, r.Id);
    return 0;
  },
};
