/**
 * Service-account tokens: RS256 JWTs signed with a key made on first start under the data dir
 * (kube-apiserver's --service-account-signing-key-file), with the claims of Kubernetes 1.32's
 * bound tokens (iss, aud, exp, iat, nbf, jti, sub, and `kubernetes.io` naming the namespace,
 * the service account and the object the token is bound to). The public key is served as JWKS
 * through the OIDC discovery documents.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../../core/fs-atomic.js';
import type { Obj } from './object.js';

/** kube-apiserver's default issuer in k3s, and the audience tokens get when none is asked for. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export const SIGNING_KEY_FILE = 'service-account.key';

/** What a token is bound to besides its service account (a Pod or a Secret). */
export interface BoundObject {
  readonly kind: 'Pod' | 'Secret' | 'Node';
  readonly name: string;
  readonly uid: string;
}

export interface TokenClaims {
  readonly iss: string;
  readonly aud: string[];
  readonly exp: number;
  readonly iat: number;
  readonly nbf: number;
  readonly jti: string;
  readonly sub: string;
  readonly 'kubernetes.io': {
    readonly namespace: string;
    readonly serviceaccount: { readonly name: string; readonly uid: string };
    readonly pod?: { readonly name: string; readonly uid: string };
    readonly secret?: { readonly name: string; readonly uid: string };
    readonly node?: { readonly name: string; readonly uid: string };
  };
}

export class TokenSigner {
  readonly keyId: string;
  private readonly publicKey: KeyObject;

  constructor(private readonly privateKey: KeyObject, readonly issuer: string = DEFAULT_ISSUER) {
    this.publicKey = createPublicKey(privateKey);
    // keyIDFromPublicKey: the base64url SHA-256 of the key's PKIX DER.
    this.keyId = b64url(createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest());
  }

  /** A bound token for namespace/name (uid: the ServiceAccount's), valid for seconds. */
  issue(sa: { namespace: string; name: string; uid: string }, audiences: readonly string[], seconds: number, bound?: BoundObject, now = Date.now()): { token: string; claims: TokenClaims } {
    const iat = Math.floor(now / 1000);
    const k8s: Record<string, Obj> = {};
    if (bound?.kind === 'Pod') k8s.pod = { name: bound.name, uid: bound.uid };
    if (bound?.kind === 'Secret') k8s.secret = { name: bound.name, uid: bound.uid };
    if (bound?.kind === 'Node') k8s.node = { name: bound.name, uid: bound.uid };
    const claims: TokenClaims = {
      aud: [...audiences], exp: iat + seconds, iat, iss: this.issuer, jti: randomUUID(),
      'kubernetes.io': { namespace: sa.namespace, ...k8s, serviceaccount: { name: sa.name, uid: sa.uid } },
      nbf: iat, sub: `system:serviceaccount:${sa.namespace}:${sa.name}`,
    };
    const head = b64url(Buffer.from(JSON.stringify({ alg: 'RS256', kid: this.keyId })));
    const body = b64url(Buffer.from(JSON.stringify(claims)));
    const sig = sign('RSA-SHA256', Buffer.from(`${head}.${body}`), this.privateKey);
    return { token: `${head}.${body}.${b64url(sig)}`, claims };
  }

  /**
   * The claims of a token this server signed and that is valid now for one of the audiences;
   * undefined for anything else (not a JWT, another issuer or key, expired, another audience).
   */
  verify(token: string, audiences: readonly string[], now = Date.now()): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    let header: unknown;
    let claims: unknown;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (!isRecord(header) || header.alg !== 'RS256' || !isRecord(claims)) return undefined;
    if (claims.iss !== this.issuer) return undefined;
    if (!verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), this.publicKey, Buffer.from(parts[2], 'base64url'))) return undefined;
    const t = Math.floor(now / 1000);
    const skew = 60; // jwt.DefaultLeeway
    if (typeof claims.exp !== 'number' || claims.exp + skew < t) return undefined;
    if (typeof claims.nbf === 'number' && claims.nbf - skew > t) return undefined;
    const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
    if (!aud.some((a) => audiences.includes(a as string))) return undefined;
    const k = claims['kubernetes.io'];
    if (!isRecord(k) || typeof k.namespace !== 'string' || !isRecord(k.serviceaccount) || typeof k.serviceaccount.name !== 'string') return undefined;
    if (claims.sub !== `system:serviceaccount:${k.namespace}:${k.serviceaccount.name}`) return undefined;
    return claims as unknown as TokenClaims;
  }

  /** /openid/v1/jwks: the public key as a JSON Web Key Set. */
  jwks(): Obj {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return { keys: [{ use: 'sig', kty: 'RSA', kid: this.keyId, alg: 'RS256', n: String(jwk.n), e: String(jwk.e) }] };
  }

  /** /.well-known/openid-configuration as kube-apiserver serves it. */
  openIdConfiguration(): Obj {
    return {
      issuer: this.issuer, jwks_uri: `${this.issuer}/openid/v1/jwks`, response_types_supported: ['id_token'],
      subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
    };
  }
}

/** The signing key under dir (made when absent: RSA 2048, PKCS#8 PEM, mode 0600). */
export async function loadOrCreateSigningKey(dir: string): Promise<KeyObject> {
  const path = join(dir, SIGNING_KEY_FILE);
  if (!existsSync(path)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
    await writeFileAtomic(path, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
  }
  return createPrivateKey(await readFile(path, 'utf8'));
}

function b64url(b: Buffer): string {
  return b.toString('base64url');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
