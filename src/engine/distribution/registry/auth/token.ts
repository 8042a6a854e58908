/**
 * Bearer tokens as distribution's token auth uses them: a JWT whose `access` claim lists what it
 * allows (`[{type: "repository", name, actions: ["pull","push"]}]`), for one service, short-lived.
 *
 * This registry issues its tokens and is the only one to check them, so they are signed with a
 * secret of its own (HS256, kept under the root so tokens outlive a restart) in a few lines of
 * node:crypto rather than with a JWT library and a certificate chain.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../../../../core/errors.js';
import { writeAtomic } from '../storage/files.js';

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenClaims {
  sub: string;
  access: Access[];
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** The signing key under the root, made on first use. */
export async function loadTokenKey(root: string): Promise<Buffer> {
  const path = join(root, 'auth', 'token.key');
  try {
    const key = await readFile(path);
    if (key.length >= 32) return key;
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  const key = randomBytes(32);
  await mkdir(join(root, 'auth'), { recursive: true, mode: 0o700 });
  await writeAtomic(join(root, 'tmp'), path, key);
  return key;
}

export class TokenIssuer {
  constructor(
    private readonly key: Buffer,
    readonly issuer: string,
    readonly service: string,
    readonly ttlSeconds: number,
  ) {}

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }

  issue(sub: string, access: Access[]): { token: string; expiresIn: number; issuedAt: string } {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const claims = { iss: this.issuer, sub, aud: this.service, iat: now, nbf: now - 1, exp: now + this.ttlSeconds, jti: randomUUID(), access };
    const body = `${header}.${b64url(JSON.stringify(claims))}`;
    return { token: `${body}.${this.sign(body)}`, expiresIn: this.ttlSeconds, issuedAt: new Date(now * 1000).toISOString() };
  }

  /** The claims of a token this registry issued for its service and still valid; else why not. */
  verify(token: string): TokenClaims | 'invalid' | 'expired' {
    const parts = token.split('.');
    if (parts.length !== 3) return 'invalid';
    const want = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
    const got = Buffer.from(parts[2]!);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return 'invalid';
    let claims: { aud?: unknown; exp?: unknown; nbf?: unknown; sub?: unknown; access?: unknown };
    try {
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return 'invalid';
    }
    const now = Date.now() / 1000;
    if (claims.aud !== this.service || !Array.isArray(claims.access)) return 'invalid';
    if (typeof claims.exp !== 'number' || claims.exp < now) return 'expired';
    if (typeof claims.nbf === 'number' && claims.nbf > now + 60) return 'invalid';
    return { sub: String(claims.sub ?? ''), access: claims.access as Access[] };
  }
}

/** `repository:name:pull,push` scopes (several per parameter, space separated) as access entries. */
export function parseScopes(scopes: string[]): Access[] {
  const out: Access[] = [];
  for (const s of scopes.flatMap((x) => x.split(' ')).filter(Boolean)) {
    const first = s.indexOf(':');
    const last = s.lastIndexOf(':');
    if (first < 0 || last === first) continue;
    const type = s.slice(0, first).replace(/\(.*\)$/, '');
    const name = s.slice(first + 1, last);
    const actions = s.slice(last + 1).split(',').filter(Boolean);
    const known = out.find((a) => a.type === type && a.name === name);
    if (known) known.actions = [...new Set([...known.actions, ...actions])];
    else out.push({ type, name, actions });
  }
  return out;
}
