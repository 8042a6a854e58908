/**
 * Docker image references, parsed and normalised as docker's distribution/reference does:
 * `busybox` → docker.io/library/busybox:latest, `localhost:5000/x` stays on its registry, and the
 * familiar form (`busybox:latest`) is what users see.
 */
import { InvalidArgument } from '../../core/errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

// The grammar of distribution/reference (regexp.go).
const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const host = `(?:${domainName}|${ipv6})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;
const REFERENCE_RE = new RegExp(`^(${namePat})(?::(${tag}))?(?:@(${digestPat}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
/** A repository path as the distribution spec's `<name>` grammar has it (no registry host). */
export const REPOSITORY_PATH_RE = new RegExp(`^${remoteName}$`);
/** A tag as the distribution spec's `<reference>` grammar has it. */
export const TAG_RE = new RegExp(`^${tag}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const SHORT_IDENTIFIER_RE = /^[a-f0-9]{6,64}$/;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export interface Reference {
  /** Registry host[:port], e.g. docker.io or localhost:5000. */
  domain: string;
  /** Repository path on that registry, e.g. library/busybox. */
  path: string;
  tag?: string;
  digest?: string;
}

const invalid = (detail?: string): InvalidArgument =>
  new InvalidArgument(detail ? `invalid reference format: ${detail}` : 'invalid reference format');

function splitDockerDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i < 0 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return [domain, remainder];
}

/** distribution/reference.Parse on an already-qualified string. */
function parseQualified(s: string): Reference {
  const m = REFERENCE_RE.exec(s);
  if (!m) {
    if (s === '') throw invalid('repository name must have at least one component');
    if (REFERENCE_RE.test(s.toLowerCase())) throw invalid('repository name must be lowercase');
    throw invalid();
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX) throw invalid(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  const nm = ANCHORED_NAME_RE.exec(name)!;
  const ref: Reference = { domain: nm[1] ?? '', path: nm[2]! };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) {
    if (!m[3].startsWith('sha256:') || !DIGEST_RE.test(m[3])) {
      if (m[3].startsWith('sha256:')) throw new InvalidArgument('invalid checksum digest length');
      throw new InvalidArgument('unsupported digest algorithm');
    }
    ref.digest = m[3];
  }
  return ref;
}

/**
 * ParseNormalizedNamed: a user-typed name (no default tag added). Throws InvalidArgument with
 * docker's messages.
 */
export function parseNormalizedNamed(s: string): Reference {
  if (IDENTIFIER_RE.test(s)) {
    throw new InvalidArgument(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw invalid(`repository name (${remote}) must be lowercase`);
  }
  const ref = parseQualified(`${domain}/${remainder}`);
  return ref;
}

/** Parses and adds the `latest` tag when neither tag nor digest is given (docker's TagNameOnly). */
export function parseReference(s: string): Reference {
  const ref = parseNormalizedNamed(s);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = 'latest';
  return ref;
}

/** The fully-qualified name without tag or digest: docker.io/library/busybox. */
export function fullName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full string: docker.io/library/busybox:latest, name@sha256:..., name:tag@sha256:... */
export function referenceString(ref: Reference): string {
  let s = fullName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The familiar name: busybox, foo/bar, localhost:5000/x. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return fullName(ref);
  if (ref.path.startsWith(OFFICIAL_PREFIX) && !ref.path.slice(OFFICIAL_PREFIX.length).includes('/')) {
    return ref.path.slice(OFFICIAL_PREFIX.length);
  }
  return ref.path;
}

/** The familiar string: busybox:latest, localhost:5000/x:tag, busybox@sha256:... */
export function familiarString(ref: Reference): string {
  let s = familiarName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** Normalises a user-typed reference to its full string with a default tag. */
export function normalize(s: string): string {
  return referenceString(parseReference(s));
}

/** Familiar form of a full (or any) reference string. */
export function familiar(s: string): string {
  return familiarString(parseNormalizedNamed(s));
}

/** True when `s` is a full 64-hex ID, `sha256:<64 hex>`, or could be a short ID prefix. */
export function isIdLike(s: string): boolean {
  return IDENTIFIER_RE.test(s) || DIGEST_RE.test(s) || SHORT_IDENTIFIER_RE.test(s);
}

/** Parses a reference for a tag operation: must be name[:tag], no digest (docker's rule). */
export function parseTagReference(s: string): Reference {
  const ref = parseReference(s);
  if (ref.digest !== undefined) throw new InvalidArgument('refusing to create a tag with a digest reference');
  return ref;
}
