/**
 * The token endpoint of `--token-realm`: users of the htpasswd file get a short-lived token for
 * the scopes they ask (docker's token protocol: GET with Basic credentials and `scope`
 * parameters; OAuth2's password grant as a POST form, which containerd tries first).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { regError } from '../errors.js';
import { readBody, sendError, sendJson } from '../http.js';
import { isRepositoryName } from '../names.js';
import { basicCredentials, type Htpasswd } from './htpasswd.js';
import { parseScopes, type Access, type TokenIssuer } from './token.js';

const REPOSITORY_ACTIONS = ['pull', 'push', 'delete'];

/** What a user gets of what they asked: any repository action, and the catalog. */
export function grant(asked: Access[]): Access[] {
  const out: Access[] = [];
  for (const a of asked) {
    if (a.type === 'repository' && isRepositoryName(a.name)) {
      const actions = a.actions.includes('*') ? REPOSITORY_ACTIONS : a.actions.filter((x) => REPOSITORY_ACTIONS.includes(x));
      if (actions.length) out.push({ type: a.type, name: a.name, actions });
    } else if (a.type === 'registry' && a.name === 'catalog' && a.actions.includes('*')) {
      out.push({ type: 'registry', name: 'catalog', actions: ['*'] });
    }
  }
  return out;
}

export async function serveToken(req: IncomingMessage, res: ServerResponse, htpasswd: Htpasswd, issuer: TokenIssuer, realm: string): Promise<void> {
  const unauthorized = regError('UNAUTHORIZED', undefined, { headers: { 'WWW-Authenticate': `Basic realm="${realm}"` } });
  const query = new URL(req.url ?? '/', 'http://registry').searchParams;
  let user: string | undefined;
  let password: string | undefined;
  let scopes = query.getAll('scope');
  if (req.method === 'POST') {
    const form = new URLSearchParams((await readBody(req, 64 * 1024)).toString('utf8'));
    if (form.get('grant_type') !== 'password') {
      sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'only the password grant is supported' });
      return;
    }
    user = form.get('username') ?? undefined;
    password = form.get('password') ?? undefined;
    scopes = [...scopes, ...form.getAll('scope')];
  } else if (req.method === 'GET' || req.method === 'HEAD') {
    const cred = basicCredentials(req.headers.authorization);
    user = cred?.user;
    password = cred?.password;
  } else {
    sendError(res, regError('UNSUPPORTED', { method: req.method }));
    return;
  }
  if (user === undefined || password === undefined || !(await htpasswd.verify(user, password))) {
    sendError(res, unauthorized);
    return;
  }
  const access = grant(parseScopes(scopes));
  const t = issuer.issue(user, access);
  sendJson(res, 200, { token: t.token, access_token: t.token, expires_in: t.expiresIn, issued_at: t.issuedAt, scope: access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' ') }, { 'Cache-Control': 'no-store' });
}
