/**
 * Validation of one compose file against the schema (ajv), with errors that name the key:
 * `services.web: additional property 'foo' is not allowed`, `services.web.ports[0]: must be a
 * number, string or object`. Of ajv's errors the most specific one is kept: the deepest path,
 * and at that path a missing or unknown key or a bad value before a wrong type.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { composeSchema } from './definition.js';

export class SchemaError extends Error {
  override name = 'SchemaError';
}

let compiled: ValidateFunction | undefined;

/** The compiled validator (compiled once per process, or once into the client's snapshot). */
export function validator(): ValidateFunction {
  compiled ??= new Ajv({ strict: false, allErrors: true, validateSchema: false }).compile(composeSchema);
  return compiled;
}

/** Throws a SchemaError naming the first problem of the file, if any. */
export function validateCompose(tree: unknown): void {
  const validate = validator();
  if (validate(tree)) return;
  throw new SchemaError(describe(validate.errors ?? [], tree));
}

/** `/services/web/ports/0` as `services.web.ports[0]` (indexes where the value is an array). */
export function pathOf(pointer: string, tree: unknown): string {
  let out = '';
  let node: unknown = tree;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
  }
  return out;
}

const rank: Record<string, number> = { additionalProperties: 0, required: 1, enum: 2, pattern: 3, minimum: 4, maximum: 4, uniqueItems: 5, type: 6, oneOf: 7 };

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function list(words: string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

function describe(errors: ErrorObject[], tree: unknown): string {
  const depth = (e: ErrorObject): number => (e.instancePath === '' ? 0 : e.instancePath.split('/').length - 1) + (e.keyword === 'additionalProperties' || e.keyword === 'required' ? 1 : 0);
  const deepest = Math.max(...errors.map(depth));
  const here = errors.filter((e) => depth(e) === deepest).sort((a, b) => (rank[a.keyword] ?? 8) - (rank[b.keyword] ?? 8));
  const e = here[0]!;
  const at = pathOf(e.instancePath, tree);
  const where = (msg: string): string => (at ? `${at}: ${msg}` : msg);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return where(`additional property '${String(p.additionalProperty)}' is not allowed`);
    case 'required':
      return where(`missing property '${String(p.missingProperty)}'`);
    case 'enum':
      return where(`must be one of ${list((p.allowedValues as unknown[]).map((v) => JSON.stringify(v)))}`);
    case 'uniqueItems':
      return where(`items at ${String(p.j)} and ${String(p.i)} are equal`);
    case 'type': {
      const types = new Set<string>();
      for (const x of here.filter((x) => x.keyword === 'type' && x.instancePath === e.instancePath)) {
        const t = (x.params as { type: string | string[] }).type;
        for (const one of Array.isArray(t) ? t : t.split(',')) types.add(one === 'integer' ? 'number' : one);
      }
      return where(`must be ${list([...types].map((t) => (t === 'null' ? 'null' : article(t))))}`);
    }
    default:
      return where(e.message ?? 'is invalid');
  }
}
