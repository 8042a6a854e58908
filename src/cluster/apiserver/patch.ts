/**
 * PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch.
 * The strategic patch knows the built-in types' merge keys by field name (containers by name,
 * container ports by containerPort, service ports by port, ...) rather than from their Go
 * struct tags or OpenAPI, and reads the directives `$patch` (delete/replace/merge),
 * `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>` and `$retainKeys`. Lists of
 * fields without a merge key are replaced, as for unkeyed lists in Kubernetes.
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

/** Merge keys of keyed lists, by field name (from the built-in types' patchMergeKey tags). */
const MERGE_KEYS: Readonly<Record<string, string | ((items: readonly Json[]) => string)>> = {
  containers: 'name', initContainers: 'name', ephemeralContainers: 'name', env: 'name', volumes: 'name',
  volumeMounts: 'mountPath', volumeDevices: 'devicePath', imagePullSecrets: 'name', hostAliases: 'ip',
  conditions: 'type', ownerReferences: 'uid', topologySpreadConstraints: 'topologyKey', resourceClaims: 'name',
  // a container's ports are keyed by containerPort, a service's by port
  ports: (items) => (items.some((i) => isObject(i) && 'containerPort' in i) ? 'containerPort' : 'port'),
};

/** Lists of scalars that merge as sets (patchStrategy merge without a key). */
const MERGED_SCALAR_LISTS = new Set(['finalizers']);

export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch.$patch === 'delete') return null;
  const out: { [key: string]: Json } = isObject(target) ? { ...target } : {};
  const retain = Array.isArray(patch.$retainKeys) ? new Set(patch.$retainKeys.filter((k): k is string => typeof k === 'string')) : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      const cur = out[field];
      if (Array.isArray(cur)) out[field] = cur.filter((x) => !drop.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const cur = out[k];
    if (Array.isArray(v)) out[k] = mergeList(k, Array.isArray(cur) ? cur : [], v, patch[`$setElementOrder/${k}`]);
    else if (isObject(v)) out[k] = strategicMergePatch(cur ?? null, v);
    else out[k] = v;
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.has(k)) delete out[k];
  return out;
}

function mergeList(field: string, current: Json[], patch: Json[], order: Json | undefined): Json[] {
  if (patch.length === 1 && isObject(patch[0]) && patch[0].$patch === 'replace') return [];
  if (MERGED_SCALAR_LISTS.has(field)) {
    const seen = new Set(current.map((x) => JSON.stringify(x)));
    return [...current, ...patch.filter((x) => !seen.has(JSON.stringify(x)))];
  }
  const keyRule = MERGE_KEYS[field];
  if (keyRule === undefined || !patch.every(isObject)) return patch.map(stripDirectives);
  const key = typeof keyRule === 'string' ? keyRule : keyRule([...current, ...patch]);
  const out = [...current];
  const indexOf = (k: Json | undefined): number => out.findIndex((x) => isObject(x) && JSON.stringify(x[key]) === JSON.stringify(k));
  for (const item of patch as { [key: string]: Json }[]) {
    const i = indexOf(item[key]);
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = strategicMergePatch(out[i], item);
    else out.push(strategicMergePatch(null, item));
  }
  if (Array.isArray(order)) {
    // $setElementOrder lists the keys in their order: items it names come first, in it
    const rank = new Map(order.map((o, n) => [JSON.stringify(isObject(o) ? o[key] : o), n]));
    const at = (x: Json): number => rank.get(JSON.stringify(isObject(x) ? x[key] : x)) ?? Infinity;
    out.sort((a, b) => at(a) - at(b));
  }
  return out;
}

function stripDirectives(patch: Json): Json {
  if (Array.isArray(patch)) return patch.map(stripDirectives);
  if (!isObject(patch)) return patch;
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
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
