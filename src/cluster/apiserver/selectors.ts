/** Label selectors (`a=b,c!=d,e in (f,g),!h,i`) and field selectors on metadata.name/namespace. */
import { badRequest } from './status.js';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; values: string[] }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string; values: [] };

export type Selector = (fields: Readonly<Record<string, string>>) => boolean;

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

export function parseLabelSelector(s: string | null): Selector {
  if (s === null || s.trim() === '') return () => true;
  const reqs: Requirement[] = splitTopLevel(s).map((part) => {
    let m = /^(\S+?)\s*(!=|==|=)\s*(\S*)$/.exec(part);
    if (m) return { op: m[2] === '!=' ? 'neq' : 'eq', key: m[1], values: [m[3]] };
    m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    if (m) return { op: m[2] as 'in' | 'notin', key: m[1], values: m[3].split(',').map((v) => v.trim()) };
    m = /^(!?)\s*([A-Za-z0-9._/-]+)$/.exec(part);
    if (m) return { op: m[1] ? 'notexists' : 'exists', key: m[2], values: [] };
    throw badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
  });
  return (labels) => reqs.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'eq': case 'in': return has && r.values.includes(labels[r.key]);
      case 'neq': case 'notin': return !has || !r.values.includes(labels[r.key]);
      case 'exists': return has;
      case 'notexists': return !has;
    }
  });
}

/** Field selectors over the fields a type supports (every type: metadata.name, metadata.namespace). */
export function parseFieldSelector(s: string | null, supported: readonly string[]): Selector {
  if (s === null || s.trim() === '') return () => true;
  const reqs = splitTopLevel(s).map((part) => {
    const m = /^([^=!]+?)\s*(!=|==|=)\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    if (!supported.includes(m[1])) throw badRequest(`field label not supported: ${m[1]}`);
    return { key: m[1], neq: m[2] === '!=', value: m[3] };
  });
  return (fields) => reqs.every((r) => ((fields[r.key] ?? '') === r.value) !== r.neq);
}
