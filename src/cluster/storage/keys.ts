import { InvalidContinueError } from './errors.js';
import type { Revision } from './interface.js';

/** The smallest key after every key with this prefix (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): string {
  // Keys are ASCII in practice; raising the last code unit keeps UTF-8 byte order as well.
  if (prefix === '') return '\u{10ffff}';
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** Byte-wise comparison of keys as UTF-8, the order etcd and SQLite (BINARY) list them in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface ContinueState {
  readonly revision: Revision;
  /** The first key of the next page. */
  readonly start: string;
}

/** Opaque to clients: the list's revision and the key the next page starts at. */
export function encodeContinue(prefix: string, state: ContinueState): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: state.revision, start: state.start.slice(prefix.length) }))
    .toString('base64url');
}

export function decodeContinue(prefix: string, token: string): ContinueState {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidContinueError(prefix, 'not a token this server issued');
  }
  const { v, rv, start } = (doc ?? {}) as { v?: unknown; rv?: unknown; start?: unknown };
  if (v !== 1 || typeof rv !== 'number' || !Number.isSafeInteger(rv) || rv <= 0 || typeof start !== 'string') {
    throw new InvalidContinueError(prefix, 'not a token this server issued');
  }
  return { revision: rv, start: prefix + start };
}
