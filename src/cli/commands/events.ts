import type { Command } from '../command.js';
import { encodeFilters } from '../client.js';
import { println } from '../command.js';
import { rfc3339NanoFixed, sinceUntil } from '../format.js';
import { compile } from '../listing.js';
import { streamLines } from '../progress.js';

interface EventMessage {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> | null };
  scope?: string;
  time?: number;
  status?: string;
  id?: string;
  from?: string;
}

/**
 * events.Message as docker's CLI holds it: Go field names for templates, JSON in the struct's
 * order with attributes sorted, and timeNano kept exact (it does not fit a double).
 */
export class Event {
  readonly Status: string;
  readonly ID: string;
  readonly From: string;
  readonly Type: string;
  readonly Action: string;
  readonly Actor: { ID: string; Attributes: Record<string, string> | null };
  readonly Scope: string;
  readonly Time: number;
  readonly TimeNano: bigint;

  constructor(m: EventMessage, timeNano: bigint) {
    this.Status = m.status ?? '';
    this.ID = m.id ?? '';
    this.From = m.from ?? '';
    this.Type = m.Type ?? '';
    this.Action = m.Action ?? '';
    const attrs = m.Actor?.Attributes;
    this.Actor = { ID: m.Actor?.ID ?? '', Attributes: attrs ? Object.fromEntries(Object.keys(attrs).sort().map((k) => [k, attrs[k]])) : null };
    this.Scope = m.scope ?? '';
    this.Time = m.time ?? 0;
    this.TimeNano = timeNano;
  }

  /** One line of the stream: the exact timeNano is read from the text before JSON.parse rounds it. */
  static parse(line: string): Event {
    const m = JSON.parse(line) as EventMessage;
    const nano = /"timeNano"\s*:\s*(\d+)/.exec(line);
    return new Event(m, nano ? BigInt(nano[1]) : BigInt(m.time ?? 0) * 1000000000n);
  }

  goJSON(): string {
    const parts: string[] = [];
    const str = (v: unknown): string => JSON.stringify(v);
    if (this.Status) parts.push(`"status":${str(this.Status)}`);
    if (this.ID) parts.push(`"id":${str(this.ID)}`);
    if (this.From) parts.push(`"from":${str(this.From)}`);
    parts.push(`"Type":${str(this.Type)}`, `"Action":${str(this.Action)}`, `"Actor":${str(this.Actor)}`);
    if (this.Scope) parts.push(`"scope":${str(this.Scope)}`);
    if (this.Time) parts.push(`"time":${this.Time}`);
    if (this.TimeNano) parts.push(`"timeNano":${this.TimeNano}`);
    return `{${parts.join(',')}}`;
  }
}

/** docker's prettyPrintEvent. */
export function prettyEvent(e: Event): string {
  let s = '';
  if (e.TimeNano) s += `${rfc3339NanoFixed(e.TimeNano)} `;
  else if (e.Time) s += `${rfc3339NanoFixed(BigInt(e.Time) * 1000000000n)} `;
  s += `${e.Type} ${e.Action} ${e.Actor.ID}`;
  const attrs = e.Actor.Attributes ?? {};
  const keys = Object.keys(attrs);
  if (keys.length) s += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return s;
}

/** The newline-delimited JSON stream, one event per line. */
async function* events(src: AsyncIterable<unknown>): AsyncGenerator<Event> {
  for await (const line of streamLines(src)) yield Event.parse(line);
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
    const { since, until } = sinceUntil(p.str('since'), p.str('until'));
    const format = p.str('format');
    const tmpl = format ? compile(format === 'json' ? '{{json .}}' : format) : undefined;
    const res = await ctx.client().stream('GET', '/events', { query: { since, until, filters: encodeFilters(p.list('filter')) } });
    for await (const e of events(res)) {
      println(ctx.out, tmpl ? tmpl.execute(e) : prettyEvent(e));
    }
    return 0;
  },
};
