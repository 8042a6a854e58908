import type { Command } from '../command.js';
import { encodeFilters } from '../client.js';
import { println } from '../command.js';
import { StatusError } from '../flags.js';
import { rfc3339NanoFixed, timestampArg } from '../format.js';
import { compile } from '../listing.js';
import { jsonStream } from '../progress.js';

interface EventMessage {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> | null };
  scope?: string;
  time?: number;
  timeNano?: number;
  status?: string;
  id?: string;
  from?: string;
}

/** docker's prettyPrintEvent. */
export function prettyEvent(e: EventMessage): string {
  let s = '';
  if (e.timeNano) s += `${rfc3339NanoFixed(BigInt(e.timeNano))} `;
  else if (e.time) s += `${rfc3339NanoFixed(BigInt(e.time) * 1000000000n)} `;
  s += `${e.Type ?? ''} ${e.Action ?? ''} ${e.Actor?.ID ?? ''}`;
  const attrs = e.Actor?.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length) s += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return s;
}

export const command: Command = {
  spec: {
    name: 'events',
    usage: '[OPTIONS]',
    description: 'Get real time events from the server',
    aliases: ['system events', 'events'],
    flags: [
      { name: 'filter', short: 'f', kind: 'list', type: 'filter', help: 'Filter output based on conditions provided' },
      { name: 'format', kind: 'string', help: 'Format output using a custom template' },
      { name: 'since', kind: 'string', help: 'Show all events created since timestamp' },
      { name: 'until', kind: 'string', help: 'Stream events until this timestamp' },
    ],
    maxArgs: 0,
  },
  async run(ctx, p) {
    let since: string | undefined;
    let until: string | undefined;
    try {
      since = p.str('since') ? timestampArg(p.str('since')) : undefined;
      until = p.str('until') ? timestampArg(p.str('until')) : undefined;
    } catch (e) {
      throw new StatusError((e as Error).message, 1);
    }
    const format = p.str('format');
    const tmpl = format ? compile(format === 'json' ? '{{json .}}' : format) : undefined;
    const res = await ctx.client().stream('GET', '/events', { query: { since, until, filters: encodeFilters(p.list('filter')) } });
    for await (const e of jsonStream(res)) {
      println(ctx.out, tmpl ? tmpl.execute(e) : prettyEvent(e as EventMessage));
    }
    return 0;
  },
};
