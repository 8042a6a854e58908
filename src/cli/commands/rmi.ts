import { ApiError } from '../client.js';
import type { Command } from '../command.js';
import { enc, errorLine, println } from '../command.js';

export const command: Command = {
  spec: {
    name: 'rmi',
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Remove one or more images',
    aliases: ['image rm', 'image remove', 'rmi'],
    flags: [
      { name: 'force', short: 'f', kind: 'bool', help: 'Force removal of the image' },
      { name: 'no-prune', kind: 'bool', help: 'Do not delete untagged parents' },
      { name: 'platform', kind: 'list', type: 'strings', help: 'Remove only the given platform variant' },
    ],
    minArgs: 1,
  },
  async run(ctx, p) {
    const errs: string[] = [];
    let fatal = false;
    for (const name of p.args) {
      try {
        const r = await ctx.client().call<{ Untagged?: string; Deleted?: string }[]>('DELETE', `/images/${enc(name)}`, {
          query: { force: p.bool('force') || undefined, noprune: p.bool('no-prune') || undefined },
        });
        for (const d of r.body ?? []) {
          if (d.Untagged) println(ctx.out, `Untagged: ${d.Untagged}`);
          if (d.Deleted) println(ctx.out, `Deleted: ${d.Deleted}`);
        }
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) fatal = true;
        if (e instanceof Error && e.name === 'ConnectError') throw e;
        errs.push(errorLine(e));
      }
    }
    // docker: with --force, images that do not exist are reported but do not fail the command
    for (const e of errs) println(ctx.err, e);
    return errs.length && (!p.bool('force') || fatal) ? 1 : 0;
  },
};
