import { InvalidArgument } from '../../core/errors.js';
import type { EngineEvent, EventBus } from '../events.js';
import { labelMatch, normaliseFilters, type Filters } from './container-views.js';
import { parseTime } from './containers.js';
import type { Router } from './router.js';

const FILTER_KEYS = new Set(['container', 'event', 'image', 'label', 'type', 'volume', 'network', 'daemon', 'plugin', 'node', 'service', 'secret', 'config', 'scope']);

/** docker's events --filter: keys AND together, values of one key OR together. */
export function eventMatcher(filters: Filters): (e: EngineEvent) => boolean {
  for (const k of Object.keys(filters)) if (!FILTER_KEYS.has(k)) throw new InvalidArgument(`invalid filter '${k}'`);
  const has = (k: string, pred: (v: string) => boolean): boolean => !filters[k] || filters[k]!.some(pred);
  return (e) => {
    const attrs = e.Actor.Attributes;
    const action = e.Action.split(':')[0]!;
    return has('type', (v) => v === e.Type)
      && has('event', (v) => v === e.Action || v === action)
      && has('container', (v) => e.Type === 'container' && (e.Actor.ID.startsWith(v) || attrs.name === v))
      && has('image', (v) => (e.Type === 'image' && (e.Actor.ID === v || attrs.name === v)) || attrs.image === v || attrs.image === `${v}:latest`)
      && has('network', (v) => e.Type === 'network' && (e.Actor.ID.startsWith(v) || attrs.name === v))
      && has('volume', (v) => e.Type === 'volume' && (e.Actor.ID === v))
      && has('daemon', (v) => e.Type === 'daemon' && (e.Actor.ID === v || attrs.name === v))
      && has('scope', (v) => v === 'local')
      && (!filters.label || filters.label.every((l) => labelMatch(attrs, l)));
  };
}

export function eventRoutes(r: Router, bus: EventBus): void {
  r.on('GET', '/events', async (ctx) => {
    const since = parseTime(ctx.query.get('since'));
    const until = parseTime(ctx.query.get('until'));
    const match = eventMatcher(normaliseFilters(ctx.jsonQuery('filters')));
    const res = ctx.stream('application/json');
    const write = (e: EngineEvent): void => {
      if (match(e)) res.write(JSON.stringify(e) + '\n');
    };
    const now = Date.now();
    if (since !== undefined) for (const e of bus.since(since)) if (until === undefined || e.timeNano / 1e6 <= until) write(e);
    if (until !== undefined && until <= now) {
      res.end();
      return;
    }
    await new Promise<void>((resolve) => {
      const unsubscribe = bus.subscribe((e) => {
        if (until !== undefined && e.timeNano / 1e6 > until) return;
        write(e);
      });
      const timer = until !== undefined ? setTimeout(finish, until - now) : undefined;
      res.on('close', finish);
      function finish(): void {
        unsubscribe();
        if (timer) clearTimeout(timer);
        resolve();
      }
    });
    res.end();
  });
}
