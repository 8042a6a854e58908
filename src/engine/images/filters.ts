/**
 * docker's image filters (`images --filter`, `image prune --filter`): dangling, label, label!,
 * before, since, reference, until.
 */
import { userRegExp } from '../../core/patterns.js';
import { parseTimestamp } from '../../core/units.js';
import { InvalidArgument } from '../../core/errors.js';
import type { Image } from './types.js';
import { familiarName, familiarString, parseNormalizedNamed } from './references.js';

/** Filters as the Engine API carries them: {"key": ["v1", ...]} or legacy {"key": {"v1": true}}. */
export type FilterArgs = Map<string, string[]>;

export function parseFilters(json: string | undefined | null): FilterArgs {
  const out: FilterArgs = new Map();
  if (!json) return out;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new InvalidArgument(`invalid filter: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgument('invalid filter: expected an object');
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (Array.isArray(v)) out.set(k, v.map(String));
    else if (typeof v === 'object' && v !== null) out.set(k, Object.keys(v).filter((x) => (v as Record<string, unknown>)[x]));
    else throw new InvalidArgument(`invalid filter '${k}'`);
  }
  return out;
}

/** Go's path.Match: `*` and `?` never match `/`; `[...]` classes with ranges and `^`/`!`. */
export function pathMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += '\\' + pattern[++i]!;
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new InvalidArgument('syntax error in pattern');
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += `[${cls.replace(/\\(?!\])/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  const r = userRegExp(re + '$');
  // A class JavaScript refuses ([z-a]) is one Go's path.Match refuses too.
  if (!r) throw new InvalidArgument('syntax error in pattern');
  return r.test(name);
}

/** reference.FamiliarMatch: the pattern against the familiar string, then the familiar name. */
export function familiarMatch(pattern: string, ref: string): boolean {
  const r = parseNormalizedNamed(ref);
  return pathMatch(pattern, familiarString(r)) || pathMatch(pattern, familiarName(r));
}

const IMAGE_FILTERS = new Set(['dangling', 'label', 'label!', 'before', 'since', 'reference', 'until']);
const PRUNE_FILTERS = new Set(['dangling', 'label', 'label!', 'until']);

function parseBool(key: string, v: string): boolean {
  if (['true', '1'].includes(v.toLowerCase())) return true;
  if (['false', '0'].includes(v.toLowerCase())) return false;
  throw new InvalidArgument(`Invalid filter '${key}=${v}'`);
}

export function createdMs(img: Image): number {
  const t = img.config.created ? Date.parse(img.config.created) : NaN;
  return Number.isNaN(t) ? img.storedAt : t;
}

export interface ImageFilterOptions {
  /** Resolves before=/since= references to images (NotFound propagates: docker's wording). */
  resolve: (ref: string) => Image;
  /** For `image prune`: a narrower set of keys. */
  prune?: boolean;
}

export interface ImageMatcher {
  match(img: Image): boolean;
  /** With reference=: the image's tags that matched (docker shows only those). */
  matchingTags(img: Image): string[];
  /** The image's digest references the reference filters match (all without one), as dockerd lists them. */
  matchingDigests(img: Image): string[];
}

function labelMatch(labels: Record<string, string>, spec: string): boolean {
  const eq = spec.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, spec);
  const k = spec.slice(0, eq);
  return Object.hasOwn(labels, k) && labels[k] === spec.slice(eq + 1);
}

/** Compiles filters into a predicate; invalid keys and values are InvalidArgument as docker says. */
export function imageFilter(filters: FilterArgs, opts: ImageFilterOptions): ImageMatcher {
  const allowed = opts.prune ? PRUNE_FILTERS : IMAGE_FILTERS;
  for (const k of filters.keys()) if (!allowed.has(k)) throw new InvalidArgument(`invalid filter '${k}'`);
  const get = (k: string): string[] => filters.get(k) ?? [];
  let dangling: boolean | undefined;
  for (const v of get('dangling')) {
    const b = parseBool('dangling', v);
    if (dangling !== undefined && dangling !== b) throw new InvalidArgument(`Invalid filter 'dangling=${v}'`);
    dangling = b;
  }
  const beforeTimes = get('before').map((r) => createdMs(opts.resolve(r)));
  const sinceTimes = get('since').map((r) => createdMs(opts.resolve(r)));
  const untilTimes = get('until').map((v) => parseTimestamp(v));
  const refPatterns = get('reference');
  const labels = get('label');
  const notLabels = get('label!');

  const matching = (refs: string[]): string[] => (refPatterns.length === 0 ? refs : refs.filter((t) => refPatterns.some((p) => familiarMatch(p, t))));
  return {
    matchingTags: (img) => matching(img.repoTags),
    matchingDigests: (img) => matching(img.repoDigests),
    match(img: Image): boolean {
      const isDangling = img.repoTags.length === 0 && img.repoDigests.length === 0;
      if (dangling !== undefined && dangling !== isDangling) return false;
      const c = createdMs(img);
      if (beforeTimes.some((t) => c >= t)) return false;
      if (sinceTimes.some((t) => c <= t)) return false;
      if (untilTimes.some((t) => c >= t)) return false;
      const l = img.config.config?.Labels ?? {};
      if (labels.length && !labels.every((s) => labelMatch(l, s))) return false;
      if (notLabels.length && notLabels.some((s) => labelMatch(l, s))) return false;
      if (refPatterns.length) {
        const all = [...img.repoTags, ...img.repoDigests];
        if (!all.some((t) => refPatterns.some((p) => familiarMatch(p, t)))) return false;
      }
      return true;
    },
  };
}
