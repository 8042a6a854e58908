/**
 * A small Docker Engine API client over HTTP/1.1 (http1.ts): unix socket (or tcp://) transport, versioned
 * paths, JSON in and out, streamed responses, and the hijacked attach connection.
 */
import type { Duplex, Readable } from 'node:stream';
import { httpRequest, type HttpResponse, type HttpResult, type Target } from './http1.js';

export type { HttpResponse } from './http1.js';

export const API_VERSION = '1.45';

/** The engine answered with an error status; message is the body's "message". */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
  /** The line docker prints. */
  get display(): string {
    return `Error response from daemon: ${this.message}`;
  }
}

/** The engine could not be reached at all. */
export class ConnectError extends Error {
  override name = 'ConnectError';
  constructor(readonly host: string, options?: { cause?: unknown }, message?: string) {
    super(message ?? `Cannot connect to the minke daemon at ${host}. Is the minke daemon running?`, options);
  }
}

export type Query = Record<string, string | number | boolean | undefined | string[]>;

export interface RequestOptions {
  query?: Query;
  /** JSON-encoded unless a Buffer or a stream */
  body?: unknown;
  headers?: Record<string, string>;
}

function isReadable(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Readable).pipe === 'function';
}

export function encodeQuery(q: Query | undefined): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    const vals = Array.isArray(v) ? v : [v];
    for (const x of vals) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(typeof x === 'boolean' ? (x ? '1' : '0') : String(x))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** docker's filters query value: {"status":["running"],"label":["a=b"]}. */
export function encodeFilters(filters: string[]): string | undefined {
  if (!filters.length) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const f of filters) {
    if (f === '') continue;
    const eq = f.indexOf('=');
    if (eq < 0) throw new Error(`bad format of filter (expected name=value)`);
    const k = f.slice(0, eq).trim().toLowerCase();
    (out[k] ??= {})[f.slice(eq + 1).trim()] = true;
  }
  return Object.keys(out).length ? JSON.stringify(out) : undefined;
}

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function errorFrom(res: HttpResponse): Promise<ApiError> {
  const text = (await readAll(res)).toString('utf8');
  let msg = text.trim();
  try {
    const j = JSON.parse(text) as { message?: unknown };
    if (typeof j.message === 'string') msg = j.message;
  } catch {
    // not JSON: the body is the message
  }
  if (!msg) msg = `${res.statusCode} ${res.statusMessage}`.trim();
  return new ApiError(res.statusCode, msg);
}

export class EngineClient {
  private readonly target: Target;
  /** Connections still open (streams, hijacked sessions): close() ends them. */
  private readonly open = new Set<{ destroy(): unknown }>();
  /** The API version in request paths (a client of an older engine may lower it). */
  apiVersion = API_VERSION;

  constructor(readonly host: string) {
    if (host.startsWith('unix://')) this.target = { socketPath: host.slice('unix://'.length) };
    else if (host.startsWith('tcp://') || host.startsWith('http://')) {
      const u = new URL(host.replace(/^tcp:/, 'http:'));
      this.target = { host: u.hostname, port: Number(u.port || 2375) };
    } else if (host.startsWith('/')) this.target = { socketPath: host };
    else throw new Error(`unable to parse docker host \`${host}\``);
  }

  private request(method: string, path: string, opts: RequestOptions, upgrade = false): Promise<HttpResult> {
    const headers: Record<string, string> = { 'User-Agent': 'minke-cli', ...opts.headers };
    let body: Buffer | string | Readable | undefined;
    if (opts.body !== undefined) {
      if (!headers['Content-Type']) headers['Content-Type'] = isReadable(opts.body) ? 'application/x-tar' : 'application/json';
      body = isReadable(opts.body) || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
    }
    if (upgrade) headers.Upgrade = 'tcp';
    const sent = httpRequest(this.target, { method, path: `/v${this.apiVersion}${path}${encodeQuery(opts.query)}`, headers, body, upgrade });
    return sent.then(
      (r) => {
        const conn = r.kind === 'response' ? r.res : r.socket;
        this.open.add(conn);
        conn.once('close', () => this.open.delete(conn));
        return r;
      },
      (err: Error) => {
        throw this.wrap(err);
      },
    );
  }

  /** A request whose response body is streamed; rejects with ApiError on status >= 400. */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    if (isReadable(opts.body)) {
      // a failing request body (a file that cannot be read) is its own error, not the engine's
      const body = opts.body;
      const bodyFailed = new Promise<never>((_, reject) => body.once('error', reject));
      bodyFailed.catch(() => undefined);
      const r = await Promise.race([this.request(method, path, opts), bodyFailed]);
      return this.checked(r);
    }
    return this.checked(await this.request(method, path, opts));
  }

  private async checked(r: HttpResult): Promise<HttpResponse> {
    if (r.kind !== 'response') {
      r.socket.destroy();
      throw new Error('unexpected protocol upgrade');
    }
    if (r.res.statusCode >= 400) throw await errorFrom(r.res);
    return r.res;
  }

  /** A request returning the whole body (parsed as JSON when it is JSON). */
  async call<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<{ status: number; body: T }> {
    const res = await this.stream(method, path, opts);
    const buf = await readAll(res);
    const type = res.headers['content-type'] ?? '';
    let body: unknown = buf;
    if (type.includes('json') && buf.length) body = JSON.parse(buf.toString('utf8'));
    else if (type.startsWith('text/')) body = buf.toString('utf8');
    return { status: res.statusCode, body: body as T };
  }

  async get<T>(path: string, query?: Query): Promise<T> {
    return (await this.call<T>('GET', path, { query })).body;
  }

  async post<T = unknown>(path: string, query?: Query, body?: unknown): Promise<T> {
    return (await this.call<T>('POST', path, { query, body })).body;
  }

  async delete(path: string, query?: Query): Promise<void> {
    await this.call('DELETE', path, { query });
  }

  /**
   * The hijacked attach/exec connection: asks to upgrade to a raw TCP stream (101), then hands
   * back the socket carrying the container's stdio both ways.
   */
  async hijack(path: string, query: Query | undefined, body?: unknown): Promise<Duplex> {
    const r = await this.request('POST', path, { query, body }, true);
    if (r.kind === 'upgraded') return r.socket;
    if (r.res.statusCode >= 400) throw await errorFrom(r.res);
    return r.res;
  }

  private wrap(err: Error): Error {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') {
      return new ConnectError(this.host, { cause: err }, `permission denied while trying to connect to the minke daemon socket at ${this.host}: ${err.message}`);
    }
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ENOTDIR') {
      return new ConnectError(this.host, { cause: err });
    }
    return err;
  }

  close(): void {
    for (const c of this.open) c.destroy();
    this.open.clear();
  }
}
