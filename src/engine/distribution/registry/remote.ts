/**
 * A client of the remote registry a pull-through cache serves: requests under /v2/, following the
 * remote's WWW-Authenticate challenge (Basic with the configured credentials; Bearer with a token
 * fetched from the challenge's realm for its service and scope, kept until it expires).
 */
export interface RemoteOptions {
  url: string;
  username?: string;
  password?: string;
}

/** `Bearer realm="...",service="..."` as scheme and parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\w+)\s*(.*)$/.exec(header) ?? ['', '', ''];
  const params: Record<string, string> = {};
  for (const p of (m[2] ?? '').matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: (m[1] ?? '').toLowerCase(), params };
}

export class RemoteRegistry {
  readonly base: URL;
  private readonly tokens = new Map<string, { token: string; until: number }>();
  private basic: string | undefined;

  constructor(opts: RemoteOptions) {
    this.base = new URL(opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
    if (opts.username !== undefined) this.basic = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
  }

  /** One request under /v2/ (path without it), signed in as the remote asks. */
  async fetch(path: string, init: { method?: string; headers?: Record<string, string>; scope: string; signal?: AbortSignal }): Promise<Response> {
    const url = new URL(`v2/${path}`, this.base);
    const send = (auth?: string): Promise<Response> =>
      fetch(url, { method: init.method ?? 'GET', headers: { ...init.headers, ...(auth ? { Authorization: auth } : {}) }, redirect: 'follow', signal: init.signal });
    const cached = this.tokens.get(init.scope);
    let res = await send(cached && cached.until > Date.now() ? `Bearer ${cached.token}` : this.basic);
    if (res.status !== 401) return res;
    const challenge = parseChallenge(res.headers.get('www-authenticate') ?? '');
    await res.body?.cancel();
    if (challenge.scheme === 'basic') {
      if (!this.basic) return send();
      res = await send(this.basic);
      return res;
    }
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) return send();
    const token = await this.token(challenge.params.realm, challenge.params.service, challenge.params.scope ?? init.scope, init.signal);
    if (token) this.tokens.set(init.scope, token);
    return send(token ? `Bearer ${token.token}` : undefined);
  }

  private async token(realm: string, service: string | undefined, scope: string, signal?: AbortSignal): Promise<{ token: string; until: number } | undefined> {
    const u = new URL(realm);
    if (service) u.searchParams.set('service', service);
    for (const s of scope.split(' ').filter(Boolean)) u.searchParams.append('scope', s);
    const res = await fetch(u, { headers: this.basic ? { Authorization: this.basic } : {}, signal });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) return undefined;
    // Renewed a little before it expires (docker's default life is 60 s when none is given).
    return { token, until: Date.now() + Math.max(10, (body.expires_in ?? 60) - 10) * 1000 };
  }
}
