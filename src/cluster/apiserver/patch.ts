/**
 * PATCH bodies: JSON merge patch (RFC 7386) and JSON patch (RFC 6902). Strategic merge patch is
 * applied as a merge patch for now: lists are replaced rather than merged by their patch merge
 * keys, and `$patch`/`$retainKeys` directives are not interpreted (they are dropped). kubectl's
 * client-side apply of types without keyed lists (ConfigMaps, Secrets, labels, annotations)
 * behaves the same either way.
 */
import { badRequest } from './status.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: { [key: string]: Json } = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

/** A merge patch that ignores strategic merge patch directives (see the file's comment). */
export function strategicAsMergePatch(target: Json, patch: Json): Json {
  return mergePatch(target, stripDirectives(patch));
}

function stripDirectives(patch: Json): Json {
  if (Array.isArray(patch)) return patch.map(stripDirectives);
  if (!isObject(patch)) return patch;
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$') || k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/')) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

interface Op { op: string; path: string; from?: string; value?: Json }

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`the server rejected our request due to an error in our request: invalid JSON pointer ${JSON.stringify(path)}`);
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function clone(v: Json): Json {
  return v === null || typeof v !== 'object' ? v : (JSON.parse(JSON.stringify(v)) as Json);
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw badRequest('the server rejected our request due to an error in our request');
    const op = raw as unknown as Op;
    const missing = (): never => { throw badRequest(`the server rejected our request due to an error in our request: doc is missing path: "${op.path}"`); };
    const tokens = parsePointer(op.path);
    const parentOf = (d: Json, t: string[]): Json => {
      let cur: Json = d;
      for (const k of t.slice(0, -1)) {
        const next: Json | undefined = Array.isArray(cur) ? cur[Number(k)] : isObject(cur) ? cur[k] : undefined;
        if (next === undefined) return missing();
        cur = next;
      }
      return cur;
    };
    const get = (d: Json, t: string[]): Json => {
      let cur: Json = d;
      for (const k of t) {
        const next: Json | undefined = Array.isArray(cur) ? cur[Number(k)] : isObject(cur) ? cur[k] : undefined;
        if (next === undefined) return missing();
        cur = next;
      }
      return cur;
    };
    const remove = (d: Json, t: string[]): Json => {
      if (t.length === 0) return null;
      const parent = parentOf(d, t);
      const key = t[t.length - 1];
      if (Array.isArray(parent)) {
        const i = Number(key);
        if (!Number.isInteger(i) || i < 0 || i >= parent.length) missing();
        parent.splice(i, 1);
      } else if (isObject(parent) && key in parent) delete parent[key];
      else missing();
      return d;
    };
    const add = (d: Json, t: string[], value: Json, replace: boolean): Json => {
      if (t.length === 0) return value;
      const parent = parentOf(d, t);
      const key = t[t.length - 1];
      if (Array.isArray(parent)) {
        const i = key === '-' ? parent.length : Number(key);
        if (!Number.isInteger(i) || i < 0 || i > parent.length || (replace && i === parent.length)) missing();
        if (replace) parent[i] = value;
        else parent.splice(i, 0, value);
      } else if (isObject(parent)) {
        if (replace && !(key in parent)) missing();
        parent[key] = value;
      } else missing();
      return d;
    };
    switch (op.op) {
      case 'add': doc = add(doc, tokens, clone(op.value ?? null), false); break;
      case 'replace': doc = add(doc, tokens, clone(op.value ?? null), true); break;
      case 'remove': doc = remove(doc, tokens); break;
      case 'move': {
        const from = parsePointer(op.from ?? '');
        const v = get(doc, from);
        doc = add(remove(doc, from), tokens, v, false);
        break;
      }
      case 'copy': doc = add(doc, tokens, clone(get(doc, parsePointer(op.from ?? ''))), false); break;
      case 'test':
        if (JSON.stringify(get(doc, tokens)) !== JSON.stringify(op.value ?? null)) {
          throw badRequest(`the server rejected our request due to an error in our request: testing value ${op.path} failed`);
        }
        break;
      default: throw badRequest(`the server rejected our request due to an error in our request: Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}
