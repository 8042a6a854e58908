/**
 * A small Docker Engine API client over node:http: unix socket (or tcp://) transport, versioned
 * paths, JSON in and out, streamed responses, and the hijacked attach connection.
 */
import type { Agent, ClientRequest, IncomingMessage, RequestOptions as HttpRequestOptions } from 'node:http';
import type { Duplex, Readable } from 'node:stream';

// node's built-ins through process.getBuiltinModule: an ESM import of one costs milliseconds at start-up
const http = process.getBuiltinModule('node:http');

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
  signal?: AbortSignal;
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

async function errorFrom(res: IncomingMessage): Promise<ApiError> {
  const text = (await readAll(res)).toString('utf8');
  let msg = text.trim();
  try {
    const j = JSON.parse(text) as { message?: unknown };
    if (typeof j.message === 'string') msg = j.message;
  } catch {
    // not JSON: the body is the message
  }
  if (!msg) msg = `${res.statusCode} ${res.statusMessage ?? ''}`.trim();
  return new ApiError(res.statusCode ?? 500, msg);
}

export class EngineClient {
  private readonly target: { socketPath?: string; host?: string; port?: number };
  private readonly agent: Agent;

  constructor(readonly host: string) {
    if (host.startsWith('unix://')) this.target = { socketPath: host.slice('unix://'.length) };
    else if (host.startsWith('tcp://') || host.startsWith('http://')) {
      const u = new URL(host.replace(/^tcp:/, 'http:'));
      this.target = { host: u.hostname, port: Number(u.port || 2375) };
    } else if (host.startsWith('/')) this.target = { socketPath: host };
    else throw new Error(`unable to parse docker host \`${host}\``);
    this.agent = new http.Agent({ keepAlive: true });
  }

  private options(method: string, path: string, opts: RequestOptions): HttpRequestOptions & { servername?: string } {
    const headers: Record<string, string> = { 'User-Agent': 'minke-cli', ...opts.headers };
    if (opts.body !== undefined && !headers['Content-Type']) {
      headers['Content-Type'] = isReadable(opts.body) ? 'application/x-tar' : 'application/json';
    }
    return {
      ...this.target,
      agent: this.agent,
      // no TLS server name: spares the agent's IP check, whose regular expressions cost ~5ms to compile
      servername: '',
      method,
      path: `/v${API_VERSION}${path}${encodeQuery(opts.query)}`,
      headers,
      signal: opts.signal,
    };
  }

  private send(req: ClientRequest, body: unknown): void {
    if (body === undefined) req.end();
    else if (isReadable(body)) body.pipe(req);
    else if (Buffer.isBuffer(body)) req.end(body);
    else req.end(JSON.stringify(body));
  }

  /** A request whose response body is streamed; rejects with ApiError on status >= 400. */
  stream(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = http.request(this.options(method, path, opts), (res) => {
        if ((res.statusCode ?? 500) >= 400) errorFrom(res).then(reject, reject);
        else resolve(res);
      });
      let bodyError: Error | undefined;
      // a failing request body (a file that cannot be read) is its own error, not the engine's
      req.on('error', (err) => reject(bodyError ?? this.wrap(err)));
      if (isReadable(opts.body)) {
        opts.body.on('error', (err) => {
          bodyError = err;
          req.destroy(err);
        });
      }
      this.send(req, opts.body);
    });
  }

  /** A request returning the whole body (parsed as JSON when it is JSON). */
  async call<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<{ status: number; body: T }> {
    const res = await this.stream(method, path, opts);
    const buf = await readAll(res);
    const type = String(res.headers['content-type'] ?? '');
    let body: unknown = buf;
    if (type.includes('json') && buf.length) body = JSON.parse(buf.toString('utf8'));
    else if (type.startsWith('text/')) body = buf.toString('utf8');
    return { status: res.statusCode ?? 200, body: body as T };
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
  hijack(path: string, query: Query | undefined, body?: unknown): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        this.options('POST', path, { query, body, headers: { Connection: 'Upgrade', Upgrade: 'tcp' } }),
      );
      req.on('upgrade', (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        if ((res.statusCode ?? 500) >= 400) errorFrom(res).then(reject, reject);
        else resolve(res as unknown as Duplex);
      });
      req.on('error', (err) => reject(this.wrap(err)));
      this.send(req, body);
    });
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
    this.agent.destroy();
  }
}
