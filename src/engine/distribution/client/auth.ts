/**
 * Registry authentication as docker's client follows it: the `WWW-Authenticate` challenge of
 * `/v2/` says Basic (the credentials on every request) or Bearer (a token from the realm, per
 * scope, anonymous when there are no credentials, cached until it expires); credentials come from
 * the request's X-Registry-Auth or a login store.
 */
import { createHash } from 'node:crypto';
import { InvalidArgument } from '../../../core/errors.js';
import { errorFromResponse, NoCredentials, RegistryError } from './errors.js';
import { registryOfServer } from './hosts.js';

/** docker's registry.AuthConfig, as the CLI sends it (base64url JSON in X-Registry-Auth). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64 "user:pass", as config.json keeps it. */
  auth?: string;
  serveraddress?: string;
  /** An OAuth refresh token given by a token server at login. */
  identitytoken?: string;
  /** A bearer token to send as it is. */
  registrytoken?: string;
  email?: string;
}

/** A header of base64url (or base64, padded or not) JSON. */
function base64Json(header: string, name: string): unknown {
  try {
    return JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    throw new InvalidArgument(`invalid ${name} header: invalid character in base64 JSON`);
  }
}

/** Decodes X-Registry-Auth (base64url or base64, padded or not); undefined for none or `{}`. */
export function decodeRegistryAuth(header: string | undefined): AuthConfig | undefined {
  if (!header) return undefined;
  const json = base64Json(header, 'X-Registry-Auth');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InvalidArgument('invalid X-Registry-Auth header: not a JSON object');
  return withUserPass(pickAuth(json as Record<string, unknown>));
}

/**
 * X-Registry-Config of `POST /build`: base64url JSON of every stored login, keyed by registry
 * (`https://index.docker.io/v1/` for Docker Hub, `host:port` for the others), as the docker CLI
 * sends it so that the build can pull its bases. Keys are normalised to the registry's host.
 */
export function decodeRegistryConfig(header: string | undefined): Map<string, AuthConfig> {
  const out = new Map<string, AuthConfig>();
  if (!header) return out;
  const json = base64Json(header, 'X-Registry-Config');
  if (json === null) return out;
  if (typeof json !== 'object' || Array.isArray(json)) throw new InvalidArgument('invalid X-Registry-Config header: not a JSON object');
  for (const [key, v] of Object.entries(json as Record<string, unknown>)) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgument(`invalid X-Registry-Config header: the entry for ${JSON.stringify(key)} is not a JSON object`);
    const a = withUserPass(pickAuth(v as Record<string, unknown>));
    if (a) out.set(registryOfServer(key), a);
  }
  return out;
}

/** The known fields of an auth object (case-insensitive keys, as Go's JSON decoding). */
export function pickAuth(o: Record<string, unknown>): AuthConfig {
  const out: AuthConfig = {};
  const keys: Array<keyof AuthConfig> = ['username', 'password', 'auth', 'serveraddress', 'identitytoken', 'registrytoken', 'email'];
  for (const [k, v] of Object.entries(o)) {
    const key = keys.find((x) => x === k.toLowerCase());
    if (key && typeof v === 'string' && v !== '') out[key] = v;
  }
  return out;
}

/** Fills username/password from `auth` (base64 user:pass) when only that is given. */
export function withUserPass(a: AuthConfig): AuthConfig | undefined {
  if (a.auth && !a.username) {
    const plain = Buffer.from(a.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon > 0) {
      a.username = plain.slice(0, colon);
      a.password = plain.slice(colon + 1);
    }
  }
  const some = a.username || a.password || a.identitytoken || a.registrytoken;
  return some ? a : undefined;
}

export interface Challenge {
  /** Lower case: basic, bearer. */
  scheme: string;
  params: Record<string, string>;
}

/** The challenges of a WWW-Authenticate header (RFC 7235: `Scheme k="v", k2=v2, Scheme2 ...`). */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  const re = /\s*([A-Za-z][\w-]*)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?\s*(,|$)?/y;
  let cur: Challenge | undefined;
  let pos = 0;
  while (pos < header.length) {
    re.lastIndex = pos;
    const m = re.exec(header);
    if (!m || m[0] === '') break;
    pos = re.lastIndex;
    const [, token, quoted, bare] = m;
    if (quoted === undefined && bare === undefined) {
      // A scheme: the word may be followed by its first parameter without a comma.
      cur = { scheme: token!.toLowerCase(), params: {} };
      out.push(cur);
      continue;
    }
    if (cur) cur.params[token!.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : bare!;
  }
  return out;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Bearer tokens by realm, service, scopes and identity; shared by every pull and push of an engine. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();

  get(key: string): string | undefined {
    const t = this.tokens.get(key);
    if (!t) return undefined;
    if (Date.now() >= t.expiresAt) {
      this.tokens.delete(key);
      return undefined;
    }
    return t.token;
  }

  set(key: string, token: string, expiresAt: number): void {
    if (this.tokens.size > 1000) this.tokens.clear();
    this.tokens.set(key, { token, expiresAt });
  }
}

