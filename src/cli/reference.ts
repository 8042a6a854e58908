/** Image reference helpers as docker's distribution/reference prints them. */

/** "busybox" → "busybox:latest"; references with a tag or digest are kept. */
export function withDefaultTag(ref: string): string {
  if (ref.includes('@')) return ref;
  const slash = ref.lastIndexOf('/');
  return ref.slice(slash + 1).includes(':') ? ref : `${ref}:latest`;
}

/** Splits "repo:tag" (a registry port is not a tag). */
export function splitTag(ref: string): { repo: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref.slice(0, at), tag: '' };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: '' };
}

/** reference.FamiliarName: "docker.io/library/busybox" → "busybox". */
export function familiar(name: string): string {
  return name.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainAndPort = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const referenceRe = new RegExp(`^((?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*)(?::(${tagPat}))?(?:@(${digestPat}))?$`);

export interface Named {
  /** the full name: "docker.io/library/busybox" */
  name: string;
  tag?: string;
  digest?: string;
}

/** reference.ParseNormalizedNamed, with distribution/reference's error wording. */
export function parseNormalizedNamed(s: string): Named {
  if (/^[a-f0-9]{64}$/.test(s)) throw new Error(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  let domain = 'docker.io';
  let remainder = s;
  const slash = s.indexOf('/');
  const first = slash < 0 ? '' : s.slice(0, slash);
  if (slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first)) {
    domain = first;
    remainder = s.slice(slash + 1);
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !remainder.includes('/')) remainder = `library/${remainder}`;
  const remoteName = remainder.split(/[:@]/)[0];
  if (remoteName.toLowerCase() !== remoteName) throw new Error(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  const m = referenceRe.exec(`${domain}/${remainder}`);
  if (!m) {
    if (s === '') throw new Error('repository name must have at least one component');
    throw new Error('invalid reference format');
  }
  if (m[1].length > 255) throw new Error('repository name must not be more than 255 characters');
  return { name: m[1], tag: m[2], digest: m[3] };
}
