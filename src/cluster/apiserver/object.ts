/** The API objects handlers pass around: JSON objects with metadata, and small accessors. */
import type { Json } from './patch.js';

export type Obj = { [key: string]: Json };

export interface Meta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** metadata as a typed view (the object itself is not copied). */
export function meta(o: Obj): Meta & Obj {
  if (!isObj(o.metadata)) o.metadata = {};
  return o.metadata as Meta & Obj;
}

/** The value at a dotted path, or undefined. */
export function at(o: Json, path: string): Json | undefined {
  let cur: Json | undefined = o;
  for (const k of path.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export function stringMap(v: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** RFC 3339 in seconds, as metav1.Time marshals. */
export function timestamp(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