/** A token fetch: GET or POST the realm, answered with status and body. */
export type TokenFetch = (req: { method: 'GET' | 'POST'; url: string; headers: Record<string, string>; body?: string }) => Promise<{ status: number; body: Buffer; headers: Record<string, string | string[] | undefined> }>;

/** The scope of a repository for a token: `repository:NAME:pull` or `...:pull,push`. */
export function repositoryScope(name: string, actions: 'pull' | 'push'): string {
  return `repository:${name}:${actions === 'push' ? 'pull,push' : 'pull'}`;
}

/**
 * The Authorization header for requests to one registry endpoint, after its challenge. One per
 * session (a pull or a push); the token cache outlives it.
 */
export class Authorizer {
  private challenge: Challenge | undefined;
  /** With `login`: the refresh token the token server gave (docker's IdentityToken). */
  refreshToken: string | undefined;

  /** `login`: ask the token server for a refresh token too (offline_token), as `docker login`. */
  constructor(private readonly creds: AuthConfig | undefined, private readonly tokens: TokenCache, private readonly fetchToken: TokenFetch, private readonly login = false) {}

  /** Takes the challenges of a 401 (or of the ping); false when none is one this client answers. */
  accept(wwwAuthenticate: string | undefined): boolean {
    if (!wwwAuthenticate) return false;
    const ch = parseChallenges(wwwAuthenticate).find((c) => c.scheme === 'bearer') ?? parseChallenges(wwwAuthenticate).find((c) => c.scheme === 'basic');
    if (!ch) return false;
    this.challenge = ch;
    return true;
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /** The header for a request needing these scopes (undefined: send none). */
  async header(scopes: readonly string[], what: { method: string; url: string }): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') {
      if (!this.creds?.username && !this.creds?.password) {
        const verb = what.method.charAt(0) + what.method.slice(1).toLowerCase();
        throw new NoCredentials(`${verb} "${what.url}": no basic auth credentials`);
      }
      return `Basic ${Buffer.from(`${this.creds.username ?? ''}:${this.creds.password ?? ''}`).toString('base64')}`;
    }
    if (this.creds?.registrytoken) return `Bearer ${this.creds.registrytoken}`;
    return `Bearer ${await this.token(ch.params, scopes)}`;
  }

  private identity(): string {
    const c = this.creds;
    if (!c) return '';
    return createHash('sha256').update(`${c.username ?? ''}\0${c.password ?? ''}\0${c.identitytoken ?? ''}`).digest('hex');
  }

  private async token(params: Record<string, string>, scopes: readonly string[]): Promise<string> {
    const realm = params['realm'];
    if (!realm) throw new RegistryError(401, [], 'no realm specified for token auth challenge');
    const service = params['service'] ?? '';
    const sorted = [...new Set(scopes)].sort();
    const key = [realm, service, sorted.join(' '), this.identity()].join('|');
    const cached = this.tokens.get(key);
    if (cached) return cached;
    const started = Date.now();
    const res = await this.requestToken(realm, service, sorted);
    if (res.status !== 200) throw errorFromResponse(res.status, res.body);
    let json: { token?: string; access_token?: string; expires_in?: number; issued_at?: string; refresh_token?: string };
    try {
      json = JSON.parse(res.body.toString('utf8')) as typeof json;
    } catch {
      throw new RegistryError(401, [], 'unable to decode token response: invalid JSON');
    }
    const token = json.token || json.access_token;
    if (!token) throw new RegistryError(401, [], 'authorization server did not include a token in the response');
    if (json.refresh_token) this.refreshToken = json.refresh_token;
    // As docker's client: 60 s when the server says less or nothing.
    const life = Math.max(60, Number(json.expires_in) || 0) * 1000;
    const issued = json.issued_at ? Date.parse(json.issued_at) : NaN;
    const from = Number.isFinite(issued) && issued <= Date.now() ? issued : started;
    this.tokens.set(key, token, from + life - 5000);
    return token;
  }

  private requestToken(realm: string, service: string, scopes: string[]): ReturnType<TokenFetch> {
    const c = this.creds;
    if (c?.identitytoken) {
      // OAuth2 refresh-token grant, as docker sends once a login gave an identity token.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identitytoken, client_id: 'docker', access_type: 'offline' });
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      return this.fetchToken({ method: 'POST', url: realm, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    }
    const u = new URL(realm);
    if (service) u.searchParams.set('service', service);
    for (const s of scopes) u.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (this.login) {
      u.searchParams.set('offline_token', 'true');
      u.searchParams.set('client_id', 'docker');
    }
    if (c?.username || c?.password) {
      u.searchParams.set('account', c.username ?? '');
      headers['Authorization'] = `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
    }
    return this.fetchToken({ method: 'GET', url: u.toString(), headers });
  }
}
