/**
 * Engine API bodies decoded against the Go types dockerd declares for them, with encoding/json's
 * semantics and words: a wrong type is "json: cannot unmarshal string into Go struct field
 * HostConfig.HostConfig.Memory of type int64" (the innermost struct, then the path of JSON field
 * names from the root; slice indexes and map keys are not in it), integers are range-checked for
 * their Go type, field names match exactly first and then case-insensitively, unknown fields are
 * ignored, null leaves a value as it was (and makes a pointer, slice or map nil), the first type
 * error is kept while decoding goes on, and an Unmarshaler's error (strslice's) ends it at once.
 *
 * The decoded value uses the canonical field names and never holds null: what Go would leave nil
 * is absent, so the services see only values of the types their interfaces declare.
 */
import { DecodeError, goPlain, type GoJsonNode } from '../config/go-json.js';

export type GoType =
  | { kind: 'string'; name: string }
  | { kind: 'bool' }
  | { kind: 'int'; name: string; min: bigint; max: bigint }
  | { kind: 'float'; name: string; max: number }
  | { kind: 'slice'; elem: GoType; name?: string }
  | { kind: 'array'; elem: GoType; len: number }
  | { kind: 'map'; elem: GoType; name?: string }
  | { kind: 'struct'; name: string; fields: GoField[] }
  | { kind: 'ptr'; elem: GoType }
  | { kind: 'strslice' }
  | { kind: 'any' };

export interface GoField {
  /** The JSON name (the tag's, else the Go field's). */
  json: string;
  type: GoType;
  /** Set to its zero value when absent: the engine's interface declares it required. */
  fill?: boolean;
  /** A field promoted from an embedded pointer struct of this name (Go allocates it when any of its fields is named). */
  embedded?: string;
}

// Constructors for the type descriptions.
export const str = (name = 'string'): GoType => ({ kind: 'string', name });
export const bool: GoType = { kind: 'bool' };
const signed = (name: string, bits: number): GoType => ({ kind: 'int', name, min: -(1n << BigInt(bits - 1)), max: (1n << BigInt(bits - 1)) - 1n });
const unsigned = (name: string, bits: number): GoType => ({ kind: 'int', name, min: 0n, max: (1n << BigInt(bits)) - 1n });
export const int = signed('int', 64);
export const int64 = signed('int64', 64);
export const int32 = signed('int32', 32);
export const uint = unsigned('uint', 64);
export const uint16 = unsigned('uint16', 16);
export const uint32 = unsigned('uint32', 32);
export const uint64 = unsigned('uint64', 64);
export const duration = signed('time.Duration', 64);
export const fileMode = unsigned('fs.FileMode', 32);
export const float64: GoType = { kind: 'float', name: 'float64', max: Number.MAX_VALUE };
export const slice = (elem: GoType, name?: string): GoType => ({ kind: 'slice', elem, name });
export const array = (elem: GoType, len: number): GoType => ({ kind: 'array', elem, len });
export const map = (elem: GoType, name?: string): GoType => ({ kind: 'map', elem, name });
export const ptr = (elem: GoType): GoType => ({ kind: 'ptr', elem });
export const strslice: GoType = { kind: 'strslice' };
export const any: GoType = { kind: 'any' };
export const emptyStruct: GoType = { kind: 'struct', name: 'struct {}', fields: [] };
/** A struct; `fields` maps JSON names to types, a name ending in '!' is filled when absent. */
export function struct(name: string, fields: Record<string, GoType>, embedded?: string): GoType & { kind: 'struct' } {
  return {
    kind: 'struct',
    name,
    fields: Object.entries(fields).map(([k, type]) => ({ json: k.replace(/!$/, ''), type, fill: k.endsWith('!') || undefined, embedded })),
  };
}
/** A struct with the fields of others promoted into it, as Go's embedding does. */
export function embed(name: string, ...parts: Array<GoType & { kind: 'struct' }>): GoType & { kind: 'struct' } {
  return { kind: 'struct', name, fields: parts.flatMap((p) => p.fields) };
}

/** reflect.Type.String() of a type. */
export function goTypeName(t: GoType): string {
  switch (t.kind) {
    case 'string':
    case 'int':
    case 'float':
    case 'struct':
      return t.name;
    case 'bool':
      return 'bool';
    case 'slice':
      return t.name ?? `[]${goTypeName(t.elem)}`;
    case 'array':
      return `[${t.len}]${goTypeName(t.elem)}`;
    case 'map':
      return t.name ?? `map[string]${goTypeName(t.elem)}`;
    case 'ptr':
      return `*${goTypeName(t.elem)}`;
    case 'strslice':
      return 'strslice.StrSlice';
    case 'any':
      return 'interface {}';
  }
}

