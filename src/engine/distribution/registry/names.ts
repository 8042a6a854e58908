/**
 * The distribution spec's grammars for what a request names: repository names and tags (the
 * engine's reference grammar, shared), and digests of the algorithms this registry verifies.
 */
import { createHash, type Hash } from 'node:crypto';
import { REPOSITORY_PATH_RE, TAG_RE } from '../../images/references.js';
import { regError } from './errors.js';

/** Many clients limit `host/name` to 255 characters (distribution's NameTotalLengthMax). */
const NAME_MAX = 255;

export type Algorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<Algorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_SYNTAX = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ParsedDigest {
  algorithm: Algorithm;
  hex: string;
  /** `algorithm:hex` */
  digest: string;
}

export function isRepositoryName(name: string): boolean {
  return name.length <= NAME_MAX && REPOSITORY_PATH_RE.test(name);
}

/** The repository name of a request, or NAME_INVALID. */
export function checkName(name: string): string {
  if (!isRepositoryName(name)) throw regError('NAME_INVALID', { name });
  return name;
}

export function isTag(s: string): boolean {
  return TAG_RE.test(s);
}

/** A digest of a supported algorithm with well-formed hex, or undefined. */
export function tryParseDigest(s: string): ParsedDigest | undefined {
  if (!DIGEST_SYNTAX.test(s)) return undefined;
  const i = s.indexOf(':');
  const algorithm = s.slice(0, i);
  const hex = s.slice(i + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') return undefined;
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(hex)) return undefined;
  return { algorithm, hex, digest: s };
}

/** A digest, or DIGEST_INVALID saying what is wrong with it. */
export function parseDigest(s: string): ParsedDigest {
  const d = tryParseDigest(s);
  if (d) return d;
  if (!DIGEST_SYNTAX.test(s)) throw regError('DIGEST_INVALID', { digest: s, reason: 'invalid digest format' }, { message: 'invalid digest' });
  const algorithm = s.slice(0, s.indexOf(':'));
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw regError('DIGEST_INVALID', { digest: s, reason: `unsupported digest algorithm ${algorithm}` }, { message: 'invalid digest' });
  }
  throw regError('DIGEST_INVALID', { digest: s, reason: `invalid ${algorithm} hex` }, { message: 'invalid digest' });
}

export function newHash(algorithm: Algorithm): Hash {
  return createHash(algorithm);
}

export function digestOf(algorithm: Algorithm, data: Uint8Array | string): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** A manifest reference: a tag, or a digest (anything with a colon is taken for a digest). */
export type ManifestRef = { tag: string } | { digest: ParsedDigest };

export function parseManifestRef(ref: string): ManifestRef {
  if (ref.includes(':')) return { digest: parseDigest(ref) };
  if (!isTag(ref)) throw regError('MANIFEST_INVALID', { tag: ref, reason: 'invalid tag' }, { message: 'invalid tag' });
  return { tag: ref };
}
