/**
 * Server-side field validation (the fieldValidation query parameter of create, update and patch)
 * as kube-apiserver 1.32 does it against the types' OpenAPI schemas: fields the schema does not
 * know and fields given twice are refused under Strict (400, `strict decoding error: unknown
 * field "spec.foo", duplicate field "spec.paused"`), sent back as `Warning: 299 - "..."` headers
 * under Warn (the default when the parameter is absent), and dropped silently under Ignore.
 * Create and update report in the order of the body; a patch reports the duplicates of the patch,
 * then the unknown fields of the patched object, sorted (as kube-apiserver does).
 */
import type { ResourceType } from '../types/resources.js';
import type { Obj } from './object.js';
import type { Json } from './patch.js';
import { builtinDefinitions, type Definitions, type Schema } from './openapi-schema.js';
import { badRequest } from './status.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationMode(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`);
}

/** The type's schema, or undefined (a type without one is not checked). */
export function schemaFor(t: ResourceType, defs: Definitions = builtinDefinitions()): Schema | undefined {
  const name = defs.nameOf(t.group, t.version, t.kind);
  return name === undefined ? undefined : defs.get(name);
}

/** What a value of schema s may hold: undefined when anything goes (free-form, preserved). */
function open(defs: Definitions, s: Schema | undefined): Schema | undefined {
  if (s === undefined) return undefined;
  const r = defs.deref(s);
  if (r['x-kubernetes-preserve-unknown-fields'] === true) return undefined;
  return r;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * The unknown and duplicate fields of a JSON text, in the order they appear, as
 * `unknown field "a.b"` / `duplicate field "a.b"`. A field both unknown and duplicated counts as
 * unknown once. Without a schema only duplicates are found.
 */
export function scanFields(text: string, schema: Schema | undefined, defs: Definitions = builtinDefinitions()): string[] {
  const issues: string[] = [];
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    let escaped = false;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') {
        escaped = true;
        i += 2;
        continue;
      }
      if (c === '"') break;
      i++;
    }
    i++;
    const raw = text.slice(start, i);
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  };
  const value = (s: Schema | undefined, path: string, checked: boolean): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      const r = checked ? open(defs, s) : undefined;
      const props = r?.properties;
      const extra = r?.additionalProperties;
      for (;;) {
        ws();
        if (text[i] === '}') { i++; return; }
        if (text[i] === ',') { i++; continue; }
        if (text[i] !== '"') return; // malformed: JSON.parse reports it
        const key = str();
        ws();
        if (text[i] === ':') i++;
        const p = join(path, key);
        let child: Schema | undefined;
        let childChecked = checked;
        if (props !== undefined && props[key] === undefined && !(typeof extra === 'object')) {
          if (!seen.has(key)) issues.push(`unknown field "${p}"`);
          childChecked = false;
        } else {
          if (seen.has(key)) issues.push(`duplicate field "${p}"`);
          child = props?.[key] ?? (typeof extra === 'object' ? extra : undefined);
          if (r !== undefined && props === undefined && typeof extra !== 'object') childChecked = false; // free-form object
        }
        seen.add(key);
        value(child, p, childChecked);
      }
    }
    if (c === '[') {
      i++;
      const items = checked ? open(defs, s)?.items : undefined;
      for (let n = 0; ; ) {
        ws();
        if (text[i] === ']') { i++; return; }
        if (text[i] === ',') { i++; continue; }
        if (i >= text.length) return;
        value(items, `${path}[${n}]`, checked && items !== undefined);
        n++;
      }
    }
    if (c === '"') { str(); return; }
    while (i < text.length && !',}] \n\r\t'.includes(text[i])) i++;
  };
  value(schema, '', schema !== undefined);
  return issues;
}

/** The unknown fields of a decoded object (a patch's result), sorted. */
export function unknownFields(o: Json, schema: Schema | undefined, defs: Definitions = builtinDefinitions()): string[] {
  const out: string[] = [];
  const walk = (v: Json, s: Schema | undefined, path: string): void => {
    const r = open(defs, s);
    if (r === undefined || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach((x, n) => walk(x, r.items, `${path}[${n}]`));
      return;
    }
    const extra = r.additionalProperties;
    for (const [k, x] of Object.entries(v)) {
      const p = join(path, k);
      if (r.properties !== undefined) {
        const child = r.properties[k];
        if (child === undefined && typeof extra !== 'object') out.push(`unknown field "${p}"`);
        else walk(x, child ?? (extra as Schema), p);
      } else if (typeof extra === 'object') walk(x, extra, p);
    }
  };
  walk(o, schema, '');
  return out.sort();
}

/** Drops the fields the schema does not know (what decoding into the Go type does). */
export function pruneUnknown(o: Json, schema: Schema | undefined, defs: Definitions = builtinDefinitions()): void {
  const r = open(defs, schema);
  if (r === undefined || o === null || typeof o !== 'object') return;
  if (Array.isArray(o)) {
    for (const x of o) pruneUnknown(x, r.items, defs);
    return;
  }
  const extra = r.additionalProperties;
  for (const [k, x] of Object.entries(o)) {
    if (r.properties !== undefined) {
      const child = r.properties[k];
      if (child === undefined && typeof extra !== 'object') delete o[k];
      else pruneUnknown(x, child ?? (extra as Schema), defs);
    } else if (typeof extra === 'object') pruneUnknown(x, extra, defs);
  }
}

/**
 * Applies the mode to what was found: throws the Strict error, or returns the warnings (one
 * `Warning` header each) and prunes the unknown fields from the object.
 */
export function enforce(mode: FieldValidation, t: ResourceType, issues: readonly string[], o: Obj, patch = false): string[] {
  if (mode === 'Ignore') {
    pruneUnknown(o, schemaFor(t));
    return [];
  }
  if (issues.length === 0) return [];
  if (mode === 'Strict') {
    const prefix = patch ? '' : `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: `;
    throw badRequest(`${prefix}strict decoding error: ${issues.join(', ')}`);
  }
  pruneUnknown(o, schemaFor(t));
  return [...issues];
}

/** A Warning header value (RFC 7234 form, as kube-apiserver writes it). */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}
