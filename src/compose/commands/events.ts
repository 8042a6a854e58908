/** `compose events`: the engine's container events of the project, as compose prints them (or --json). */
import type { ComposeCommand } from '../cli/context.js';
import { jsonStream } from '../../cli/progress.js';
import { LABEL, projectFilter } from '../engine/labels.js';
import { api } from './common.js';

interface EngineEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  timeNano?: number;
  time?: number;
}

function stamp(ns: number | undefined): string {
  const ms = Math.floor((ns ?? Date.now() * 1e6) / 1e6);
  const micro = String(Math.floor(((ns ?? 0) % 1e9) / 1e3)).padStart(6, '0');
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)}.${micro}`;
}

export const command: ComposeCommand = {
  spec: {
    name: 'compose events',
    usage: '[OPTIONS] [SERVICE...]',
    description: 'Receive real time events from containers',
    flags: [{ name: 'json', kind: 'bool', help: 'Output events as a stream of json objects' }],
  },
  async run(c, p) {
    const filters = JSON.parse(projectFilter(c.projectName())) as Record<string, string[]>;
    filters.type = ['container'];
    const stream = await api(c).events(JSON.stringify(filters));
    for await (const raw of jsonStream(stream)) {
      const e = raw as unknown as EngineEvent;
      const attrs = { ...(e.Actor?.Attributes ?? {}) };
      const service = attrs[LABEL.service] ?? '';
      if (p.args.length && !p.args.includes(service)) continue;
      for (const k of Object.keys(attrs)) if (k.startsWith('com.docker.compose.')) delete attrs[k];
      if (p.bool('json')) {
        c.out.write(`${JSON.stringify({ action: e.Action, attributes: attrs, id: e.Actor?.ID, service, time: new Date(Math.floor((e.timeNano ?? 0) / 1e6)).toISOString(), type: 'container' })}\n`);
      } else {
        const a = Object.entries(attrs).sort().map(([k, v]) => `${k}=${v}`).join(', ');
        c.out.write(`${stamp(e.timeNano)} container ${e.Action} ${e.Actor?.ID ?? ''} (${a})\n`);
      }
    }
    return 0;
  },
};
