/**
 * Small conversions the normaliser shares: KEY=VALUE lists as maps, strings as lists, values a
 * variable stood for cast to their key's type (compose-go's casting), shell words, durations and
 * byte sizes.
 */
import { goDuration, parseGoDuration } from '../../core/units.js';
import { parseRamBytes } from '../../cli/format.js';

/** A problem with a value: the message is prefixed with where the value sits. */
export class NormalizeError extends Error {
  override name = 'NormalizeError';
}

export function fail(at: string, msg: string): never {
  throw new NormalizeError(`${at}: ${msg}`);
}

function scalarText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  return String(v);
}

/**
 * A list of `KEY=VALUE` (or `KEY` alone: null, or `sep` another separator) or a map, as a map of
 * strings; a value left null in a map stays null (unset).
 */
export function toMap(v: unknown, sep = '='): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const i = s.indexOf(sep);
      if (i < 0) out[s] = null;
      else out[s.slice(0, i)] = s.slice(i + 1);
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) out[k] = scalarText(x);
  }
  return out;
}

/** toMap where an unset value means the empty string (labels, sysctls, annotations). */
export function toStringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(toMap(v))) out[k] = x ?? '';
  return out;
}

export function toList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v.map((x) => String(x)) : [String(v)];
}

export function toBool(v: unknown, at: string): boolean {
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (['true', 'yes', 'y', 'on', '1'].includes(s)) return true;
  if (['false', 'no', 'n', 'off', '0', ''].includes(s)) return false;
  return fail(at, `invalid boolean ${JSON.stringify(v)}`);
}

export function toInt(v: unknown, at: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^[-+]?\d+$/.test(v.trim())) return Number(v.trim());
  return fail(at, `invalid integer ${JSON.stringify(v)}`);
}

export function toNumber(v: unknown, at: string): number {
  if (typeof v === 'number') return v;
  const n = Number(String(v).trim());
  if (String(v).trim() === '' || Number.isNaN(n)) return fail(at, `invalid number ${JSON.stringify(v)}`);
  return n;
}

/** A byte size: a number of bytes, or "64m", "1.5g" (binary units, as docker's). */
export function toBytes(v: unknown, at: string): number {
  if (typeof v === 'number') return v;
  try {
    return parseRamBytes(String(v).trim());
  } catch (e) {
    return fail(at, (e as Error).message);
  }
}

/** A duration as Go prints it ("1m30s"), from "90s", "1m30s", "1.5s" or a number of seconds. */
export function toDuration(v: unknown, at: string): string {
  const ns = typeof v === 'number' ? v * 1e9 : parseGoDuration(String(v).trim());
  if (ns === undefined) return fail(at, `invalid duration ${JSON.stringify(v)}`);
  return goDuration(ns);
}

/** Milliseconds of a duration in the model ("1m30s"). */
export function durationMs(d: string | undefined): number | undefined {
  if (d === undefined) return undefined;
  const ns = parseGoDuration(d);
  return ns === undefined ? undefined : ns / 1e6;
}

/** Words of a shell command as go-shellwords splits them (quotes and backslashes, no expansion). */
export function shellSplit(s: string, at: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += s[i + 1];
      inWord = true;
      i += 2;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = s.indexOf(c, i + 1);
      if (end < 0) fail(at, `invalid command line string`);
      let part = s.slice(i + 1, end);
      if (c === '"') part = part.replace(/\\(["\\$`])/g, '$1');
      cur += part;
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
      continue;
    }
    cur += c;
    inWord = true;
    i++;
  }
  if (inWord) words.push(cur);
  return words;
}