/** A type error that ends decoding at once (an Unmarshaler's). */
class HardError extends DecodeError {}

interface Ctx {
  struct: string | undefined;
  stack: string[];
  saved: DecodeError | undefined;
  embedded: Set<string>;
}

/** Go's simple case folding, for matching a key to a field name (all ASCII). */
function fold(s: string): string {
  return s.replace(/[A-Z\u017f\u212a]/g, (c) => (c === '\u017f' ? 's' : c === '\u212a' ? 'k' : c.toLowerCase()));
}

function typeError(ctx: Ctx, value: string, t: GoType): DecodeError {
  const type = t.kind === 'ptr' ? goTypeName(t.elem) : goTypeName(t);
  if (ctx.struct !== undefined || ctx.stack.length) {
    return new DecodeError(`json: cannot unmarshal ${value} into Go struct field ${ctx.struct ?? ''}.${ctx.stack.join('.')} of type ${type}`);
  }
  return new DecodeError(`json: cannot unmarshal ${value} into Go value of type ${type}`);
}

function save(ctx: Ctx, err: DecodeError): undefined {
  ctx.saved ??= err;
  return undefined;
}

/** The zero value of a type, where the engine needs one (a slice element, a required field). */
function zero(t: GoType): unknown {
  switch (t.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int':
    case 'float':
      return 0;
    case 'struct':
      return fillRequired(t, {});
    case 'array':
      return Array.from({ length: t.len }, () => zero(t.elem));
    default:
      return undefined;
  }
}

function fillRequired(t: GoType & { kind: 'struct' }, out: Record<string, unknown>): Record<string, unknown> {
  for (const f of t.fields) if (f.fill && out[f.json] === undefined) out[f.json] = zero(f.type) ?? (f.type.kind === 'map' ? {} : f.type.kind === 'slice' ? [] : undefined);
  return out;
}

/** A map value or slice element Go would leave nil, as the engine takes it. */
function nilElement(t: GoType): unknown {
  const e = t.kind === 'ptr' ? t.elem : t;
  if (e.kind === 'struct') return fillRequired(e, {});
  if (e.kind === 'slice' || e.kind === 'strslice') return [];
  if (e.kind === 'map') return {};
  return zero(e);
}

/** Decodes `node` into a value of type `t`; `cur` is what is there already (Go decodes into it). Undefined: nil. */
function decodeValue(node: GoJsonNode, t: GoType, ctx: Ctx, cur: unknown): unknown {
  if (t.kind === 'ptr') return node.k === 'null' ? undefined : decodeValue(node, t.elem, ctx, cur);
  if (t.kind === 'any') return node.k === 'null' ? undefined : goPlain(node);
  if (t.kind === 'strslice') return decodeStrSlice(node, ctx);
  if (node.k === 'null') return t.kind === 'slice' || t.kind === 'map' ? undefined : cur;
  switch (t.kind) {
    case 'string':
      return node.k === 'string' ? node.v : save(ctx, typeError(ctx, node.k, t)) ?? cur;
    case 'bool':
      return node.k === 'bool' ? node.v : save(ctx, typeError(ctx, node.k, t)) ?? cur;
    case 'int': {
      if (node.k !== 'number') return save(ctx, typeError(ctx, node.k, t)) ?? cur;
      const ok = (t.min < 0n ? /^-?\d+$/ : /^\d+$/).test(node.raw) && BigInt(node.raw) >= t.min && BigInt(node.raw) <= t.max;
      return ok ? Number(node.raw) : save(ctx, typeError(ctx, `number ${node.raw}`, t)) ?? cur;
    }
    case 'float': {
      if (node.k !== 'number') return save(ctx, typeError(ctx, node.k, t)) ?? cur;
      const v = Number(node.raw);
      return Math.abs(v) <= t.max ? v : save(ctx, typeError(ctx, `number ${node.raw}`, t)) ?? cur;
    }
    case 'slice': {
      if (node.k !== 'array') return save(ctx, typeError(ctx, node.k, t)) ?? cur;
      const was = Array.isArray(cur) ? (cur as unknown[]) : [];
      const out: unknown[] = [];
      node.items.forEach((item, i) => {
        const v = decodeValue(item, t.elem, ctx, was[i] ?? zero(t.elem));
        // A nil pointer element (Go keeps it; dockerd would dereference it) is left out.
        if (v !== undefined) out.push(v);
        else if (t.elem.kind !== 'ptr') out.push(nilElement(t.elem));
      });
      return out;
    }
    case 'array': {
      if (node.k !== 'array') return save(ctx, typeError(ctx, node.k, t)) ?? cur;
      const was = Array.isArray(cur) ? (cur as unknown[]) : [];
      // As Go: extra elements are dropped, missing ones are zero.
      return Array.from({ length: t.len }, (_, i) => {
        const item = node.items[i];
        return item ? decodeValue(item, t.elem, ctx, was[i] ?? zero(t.elem)) ?? zero(t.elem) : zero(t.elem);
      });
    }
    case 'map': {
      if (node.k !== 'object') return save(ctx, typeError(ctx, node.k, t)) ?? cur;
      // As Go: a map already there is added to.
      const out = cur && typeof cur === 'object' ? (cur as Record<string, unknown>) : {};
      for (const [k, item] of node.entries) {
        const v = decodeValue(item, t.elem, ctx, zero(t.elem));
        out[k] = v === undefined ? nilElement(t.elem) : v;
      }
      return out;
    }
    case 'struct':
      return decodeStruct(node, t, ctx, cur);
  }
}

