/**
 * The OpenAPI definitions of the built-in types (Kubernetes 1.32, swagger 2.0 form), read on first
 * use from src/cluster/types/openapi-v1.32.json.gz (made by scripts/gen-openapi-definitions.mjs):
 * the start of a server does not pay for them. Lookups by definition name and by
 * group/version/kind, the definitions a set of roots reaches, and the v3 form of a schema.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** A swagger 2.0 / OpenAPI v3 schema object, as JSON. */
export interface Schema {
  readonly type?: string;
  readonly format?: string;
  readonly description?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: Schema | boolean;
  readonly items?: Schema;
  readonly required?: readonly string[];
  readonly enum?: readonly string[];
  readonly $ref?: string;
  readonly allOf?: readonly Schema[];
  readonly 'x-kubernetes-group-version-kind'?: readonly Gvk[];
  readonly 'x-kubernetes-patch-strategy'?: string;
  readonly 'x-kubernetes-patch-merge-key'?: string;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly [extension: `x-${string}`]: unknown;
}

export interface Gvk {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export class Definitions {
  private readonly byGvk = new Map<string, string>();

  constructor(readonly all: Readonly<Record<string, Schema>>) {
    for (const [name, d] of Object.entries(all)) {
      for (const g of d['x-kubernetes-group-version-kind'] ?? []) this.byGvk.set(`${g.group}/${g.version}/${g.kind}`, name);
    }
  }

  get(name: string): Schema | undefined {
    return this.all[name];
  }

  /** The definition name of a kind (io.k8s.api.core.v1.Pod for ''/v1/Pod). */
  nameOf(group: string, version: string, kind: string): string | undefined {
    return this.byGvk.get(`${group}/${version}/${kind}`);
  }

  /** The schema a $ref (#/definitions/X or #/components/schemas/X) names. */
  deref(s: Schema): Schema {
    let cur = s;
    for (let i = 0; i < 8; i++) {
      const ref = cur.$ref ?? (cur.allOf?.length === 1 ? cur.allOf[0].$ref : undefined);
      if (ref === undefined) return cur;
      const next = this.all[refName(ref)];
      if (!next) return cur;
      cur = next;
    }
    return cur;
  }

  /** The names of the definitions the roots reach through $refs, roots included, sorted. */
  closure(roots: Iterable<string>): string[] {
    const seen = new Set<string>();
    const visit = (s: Schema | boolean | undefined): void => {
      if (s === undefined || typeof s === 'boolean') return;
      if (s.$ref !== undefined) add(refName(s.$ref));
      for (const p of Object.values(s.properties ?? {})) visit(p);
      visit(s.items);
      visit(s.additionalProperties);
      for (const a of s.allOf ?? []) visit(a);
    };
    const add = (name: string): void => {
      if (seen.has(name) || !this.all[name]) return;
      seen.add(name);
      visit(this.all[name]);
    };
    for (const r of roots) add(r);
    return [...seen].sort();
  }
}

export function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

let loaded: Definitions | undefined;

/** The built-in definitions, read and parsed on the first call (some 30 ms), then kept. */
export function builtinDefinitions(): Definitions {
  if (!loaded) {
    const doc = JSON.parse(gunzipSync(readFileSync(dataFile())).toString('utf8')) as { definitions: Record<string, Schema> };
    loaded = new Definitions(doc.definitions);
  }
  return loaded;
}

/** The data file beside the sources: from dist/src/cluster/apiserver or from src/cluster/apiserver. */
function dataFile(): string {
  const candidates = ['../../../../src/cluster/types/openapi-v1.32.json.gz', '../types/openapi-v1.32.json.gz'];
  for (const c of candidates) {
    const p = fileURLToPath(new URL(c, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('the OpenAPI definitions (src/cluster/types/openapi-v1.32.json.gz) are missing');
}

/**
 * Types v3 gives as oneOf where v2 can only say string (kube-openapi's OpenAPIV3OneOfTypes):
 * `kubectl explain` then names them (<IntOrString>, <map[string]Quantity>) rather than <string>.
 */
const V3_ONE_OF: Readonly<Record<string, readonly string[]>> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': ['integer', 'string'],
  'io.k8s.apimachinery.pkg.api.resource.Quantity': ['string', 'number'],
};

/** A definition in OpenAPI v3 form (toV3, and oneOf for the int-or-string and quantity types). */
export function definitionV3(name: string, s: Schema): Schema {
  const types = V3_ONE_OF[name];
  if (!types) return toV3(s);
  const { type: _, ...rest } = s;
  return { ...rest, oneOf: types.map((type) => ({ type })) } as Schema;
}

/**
 * A swagger 2.0 schema in OpenAPI v3 form, as kube-apiserver serves v3: refs point into
 * #/components/schemas, and a $ref with siblings (a field's description) becomes allOf.
 */
export function toV3(s: Schema): Schema {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$ref') continue;
    if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([n, p]) => [n, toV3(p)]));
    else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) out[k] = toV3(v as Schema);
    else out[k] = v;
  }
  if (s.$ref !== undefined) {
    const ref = `#/components/schemas/${refName(s.$ref)}`;
    if (Object.keys(out).length === 0) return { $ref: ref };
    out.allOf = [{ $ref: ref }];
  }
  return out as Schema;
}
