/**
 * One conversation with one registry endpoint: `/v2/` pinged first (it says whether the
 * registry speaks the API and how it wants to be authenticated), then requests carrying the
 * Authorization their scopes need, a 401 answered once by following its challenge.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { Authorizer, type AuthConfig, type TokenCache } from './auth.js';
import { errorFromResponse, RegistryError, TransportError } from './errors.js';
import { discard, readBody, send } from './transport.js';

/** Where a registry is reached: a base URL (`https://host:port`), and whether TLS is verified. */
export interface Endpoint {
  url: string;
  /** https without certificate verification, or plain http (insecure registries). */
  insecureTls: boolean;
  /** A mirror of docker.io (pulls fall back to the next endpoint when it lacks an image). */
  mirror?: boolean;
}

export interface SessionRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** A path under the endpoint (`/v2/...`, with its query), or an absolute URL (upload locations). */
  path: string;
  scopes: readonly string[];
  headers?: Record<string, string>;
  /** A stream body cannot be sent twice: a 401 on it is not retried. */
  body?: Buffer | string | Readable;
  signal?: AbortSignal;
}

export class Session {
  private constructor(readonly endpoint: Endpoint, private readonly auth: Authorizer) {}

  /** Pings `/v2/` of the endpoint; throws what went wrong (a TransportError lets a caller try the next endpoint). */
  static async open(endpoint: Endpoint, creds: AuthConfig | undefined, tokens: TokenCache, signal?: AbortSignal, login = false): Promise<Session> {
    const auth = new Authorizer(creds, tokens, async (r) => {
      const res = await send({ method: r.method, url: r.url, headers: r.headers, body: r.body, insecureTls: endpoint.insecureTls, signal });
      return { status: res.statusCode ?? 0, headers: res.headers, body: await readBody(res) };
    }, login);
    const url = `${endpoint.url}/v2/`;
    const res = await send({ method: 'GET', url, insecureTls: endpoint.insecureTls, signal });
    discard(res);
    if (res.statusCode === 401) auth.accept(headerOf(res, 'www-authenticate'));
    else if (res.statusCode !== 200) {
      throw new TransportError(`Get "${url}": the registry does not speak the registry API v2 (status ${res.statusCode ?? 0})`);
    }
    return new Session(endpoint, auth);
  }

  /** The authentication the registry asked for at the ping: basic, bearer, or undefined (none). */
  get scheme(): string | undefined {
    return this.auth.scheme;
  }

  /** The refresh token a login's token request was given, if any. */
  get refreshToken(): string | undefined {
    return this.auth.refreshToken;
  }

  url(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.endpoint.url}${path}`;
  }

  /** Sends a request; the answer is returned whatever its status (see `expect` for checking). */
  async request(r: SessionRequest): Promise<IncomingMessage> {
    const url = this.url(r.path);
    const retryable = r.body === undefined || typeof r.body === 'string' || Buffer.isBuffer(r.body);
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...r.headers };
      const authorization = await this.auth.header(r.scopes, { method: r.method, url });
      if (authorization) headers['Authorization'] = authorization;
      const res = await send({ method: r.method, url, headers, body: r.body, insecureTls: this.endpoint.insecureTls, signal: r.signal });
      if (res.statusCode === 401 && attempt === 0 && retryable && this.auth.accept(headerOf(res, 'www-authenticate'))) {
        discard(res);
        continue;
      }
      return res;
    }
  }

  /** Sends a request and reads its whole (small) answer; an unexpected status is thrown as the registry's error. */
  async expect(r: SessionRequest, ok: readonly number[]): Promise<{ res: IncomingMessage; body: Buffer }> {
    const res = await this.request(r);
    const body = r.method === 'HEAD' ? Buffer.alloc(0) : await readBody(res);
    if (!ok.includes(res.statusCode ?? 0)) throw errorFromResponse(res.statusCode ?? 0, body, headerOf(res, 'www-authenticate'));
    return { res, body };
  }
}

export function headerOf(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Whether an error means the registry turned the credentials (or their absence) down. */
export function isUnauthorized(err: unknown): boolean {
  return err instanceof RegistryError && (err.httpStatus === 401 || err.code === 'UNAUTHORIZED');
}