/** A struct's fields by JSON name and by folded name (the first field of a folded name wins, as in Go). */
const fieldIndex = new WeakMap<GoType, { exact: Map<string, GoField>; folded: Map<string, GoField> }>();

function findField(t: GoType & { kind: 'struct' }, key: string): GoField | undefined {
  let index = fieldIndex.get(t);
  if (!index) {
    index = { exact: new Map(), folded: new Map() };
    for (const f of t.fields) {
      if (!index.exact.has(f.json)) index.exact.set(f.json, f);
      if (!index.folded.has(fold(f.json))) index.folded.set(fold(f.json), f);
    }
    fieldIndex.set(t, index);
  }
  return index.exact.get(key) ?? index.folded.get(fold(key));
}

function decodeStruct(node: GoJsonNode, t: GoType & { kind: 'struct' }, ctx: Ctx, cur: unknown): unknown {
  if (node.k !== 'object') return save(ctx, typeError(ctx, node.k, t)) ?? cur;
  const out = cur && typeof cur === 'object' ? (cur as Record<string, unknown>) : {};
  const short = t.name.includes('.') ? t.name.slice(t.name.lastIndexOf('.') + 1) : '';
  for (const [key, item] of node.entries) {
    const f = findField(t, key);
    if (!f) continue;
    if (f.embedded) ctx.embedded.add(f.embedded);
    const { struct: outerStruct, stack } = ctx;
    ctx.struct = short;
    ctx.stack = [...stack, f.json];
    const v = decodeValue(item, f.type, ctx, out[f.json]);
    ctx.struct = outerStruct;
    ctx.stack = stack;
    if (v === undefined) delete out[f.json];
    else out[f.json] = v;
  }
  return fillRequired(t, out);
}

/** strslice.StrSlice's UnmarshalJSON: a list of strings, or one string; its error names type string. */
function decodeStrSlice(node: GoJsonNode, ctx: Ctx): unknown {
  if (node.k === 'null') return undefined;
  if (node.k === 'string') return [node.v];
  if (node.k === 'array' && node.items.every((x) => x.k === 'string' || x.k === 'null')) {
    return node.items.map((x) => (x.k === 'string' ? x.v : ''));
  }
  const err = typeError(ctx, node.k, str());
  throw new HardError(err.message);
}

export interface Decoded<T> {
  value: T;
  /** The embedded pointer structs a field of which was named (Go allocated them). */
  embedded: ReadonlySet<string>;
}

/** Decodes a parsed JSON value into `t` as json.Unmarshal does; throws DecodeError with Go's words. */
export function goDecode<T>(node: GoJsonNode, t: GoType): Decoded<T> {
  const ctx: Ctx = { struct: undefined, stack: [], saved: undefined, embedded: new Set() };
  const value = decodeValue(node, t, ctx, undefined) ?? (t.kind === 'struct' ? fillRequired(t, {}) : undefined);
  if (ctx.saved) throw ctx.saved;
  return { value: value as T, embedded: ctx.embedded };
}
