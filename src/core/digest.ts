import { createHash } from 'node:crypto';

/** A content digest in the OCI form `sha256:<64 hex>`. */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function hexOf(d: Digest): string {
  return d.slice(7);
}

export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw new TypeError(`invalid digest: ${s}`);
  return s;
}
