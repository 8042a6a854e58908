/**
 * Field sets as structured-merge-diff has them (sigs.k8s.io/structured-merge-diff fieldpath):
 * the paths of an object's fields, in the FieldsV1 format of managedFields (`f:name` a field,
 * `k:{"name":"c"}` an item of a list keyed by its merge keys, `v:"x"` an item of a set, `.` the
 * node itself), and the apply merge over them. The list types and keys are those of the built-in
 * types, by field name, as patch.ts has them for strategic merge.
 */
import { isObj, type Obj } from './object.js';
import type { Json } from './patch.js';

/** A path's elements joined by SEP: `f:spec` SEP `f:replicas`. */
export type PathKey = string;
const SEP = '\u0001';

/** Each member path of an object, with its value's fingerprint (a leaf's JSON, "." for a node). */
export type FieldValues = Map<PathKey, string>;

/** Keys of associative lists (x-kubernetes-list-map-keys), by field name. */
function listKeys(field: string, items: readonly Json[]): readonly string[] | 'set' | undefined {
  switch (field) {
    case 'finalizers': return 'set';
    case 'containers': case 'initContainers': case 'ephemeralContainers': case 'env': case 'volumes': case 'imagePullSecrets': case 'resourceClaims':
      return ['name'];
    case 'volumeMounts': return ['mountPath'];
    case 'volumeDevices': return ['devicePath'];
    case 'hostAliases': return ['ip'];
    case 'conditions': return ['type'];
    case 'ownerReferences': return ['uid'];
    case 'topologySpreadConstraints': return ['topologyKey', 'whenUnsatisfiable'];
    case 'ports': return items.some((i) => isObj(i) && 'containerPort' in i) ? ['containerPort', 'protocol'] : ['port', 'protocol'];
    default: return undefined;
  }
}

/** Key fields with a schema default (a port's protocol): an item that omits them has the default. */
const KEY_DEFAULTS: Readonly<Record<string, Json>> = { protocol: 'TCP' };

/** Maps replaced whole (x-kubernetes-map-type: atomic): label selectors. */
function atomicMap(field: string): boolean {
  return field === 'selector';
}

/**
 * Fields a typed object always has (structs, and lists without omitempty), so that creating one
 * adds only what is under them: their own path is not a member (no "." in FieldsV1).
 */
const ALWAYS_PRESENT = new Set(['metadata', 'spec', 'status', 'template', 'strategy', 'updateStrategy', 'resources', 'containers', 'rules']);

function itemKey(keys: readonly string[], item: Json): string | undefined {
  if (!isObj(item)) return undefined;
  const k: Obj = {};
  for (const name of [...keys].sort()) {
    const v = item[name] ?? KEY_DEFAULTS[name];
    if (v === undefined) return undefined;
    k[name] = v;
  }
  return `k:${JSON.stringify(k)}`;
}

/** The list's keying, or undefined when it is atomic (no keys, or an item without them). */
function keying(field: string, items: readonly Json[]): readonly string[] | 'set' | undefined {
  const keys = listKeys(field, items);
  if (keys === undefined || keys === 'set') return keys;
  return items.every((i) => itemKey(keys, i) !== undefined) ? keys : undefined;
}

/** The member paths of o below prefix (the object's root: []), with their values. */
export function fieldValues(o: Obj, skip: (path: readonly string[]) => boolean = () => false): FieldValues {
  const out: FieldValues = new Map();
  const walk = (v: Json, path: string[], field: string): void => {
    if (skip(path)) return;
    const key = path.join(SEP);
    if (Array.isArray(v)) {
      const keys = keying(field, v);
      if (keys === undefined || v.length === 0) {
        out.set(key, JSON.stringify(v));
        return;
      }
      if (path.length > 0 && !ALWAYS_PRESENT.has(field)) out.set(key, '.');
      for (const item of v) {
        if (keys === 'set') {
          out.set([...path, `v:${JSON.stringify(item)}`].join(SEP), JSON.stringify(item));
          continue;
        }
        const p = [...path, itemKey(keys, item) as string];
        out.set(p.join(SEP), '.');
        walkObject(item as Obj, p);
      }
      return;
    }
    if (isObj(v) && !atomicMap(field) && Object.keys(v).length > 0) {
      if (path.length > 0 && !ALWAYS_PRESENT.has(field)) out.set(key, '.');
      walkObject(v, path);
      return;
    }
    if (path.length > 0) out.set(key, JSON.stringify(v));
  };
  const walkObject = (v: Obj, path: string[]): void => {
    for (const [k, x] of Object.entries(v)) walk(x, [...path, `f:${k}`], k);
  };
  walk(o, [], '');
  return out;
}

/** The paths managers do not own: identity and server-maintained metadata (fieldmanager's stripMeta). */
export function systemField(path: readonly string[]): boolean {
  if (path.length === 1) return path[0] === 'f:apiVersion' || path[0] === 'f:kind';
  return path.length === 2 && path[0] === 'f:metadata' && [
    'f:name', 'f:namespace', 'f:uid', 'f:resourceVersion', 'f:generation', 'f:creationTimestamp', 'f:selfLink',
    'f:managedFields', 'f:deletionTimestamp', 'f:deletionGracePeriodSeconds',
  ].includes(path[1]);
}

