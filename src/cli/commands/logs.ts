import type { Command } from '../command.js';
import { enc } from '../command.js';
import { sinceUntil } from '../format.js';
import { copyRaw, demux } from '../stream.js';

export const command: Command = {
  spec: {
    name: 'logs',
    usage: '[OPTIONS] CONTAINER',
    description: 'Fetch the logs of a container',
    aliases: ['container logs', 'logs'],
    flags: [
      { name: 'details', kind: 'bool', help: 'Show extra details provided to logs' },
      { name: 'follow', short: 'f', kind: 'bool', help: 'Follow log output' },
      { name: 'since', kind: 'string', help: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
      { name: 'tail', short: 'n', kind: 'string', help: 'Number of lines to show from the end of the logs', default: 'all' },
      { name: 'timestamps', short: 't', kind: 'bool', help: 'Show timestamps' },
      { name: 'until', kind: 'string', help: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    ],
    exactArgs: 1,
  },
  async run(ctx, p) {
    const client = ctx.client();
    const c = await client.get<{ Id: string; Config: { Tty: boolean } }>(`/containers/${enc(p.args[0])}/json`);
    const { since, until } = sinceUntil(p.str('since'), p.str('until'));
    const res = await client.stream('GET', `/containers/${enc(c.Id)}/logs`, {
      query: {
        stdout: true,
        stderr: true,
        follow: p.bool('follow') || undefined,
        tail: p.str('tail'),
        timestamps: p.bool('timestamps') || undefined,
        details: p.bool('details') || undefined,
        since,
        until,
      },
    });
    if (c.Config.Tty) await copyRaw(res, ctx.out);
    else await demux(res, ctx.out, ctx.err);
    return 0;
  },
};
