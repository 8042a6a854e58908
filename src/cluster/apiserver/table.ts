/**
 * `as=Table` (meta.k8s.io/v1 Table): the rows kubectl prints, with the server's columns for each
 * type (NAME, the row's own columns, AGE), as kube-apiserver's table convertors answer.
 */
import type { Column, ResourceType } from '../types/resources.js';
import { at, isObj, meta, type Obj } from './object.js';
import type { Json } from './patch.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const NAME_COLUMN = {
  name: 'Name', type: 'string', format: 'name', priority: 0,
  description: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
};
const AGE_COLUMN = {
  name: 'Age', type: 'string', format: '', priority: 0,
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
};

export function columnDefinitions(t: ResourceType): Obj[] {
  return [
    NAME_COLUMN,
    ...(t.columns ?? []).map((c) => ({ name: c.name, type: c.type === 'date' ? 'string' : c.type, format: '', description: c.description, priority: c.priority ?? 0 })),
    AGE_COLUMN,
  ];
}

function cell(o: Obj, c: Column): Json {
  if (c.path.startsWith('count:')) {
    let n = 0;
    for (const p of c.path.slice(6).split(',')) {
      const v = at(o, p);
      if (Array.isArray(v)) n += v.length;
      else if (isObj(v)) n += Object.keys(v).length;
    }
    return n;
  }
  if (c.path.startsWith('ratio:')) {
    const [a, b] = c.path.slice(6).split('/').map((p) => at(o, p));
    return `${typeof a === 'number' ? a : 0}/${typeof b === 'number' ? b : c.missing ?? 0}`;
  }
  const v = at(o, c.path);
  if (v === undefined || v === null) return c.missing ?? '<none>';
  return typeof v === 'object' ? JSON.stringify(v) : v;
}

export function tableRow(t: ResourceType, o: Obj, include: IncludeObject, now = Date.now()): Obj {
  const m = meta(o);
  const created = m.creationTimestamp ? Date.parse(m.creationTimestamp) : NaN;
  const row: Obj = {
    cells: [m.name ?? '', ...(t.columns ?? []).map((c) => cell(o, c)), Number.isNaN(created) ? '<unknown>' : humanDuration(now - created)],
  };
  if (include === 'Object') row.object = o;
  else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata ?? {} };
  return row;
}

export function table(t: ResourceType, objects: readonly Obj[], include: IncludeObject, listMeta: Obj, withColumns = true): Obj {
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta,
    columnDefinitions: withColumns ? columnDefinitions(t) : null,
    rows: objects.map((o) => tableRow(t, o, include)),
  };
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  const y = Math.floor(d / 365);
  if (y < 2) return `${d}d`;
  if (y < 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}
