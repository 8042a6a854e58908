/**
 * metadata.managedFields (k8s.io/apiserver's fieldmanager): who owns which fields. Every create,
 * update and patch gives its manager (operation Update) the fields it changed, and takes them
 * from the others; server-side apply (apply.ts) replaces its manager's set (operation Apply).
 */
import type { ResourceType } from '../types/resources.js';
import { fieldValues, fromFieldsV1, systemField, toFieldsV1, type FieldValues, type PathKey } from './fieldset.js';
import { isObj, meta, timestamp, type Obj } from './object.js';
import type { Json } from './patch.js';

export interface Manager {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly apiVersion: string;
  /** Empty for the main resource. */
  readonly subresource: string;
  time: string;
  fields: Set<PathKey>;
}

/** Who writes: the manager's name and the subresource written through (undefined: the main resource). */
export interface Writer {
  readonly manager: string;
  readonly subresource?: string;
}

/** The manager of a request: ?fieldManager=, else the User-Agent's first part (kube-apiserver's prefixFromUserAgent). */
export function managerOf(query: URLSearchParams, userAgent: string | undefined): string {
  const m = query.get('fieldManager');
  if (m !== null && m !== '') return m;
  const ua = (userAgent ?? '').split('/')[0];
  return ua === '' ? 'unknown' : ua.slice(0, 128);
}

export function identity(m: Pick<Manager, 'manager' | 'operation' | 'subresource'>): string {
  return JSON.stringify([m.manager, m.operation, m.subresource]);
}

export function decodeManaged(o: Obj): Manager[] {
  const list = meta(o).managedFields;
  if (!Array.isArray(list)) return [];
  const out: Manager[] = [];
  for (const e of list) {
    if (!isObj(e) || typeof e.manager !== 'string') continue;
    out.push({
      manager: e.manager, operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '', subresource: typeof e.subresource === 'string' ? e.subresource : '',
      time: typeof e.time === 'string' ? e.time : '', fields: fromFieldsV1(e.fieldsV1),
    });
  }
  return out;
}

/** The managedFields list, sorted as kube-apiserver sorts it (operation, time, manager). */
export function encodeManaged(managers: readonly Manager[]): Json[] {
  return managers.filter((m) => m.fields.size > 0)
    .sort((a, b) => a.operation.localeCompare(b.operation) || a.time.localeCompare(b.time) || a.manager.localeCompare(b.manager))
    .map((m) => {
      const e: Obj = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion, time: m.time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(m.fields) };
      if (m.subresource !== '') e.subresource = m.subresource;
      return e;
    });
}

/** The fields a manager can own through this endpoint: not system metadata; status only through /status when the type has it. */
export function ownedValues(t: ResourceType, o: Obj, subresource = ''): FieldValues {
  const statusSub = (t.subresources ?? []).includes('status');
  return fieldValues(o, (path) => {
    if (systemField(path)) return true;
    if (path.length !== 1 || !statusSub) return false;
    return subresource === 'status' ? path[0] !== 'f:status' && path[0] !== 'f:metadata' : path[0] === 'f:status';
  });
}

/** What changed between two value maps: added or modified paths, and removed ones. */
export function compare(before: FieldValues, after: FieldValues): { changed: Set<PathKey>; removed: Set<PathKey> } {
  const changed = new Set<PathKey>();
  const removed = new Set<PathKey>();
  for (const [k, v] of after) if (before.get(k) !== v) changed.add(k);
  for (const k of before.keys()) if (!after.has(k)) removed.add(k);
  return { changed, removed };
}

/**
 * The managedFields of next after an update by writer (fieldmanager's Update): the managers are
 * those next carries when the client sent some, else current's.
 */
export function updateManagedFields(t: ResourceType, current: Obj | undefined, next: Obj, writer: Writer, apiVersion: string, now = new Date()): void {
  const sent = decodeManaged(next);
  const managers = sent.length > 0 || current === undefined ? sent : decodeManaged(current);
  const sub = writer.subresource ?? '';
  const { changed, removed } = compare(current ? ownedValues(t, current, sub) : new Map(), ownedValues(t, next, sub));
  if (changed.size === 0 && removed.size === 0 && sent.length === 0) {
    if (current !== undefined) meta(next).managedFields = meta(current).managedFields ?? null;
    if (meta(next).managedFields === null) delete meta(next).managedFields;
    return;
  }
  const id = identity({ manager: writer.manager, operation: 'Update', subresource: sub });
  let mine = managers.find((m) => identity(m) === id);
  if (!mine) {
    mine = { manager: writer.manager, operation: 'Update', apiVersion, subresource: sub, time: '', fields: new Set() };
    managers.push(mine);
  }
  for (const m of managers) {
    for (const k of removed) m.fields.delete(k);
    if (m !== mine) for (const k of changed) m.fields.delete(k);
  }
  for (const k of changed) mine.fields.add(k);
  if (changed.size > 0 || removed.size > 0) {
    mine.time = timestamp(now);
    (mine as { apiVersion: string }).apiVersion = apiVersion;
  }
  setManaged(next, managers);
}

export function setManaged(o: Obj, managers: readonly Manager[]): void {
  const list = encodeManaged(managers);
  if (list.length > 0) meta(o).managedFields = list;
  else delete meta(o).managedFields;
}
