import { InvalidArgument } from '../../core/errors.js';
import type { EngineEvent, EventBus } from '../events.js';
import { labelMatch, normaliseFilters, type Filters } from './container-views.js';
import { parseTime } from './containers.js';
import type { Router } from './router.js';
import { familiarName, parseNormalizedNamed } from '../images/references.js';

const FILTER_KEYS = new Set(['container', 'event', 'image', 'label', 'type', 'volume', 'network', 'daemon', 'plugin', 'node', 'service', 'secret', 'config', 'scope']);

/** The repository without its tag (docker's stripTag); anything unparsable as given. */
function stripTag(image: string): string {
  try {
    return familiarName(parseNormalizedNamed(image));
  } catch {
    return image;
  }
}

/**
 * docker's events --filter (daemon/events/filter.go): keys AND together, values of one key OR
 * together. container, network, volume and daemon match Actor.ID or Attributes.name by prefix,
 * whatever the event's type; image matches the ID or image name, with or without the tag; event
 * matches the whole Action, by prefix when one value is health_status, exec_create or exec_start
 * (actions that carry ": command" or ": status").
 */
export function eventMatcher(filters: Filters): (e: EngineEvent) => boolean {
  for (const k of Object.keys(filters)) if (!FILTER_KEYS.has(k)) throw new InvalidArgument(`invalid filter '${k}'`);
  const values = (k: string): string[] | undefined => filters[k]?.length ? filters[k] : undefined;
  const exact = (k: string, v: string | undefined): boolean => !values(k) || (v !== undefined && values(k)!.includes(v));
  const fuzzy = (k: string, v: string | undefined): boolean => !values(k) || (v !== undefined && values(k)!.some((p) => v.startsWith(p)));
  const byName = (k: string, e: EngineEvent): boolean => !values(k) || fuzzy(k, e.Actor.ID) || fuzzy(k, e.Actor.Attributes.name);
  const fuzzyEvents = (values('event') ?? []).some((v) => v === 'health_status' || v === 'exec_create' || v === 'exec_start');
  return (e) => {
    const attrs = e.Actor.Attributes;
    const imageName = e.Type === 'image' ? attrs.name : attrs.image;
    const imageOk = !values('image') || [e.Actor.ID, imageName, stripTag(e.Actor.ID), imageName === undefined ? undefined : stripTag(imageName)]
      .some((v) => v !== undefined && values('image')!.includes(v));
    return (fuzzyEvents ? fuzzy('event', e.Action) : exact('event', e.Action))
      && exact('type', e.Type)
      && exact('scope', e.scope)
      && byName('daemon', e)
      && byName('container', e)
      && byName('volume', e)
      && byName('network', e)
      && ['plugin', 'node', 'service', 'secret', 'config'].every((k) => byName(k, e))
      && imageOk
      && (!filters.label || filters.label.every((l) => labelMatch(attrs, l)));
  };
}

export function eventRoutes(r: Router, bus: EventBus): void {
  r.on('GET', '/events', async (ctx) => {
    const since = parseTime(ctx.query.get('since'));
    const until = parseTime(ctx.query.get('until'));
    const match = eventMatcher(normaliseFilters(ctx.jsonQuery('filters')));
    if (since !== undefined && until !== undefined && since > until) {
      throw new InvalidArgument(`\`since\` time (${ctx.query.get('since')}) cannot be after \`until\` time (${ctx.query.get('until')})`);
    }
    const res = ctx.stream('application/json');
    const write = (e: EngineEvent): void => {
      if (match(e)) res.write(JSON.stringify(e) + '\n');
    };
    const now = Date.now();
    // As dockerd: the buffered events are replayed when either bound is given (until alone: from the start).
    if (since !== undefined || until !== undefined) for (const e of bus.since(since ?? 0)) if (until === undefined || e.timeNano / 1e6 <= until) write(e);
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