/** The FieldsV1 document of a set of paths. */
export function toFieldsV1(paths: Iterable<PathKey>): Obj {
  const members = new Set(paths);
  const root: Obj = {};
  for (const key of [...members].sort()) {
    let node = root;
    for (const el of key.split(SEP)) {
      if (!isObj(node[el])) node[el] = {};
      node = node[el] as Obj;
    }
  }
  // A node with children is a member only through ".": leaves are `{}`.
  const mark = (node: Obj, members: Set<string>, prefix: string[]): void => {
    for (const [el, child] of Object.entries(node)) {
      const p = [...prefix, el];
      const c = child as Obj;
      if (Object.keys(c).length > 0) {
        mark(c, members, p);
        if (members.has(p.join(SEP))) node[el] = { '.': {}, ...c };
      }
    }
  };
  mark(root, members, []);
  return root;
}

/** The paths of a FieldsV1 document. */
export function fromFieldsV1(doc: Json | undefined): Set<PathKey> {
  const out = new Set<PathKey>();
  const walk = (node: Obj, prefix: string[]): void => {
    for (const [el, child] of Object.entries(node)) {
      if (el === '.') {
        if (prefix.length > 0) out.add(prefix.join(SEP));
        continue;
      }
      const c = isObj(child) ? child : {};
      if (Object.keys(c).length === 0) out.add([...prefix, el].join(SEP));
      else walk(c, [...prefix, el]);
    }
  };
  if (isObj(doc)) walk(doc, []);
  return out;
}

/** `.spec.template.spec.containers[name="web"].image`, as fieldpath.Path prints. */
export function pathString(key: PathKey): string {
  return key.split(SEP).map((el) => {
    const body = el.slice(2);
    if (el.startsWith('f:')) return `.${body}`;
    if (el.startsWith('v:')) return `[=${body}]`;
    if (el.startsWith('i:')) return `[${body}]`;
    const k = JSON.parse(body) as Obj;
    return `[${Object.entries(k).map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(',')}]`;
  }).join('');
}

export function under(key: PathKey, prefix: PathKey): boolean {
  return key.startsWith(prefix + SEP);
}

/** The apply merge of config into live: maps by key, keyed lists by their keys, sets as unions, the rest replaced. */
export function applyMerge(live: Json | undefined, config: Json, field = ''): Json {
  if (Array.isArray(config)) {
    const cur = Array.isArray(live) ? live : [];
    const keys = keying(field, [...cur, ...config]);
    if (keys === 'set') {
      const seen = new Set(cur.map((x) => JSON.stringify(x)));
      return [...cur, ...config.filter((x) => !seen.has(JSON.stringify(x)))];
    }
    if (keys === undefined) return config;
    const out = [...cur];
    for (const item of config) {
      const k = itemKey(keys, item);
      const i = out.findIndex((x) => itemKey(keys, x) === k);
      if (i >= 0) out[i] = applyMerge(out[i], item);
      else out.push(item);
    }
    return out;
  }
  if (isObj(config) && isObj(live) && !atomicMap(field)) {
    const out: Obj = { ...live };
    for (const [k, v] of Object.entries(config)) out[k] = applyMerge(live[k], v, k);
    return out;
  }
  return config;
}

/**
 * Takes the fields at paths out of o (the applier's fields it no longer sets and no one else
 * owns). A node's own path removes the node only when nothing under it is still owned.
 */
export function removeFields(o: Obj, paths: Iterable<PathKey>, owned: ReadonlySet<PathKey>): void {
  // Shallowest first: a list item goes while its keys are still there to find it by.
  const sorted = [...paths].sort((a, b) => a.split(SEP).length - b.split(SEP).length);
  for (const key of sorted) {
    if ([...owned].some((k) => under(k, key))) continue;
    const els = key.split(SEP);
    let node: Json | undefined = o;
    let field = '';
    for (const el of els.slice(0, -1)) {
      node = step(node, el, field);
      if (el.startsWith('f:')) field = el.slice(2);
      if (node === undefined) break;
    }
    if (node === undefined) continue;
    const last = els[els.length - 1];
    if (last.startsWith('f:') && isObj(node)) delete node[last.slice(2)];
    else if (Array.isArray(node)) {
      const i = node.findIndex((x) => elementOf(field, node as Json[], x) === last);
      if (i >= 0) node.splice(i, 1);
    }
  }
}

function elementOf(field: string, list: readonly Json[], item: Json): string | undefined {
  const keys = keying(field, list);
  if (keys === 'set') return `v:${JSON.stringify(item)}`;
  return keys === undefined ? undefined : itemKey(keys, item);
}

function step(node: Json | undefined, el: string, field: string): Json | undefined {
  if (el.startsWith('f:')) return isObj(node) ? node[el.slice(2)] : undefined;
  if (!Array.isArray(node)) return undefined;
  return node.find((x) => elementOf(field, node, x) === el);
}
