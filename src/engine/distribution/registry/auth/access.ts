/**
 * Who may do what. Three modes, as distribution's auth: none (everyone may do everything),
 * htpasswd (Basic credentials of a listed user allow everything; else 401 with a Basic
 * challenge), and token (a Bearer token this registry issued must list the action on the
 * repository; else 401 with a Bearer challenge naming the scope, `error="insufficient_scope"`
 * when the token lacks it, as distribution answers).
 */
import type { IncomingMessage } from 'node:http';
import { regError } from '../errors.js';
import { basicCredentials, type Htpasswd } from './htpasswd.js';
import type { Access, TokenIssuer } from './token.js';

export type AuthMode =
  | { kind: 'none' }
  | { kind: 'basic'; htpasswd: Htpasswd; realm: string }
  | { kind: 'token'; htpasswd: Htpasswd; realm: string; issuer: TokenIssuer };

/** One action a request needs: `repository`/NAME/pull, `registry`/catalog/*. */
export interface Need {
  type: 'repository' | 'registry';
  name: string;
  action: string;
}

export interface Identity {
  user?: string;
  can(type: string, name: string, action: string): boolean;
}

const everything: Identity = { can: () => true };

function allows(access: Access[], type: string, name: string, action: string): boolean {
  return access.some((a) => a.type === type && a.name === name && (a.actions.includes(action) || a.actions.includes('*')));
}

/** `repository:NAME:pull,push` for the needs, grouped by resource. */
export function scopeOf(needs: Need[]): string {
  const byResource = new Map<string, string[]>();
  for (const n of needs) {
    const key = `${n.type}:${n.name}`;
    const actions = byResource.get(key) ?? [];
    if (!actions.includes(n.action)) actions.push(n.action);
    byResource.set(key, actions);
  }
  return [...byResource].map(([k, a]) => `${k}:${a.join(',')}`).join(' ');
}

/**
 * The token realm as clients must call it: a realm given as a path (`/token`) is on this server,
 * at the address the client used (so a registry on port 0 or behind a name needs no URL up front).
 */
export function realmUrl(realm: string, req: IncomingMessage): string {
  if (!realm.startsWith('/')) return realm;
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${tls ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${realm}`;
}

const quote = (s: string): string => `"${s.replace(/["\\]/g, '\\$&')}"`;

export class Authorizer {
  constructor(readonly mode: AuthMode) {}

  /** The identity of a request that may do what it needs; otherwise throws UNAUTHORIZED. */
  async authorize(req: IncomingMessage, needs: Need[]): Promise<Identity> {
    const mode = this.mode;
    if (mode.kind === 'none') return everything;
    const header = req.headers.authorization;
    if (mode.kind === 'basic') {
      const cred = basicCredentials(header);
      if (cred && (await mode.htpasswd.verify(cred.user, cred.password))) return { user: cred.user, can: () => true };
      throw regError('UNAUTHORIZED', undefined, { headers: { 'WWW-Authenticate': `Basic realm=${quote(mode.realm)}` } });
    }
    const challenge = (error?: string): never => {
      let h = `Bearer realm=${quote(realmUrl(mode.realm, req))},service=${quote(mode.issuer.service)}`;
      if (needs.length) h += `,scope=${quote(scopeOf(needs))}`;
      if (error) h += `,error=${quote(error)}`;
      throw regError('UNAUTHORIZED', needs.length ? needs.map((n) => ({ Type: n.type, Name: n.name, Action: n.action })) : undefined, { headers: { 'WWW-Authenticate': h } });
    };
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) return challenge();
    const claims = mode.issuer.verify(m[1]!);
    if (claims === 'invalid' || claims === 'expired') return challenge('invalid_token');
    if (!needs.every((n) => allows(claims.access, n.type, n.name, n.action))) return challenge('insufficient_scope');
    return { user: claims.sub, can: (type, name, action) => allows(claims.access, type, name, action) };
  }
}
