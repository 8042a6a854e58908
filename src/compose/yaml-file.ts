/**
 * One compose file's YAML: anchors, aliases and `<<` merge keys resolved (the yaml package with
 * merge: true), and the compose tags `!reset` (drop what the files before set) and `!override`
 * (replace it instead of merging) taken out of the tree and listed by path for the merge.
 */
import { isNode, parseDocument, type Document, type Node } from 'yaml';
import type { ParseOptions, DocumentOptions, SchemaOptions } from 'yaml';

export type TagKind = 'reset' | 'override';

/** A tagged place in the file: `services.app.ports` is ['services', 'app', 'ports']. */
export interface TaggedPath {
  kind: TagKind;
  path: string[];
}

export class YamlError extends Error {
  override name = 'YamlError';
}

/** What a tag resolves to while the document becomes JS; swapped for its value afterwards. */
class Marker {
  constructor(
    readonly kind: TagKind,
    readonly node: unknown,
  ) {}
}

const customTags = (['reset', 'override'] as const).flatMap((kind) => [
  { tag: `!${kind}`, resolve: (v: string) => new Marker(kind, v) },
  { tag: `!${kind}`, collection: 'map' as const, resolve: (v: unknown) => new Marker(kind, v) },
  { tag: `!${kind}`, collection: 'seq' as const, resolve: (v: unknown) => new Marker(kind, v) },
]);

const options: ParseOptions & DocumentOptions & SchemaOptions = { merge: true, customTags, uniqueKeys: true, prettyErrors: true };

/** Parses a compose file: the plain tree (tags removed) and the tagged paths. */
export function parseComposeYaml(text: string, file: string): { tree: Record<string, unknown>; tags: TaggedPath[] } {
  const doc = parseDocument(text, options);
  const problem = doc.errors[0];
  if (problem) {
    const at = problem.linePos?.[0];
    throw new YamlError(`yaml: ${at ? `line ${at.line}: ` : ''}${problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')} (${file})`);
  }
  const js: unknown = doc.toJS({ maxAliasCount: 10_000 });
  const tags: TaggedPath[] = [];
  const tree = unmark(js, doc, [], tags);
  if (tree === null || tree === undefined) return { tree: {}, tags };
  if (typeof tree !== 'object' || Array.isArray(tree)) throw new YamlError(`Top-level object must be a mapping (${file})`);
  return { tree: tree as Record<string, unknown>, tags };
}

/** Replaces markers by their values (override) or removes them (reset), recording their paths. */
function unmark(v: unknown, doc: Document, path: string[], tags: TaggedPath[]): unknown {
  if (v instanceof Marker) {
    tags.push({ kind: v.kind, path });
    if (v.kind === 'reset') return RESET;
    const inner = isNode(v.node) ? (v.node as Node).toJS(doc, { maxAliasCount: 10_000 }) : v.node;
    return unmark(inner, doc, path, tags);
  }
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    v.forEach((x, i) => {
      const u = unmark(x, doc, [...path, String(i)], tags);
      if (u !== RESET) out.push(u);
    });
    return out;
  }
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const u = unmark(x, doc, [...path, k], tags);
      if (u !== RESET) out[k] = u;
    }
    return out;
  }
  return v;
}

const RESET = Symbol('reset');
