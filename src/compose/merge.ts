/**
 * The specification's merge rules, on normalised models: mappings merged key by key, sequences
 * appended, with the exceptions: command, entrypoint and healthcheck.test replaced; ports,
 * volumes, secrets and configs unique by their key (a later entry with the same key replaces
 * the earlier); lists of names (dns, cap_add...) appended without repeats; a logging of another
 * driver replaces the whole. `!reset` paths are removed and `!override` paths replaced.
 */
import type { Dict, FileReference, PortConfig, Service, VolumeMount } from './model.js';
import { portKey } from './normalize/ports.js';
import type { TaggedPath } from './yaml-file.js';

const REPLACED = new Set(['command', 'entrypoint']);
const UNIQUE_LISTS = new Set([
  'dns', 'dns_search', 'dns_opt', 'cap_add', 'cap_drop', 'security_opt', 'expose', 'external_links', 'links',
  'volumes_from', 'tmpfs', 'profiles', 'extra_hosts', 'device_cgroup_rules', 'group_add', 'devices',
]);

const clone = <T>(v: T): T => structuredClone(v);

function isMap(v: unknown): v is Dict {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function mergeBy<T>(base: T[], over: T[], key: (x: T) => string): T[] {
  const out = [...base];
  for (const item of over) {
    const k = key(item);
    const at = out.findIndex((x) => key(x) === k);
    if (at >= 0) out[at] = item;
    else out.push(item);
  }
  return out;
}

/** Generic merge: maps recursively, sequences appended, anything else replaced. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return clone(base);
  if (isMap(base) && isMap(over)) {
    const out: Dict = clone(base);
    for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : clone(v);
    return out;
  }
  if (Array.isArray(base) && Array.isArray(over)) return [...clone(base), ...clone(over)];
  return clone(over);
}

const refKey = (r: FileReference): string => r.target ?? r.source;

/** Merges one service over another (a later file's, or a service over the one it extends). */
export function mergeService(base: Service, over: Service): Service {
  const out: Dict = clone(base);
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (b === undefined || v === null || b === null || REPLACED.has(k)) {
      out[k] = clone(v);
      continue;
    }
    switch (k) {
      case 'ports':
        out[k] = mergeBy(b as PortConfig[], clone(v as PortConfig[]), portKey);
        break;
      case 'volumes':
        out[k] = mergeBy(b as VolumeMount[], clone(v as VolumeMount[]), (m) => m.target);
        break;
      case 'secrets':
      case 'configs':
        out[k] = mergeBy(b as FileReference[], clone(v as FileReference[]), refKey);
        break;
      case 'env_file':
        out[k] = mergeBy(b as Array<{ path: string }>, clone(v as Array<{ path: string }>), (e) => e.path);
        break;
      case 'healthcheck':
        out[k] = { ...(b as Dict), ...clone(v as Dict) };
        break;
      case 'logging': {
        const bl = b as { driver?: string };
        const ol = v as { driver?: string };
        out[k] = ol.driver !== undefined && bl.driver !== undefined && ol.driver !== bl.driver ? clone(v) : deepMerge(b, v);
        break;
      }
      default:
        if (UNIQUE_LISTS.has(k) && Array.isArray(b) && Array.isArray(v)) {
          out[k] = mergeBy(b, clone(v), (x) => JSON.stringify(x));
        } else out[k] = deepMerge(b, v);
    }
  }
  return out as Service;
}

/** A file's model before the project is finished: sections of normalised entries. */
export interface FileModel {
  name?: string;
  services: Record<string, Service>;
  networks: Record<string, Dict>;
  volumes: Record<string, Dict>;
  secrets: Record<string, Dict>;
  configs: Record<string, Dict>;
  extensions: Dict;
}

function getAt(tree: unknown, path: string[]): unknown {
  let node = tree;
  for (const p of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Dict)[p];
  }
  return node;
}

function deleteAt(tree: unknown, path: string[]): void {
  const parent = getAt(tree, path.slice(0, -1));
  if (isMap(parent)) delete parent[path.at(-1)!];
}

function setAt(tree: unknown, path: string[], value: unknown): void {
  let node = tree as Dict;
  for (const p of path.slice(0, -1)) {
    if (!isMap(node[p])) node[p] = {};
    node = node[p] as Dict;
  }
  node[path.at(-1)!] = value;
}

/** Merges a later file's model over the model so far. */
export function mergeFiles(base: FileModel, over: FileModel, tags: TaggedPath[]): FileModel {
  const out = clone(base);
  for (const t of tags) if (t.kind === 'reset') deleteAt(out, t.path);
  if (over.name !== undefined) out.name = over.name;
  for (const [name, s] of Object.entries(over.services)) out.services[name] = out.services[name] ? mergeService(out.services[name]!, s) : clone(s);
  for (const section of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    for (const [name, v] of Object.entries(over[section])) out[section][name] = deepMerge(out[section][name], v) as Dict;
  }
  out.extensions = deepMerge(out.extensions, over.extensions) as Dict;
  for (const t of tags) if (t.kind === 'override') setAt(out, t.path, clone(getAt(over, t.path)));
  return out;
}
