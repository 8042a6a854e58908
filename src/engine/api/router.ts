import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { EngineError, InvalidArgument, isErrno, messageOf, statusOf } from '../../core/errors.js';
import { DecodeError, GoSyntaxError, goSystemMessage, parseGoJson } from '../config/go-json.js';
import { goDecode, type Decoded, type GoType } from './go-decode.js';

export const API_VERSION = '1.47';
export const MIN_API_VERSION = '1.24';

/** One request to the Engine API: either a plain HTTP exchange or a hijackable upgrade. */
export class ApiContext {
  readonly query: URLSearchParams;
  /** The API version the client asked for in the path (`/v1.45/...`), or the server's. */
  readonly version: string;
  private bodyRead = false;
  private hijacked: Duplex | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse | undefined,
    readonly params: Record<string, string | undefined>,
    version: string | undefined,
    private readonly upgrade?: { socket: Duplex; head: Buffer },
  ) {
    this.query = new URLSearchParams(req.url?.split('?')[1] ?? '');
    this.version = version ?? API_VERSION;
  }

  param(name: string): string {
    const v = this.params[name];
    if (v === undefined) throw new InvalidArgument(`missing path parameter ${name}`);
    try {
      return decodeURIComponent(v);
    } catch {
      // Go's words for it (net/url)
      throw new InvalidArgument(`invalid URL escape ${JSON.stringify(/%.{0,2}/.exec(v.replace(/%[0-9a-fA-F]{2}/g, ''))?.[0] ?? v)}`);
    }
  }

  /** Query flag as docker parses it: 1/true/True → true. */
  flag(name: string, dflt = false): boolean {
    const v = this.query.get(name);
    if (v === null || v === '') return dflt;
    return v === '1' || v.toLowerCase() === 'true';
  }

  int(name: string): number | undefined {
    const v = this.query.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidArgument(`invalid value for ${name}: ${v}`);
    return n;
  }

  /** JSON-encoded query parameter (filters, labels...). */
  jsonQuery<T>(name: string): T | undefined {
    const v = this.query.get(name);
    if (v === null || v === '') return undefined;
    try {
      return JSON.parse(v) as T;
    } catch {
      throw new InvalidArgument(`invalid ${name} parameter: ${v}`);
    }
  }

  versionAtLeast(v: string): boolean {
    return compareVersions(this.version, v) >= 0;
  }

  /** The request body as a stream (for tar uploads). */
  bodyStream(): NodeJS.ReadableStream {
    this.bodyRead = true;
    if (this.upgrade) throw new Error('body stream of an upgraded request');
    return this.req;
  }

  async body(): Promise<Buffer> {
    this.bodyRead = true;
    if (this.upgrade) return this.readUpgradeBody();
    const chunks: Buffer[] = [];
    for await (const c of this.req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * The JSON body decoded against its Go type, as dockerd's httputils.ReadJSON does: no body is
   * the type's zero value (undefined here) unless `required`, as dockerd's container decoder wants
   * one; errors in Go's words, as 400s.
   */
  async decode<T>(type: GoType, opts: { required?: boolean } = {}): Promise<Decoded<T> | undefined> {
    const buf = await this.body();
    const chunked = /chunked/i.test(String(this.req.headers['transfer-encoding'] ?? ''));
    if (buf.length === 0 && !chunked && !opts.required) return undefined;
    // As dockerd (CheckForJSON): a body must say it is JSON.
    const contentType = String(this.req.headers['content-type'] ?? '');
    const media = contentType.split(';')[0]!.trim().toLowerCase();
    if (buf.length > 0 || contentType) {
      if (!media) throw new InvalidArgument(`malformed Content-Type header (${contentType}): mime: no media type`);
      if (media !== 'application/json') throw new InvalidArgument(`unsupported Content-Type header (${contentType}): must be 'application/json'`);
    }
    let parsed;
    try {
      parsed = parseGoJson(buf);
    } catch (err) {
      if (err instanceof GoSyntaxError && err.message === 'EOF') throw new InvalidArgument('invalid JSON: got EOF while reading request body');
      throw new InvalidArgument(`invalid JSON: ${messageOf(err)}`);
    }
    let decoded: Decoded<T>;
    try {
      decoded = goDecode<T>(parsed.value, type);
    } catch (err) {
      if (err instanceof DecodeError) throw new InvalidArgument(`invalid JSON: ${err.message}`);
      throw err;
    }
    if (parsed.more) throw new InvalidArgument('unexpected content after JSON');
    return decoded;
  }

  /** The decoded body's value, or the type's zero value when there is none. */
  async bodyOf<T extends object>(type: GoType): Promise<Partial<T>> {
    return (await this.decode<Partial<T>>(type))?.value ?? {};
  }

  /** An upgrade request carries its body (exec start's JSON) before the raw stream: read exactly Content-Length. */
  private async readUpgradeBody(): Promise<Buffer> {
    const { socket } = this.upgrade!;
    const want = Number(this.req.headers['content-length'] ?? 0);
    let got = this.upgrade!.head;
    this.upgrade!.head = Buffer.alloc(0);
    while (got.length < want) {
      const chunk = await new Promise<Buffer | null>((resolve) => {
        const onData = (d: Buffer): void => { cleanup(); resolve(d); };
        const onEnd = (): void => { cleanup(); resolve(null); };
        const cleanup = (): void => { socket.off('data', onData); socket.off('end', onEnd); socket.pause(); };
        socket.on('data', onData);
        socket.on('end', onEnd);
        socket.resume();
      });
      if (chunk === null) break;
      got = Buffer.concat([got, chunk]);
    }
    if (got.length > want) socket.unshift(got.subarray(want));
    return got.subarray(0, want);
  }

  get isUpgrade(): boolean {
    return this.upgrade !== undefined;
  }

  /**
   * Takes over the connection for a raw stream (attach, exec start): 101 when the client asked to
   * upgrade, otherwise a 200 whose body is the raw stream until the connection closes.
   */
  hijack(contentType: string): Duplex {
    if (this.hijacked) return this.hijacked;
    if (this.upgrade) {
      const { socket, head } = this.upgrade;
      // Held until the handler reads it, so no input is lost before it listens. (Its end can still
      // be seen before that: handlers check readableEnded.)
      socket.pause();
      if (head.length > 0) socket.unshift(head);
      socket.write(
        `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
          `Api-Version: ${API_VERSION}\r\n\r\n`,
      );
      this.hijacked = socket;
      return socket;
    }
    const res = this.res!;
    const socket = res.socket! as Duplex;
    res.detachSocket(socket as never);
    socket.pause();
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nApi-Version: ${API_VERSION}\r\n\r\n`);
    this.hijacked = socket;
    return socket;
  }

  /** The upgraded connection itself, for a handler that speaks its own protocol on it (WebSocket). */
  takeUpgrade(): { socket: Duplex; head: Buffer } | undefined {
    if (this.upgrade) this.hijacked = this.upgrade.socket;
    return this.upgrade;
  }

  get wasHijacked(): boolean {
    return this.hijacked !== undefined;
  }

  get consumedBody(): boolean {
    return this.bodyRead;
  }

  send(status: number, value?: unknown): void {
    if (this.upgrade) {
      const body = value === undefined ? '' : JSON.stringify(value);
      this.upgrade.socket.end(
        `HTTP/1.1 ${status} ${status < 300 ? 'OK' : 'Error'}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nApi-Version: ${API_VERSION}\r\n\r\n${body}`,
      );
      return;
    }
    const res = this.res!;
    if (value === undefined) {
      res.writeHead(status, { 'Content-Length': '0' }).end();
      return;
    }
    const body = JSON.stringify(value);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  noContent(): void {
    this.send(204);
  }

  /** Starts a streamed (chunked) response, for logs, events, stats, progress. */
  stream(contentType: string, status = 200): ServerResponse {
    const res = this.res!;
    res.setHeader('Content-Type', contentType); // kept, so a failure midway knows the stream's kind
    res.writeHead(status);
    res.flushHeaders();
    return res;
  }
}

export type Handler = (ctx: ApiContext) => Promise<void> | void;
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const VERSION_PREFIX = /^\/v(\d+\.\d+)(\/.*)$/;

interface Route {
  method: Method;
  /** Path segments: literal, ':name' for a parameter, '*' for the rest of the path. */
  segments: string[];
  handler: Handler;
}

/**
 * Routes Engine API paths, versioned (`/v1.45/containers/json`) or not, to handlers. The route
 * table is small and its patterns simple (literals, `:param`, a trailing `*`), so a linear match
 * over split segments does; literal segments win over parameters, as in docker's mux.
 * (find-my-way was the first choice; it alone added 11 MB to the engine's resident memory.)
 */
export class Router {
  private readonly routes: Route[] = [];

  /** `log` gets what the engine's log must show of a request that failed unexpectedly. */
  constructor(private readonly log: (level: string, msg: string) => void = () => {}) {}

  on(method: Method | Method[], path: string, handler: Handler): this {
    for (const m of Array.isArray(method) ? method : [method]) {
      this.routes.push({ method: m, segments: path.split('/').filter(Boolean), handler });
    }
    // Most specific first: more literal segments before parameters and wildcards.
    this.routes.sort((a, b) => specificity(b) - specificity(a));
    return this;
  }

  private find(method: Method, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    const parts = path.split('/').filter(Boolean);
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const params = matchSegments(r.segments, parts);
      if (params) return { handler: r.handler, params };
    }
    return undefined;
  }

  /**
   * The message an error is answered with. An engine error carries its user's words; any other
   * failure is logged with its stack, and a fault of the code itself is answered as one (its
   * JavaScript message would mean nothing to the user), while a system or runtime failure keeps
   * its own words, as dockerd answers with its error's text.
   */
  private userMessage(err: unknown, req: IncomingMessage): string {
    if (err instanceof EngineError) return err.message;
    if (inputFault(err)) return isErrno(err, 'ERR_INVALID_ARG_VALUE') ? 'invalid argument: a path cannot hold a NUL byte' : goSystemMessage(err);
    const what = `${req.method ?? ''} ${(req.url ?? '').split('?')[0]}`;
    this.log('error', `Handler for ${what} returned error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    if (isProgramError(err)) return `internal error in the engine while handling ${what}; the engine's log has the details`;
    return goSystemMessage(err);
  }

  async handle(req: IncomingMessage, res: ServerResponse | undefined, upgrade?: { socket: Duplex; head: Buffer }): Promise<void> {
    let path = (req.url ?? '/').split('?')[0]!;
    let version: string | undefined;
    const m = VERSION_PREFIX.exec(path);
    if (m) {
      version = m[1];
      path = m[2]!;
    }
    const ctx0 = { req, res, upgrade };
    if (version && compareVersions(version, API_VERSION) > 0) {
      respondError(new ApiContext(req, res, {}, version, upgrade), 400,
        `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
      return;
    }
    if (version && compareVersions(version, MIN_API_VERSION) < 0) {
      respondError(new ApiContext(req, res, {}, version, upgrade), 400,
        `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
      return;
    }
    const found = this.find(req.method as Method, path);
    const ctx = new ApiContext(ctx0.req, ctx0.res, found?.params ?? {}, version, upgrade);
    if (!found) {
      // As dockerd: OPTIONS is answered on any path (its CORS preflight handler).
      if (req.method === 'OPTIONS') {
        ctx.send(200);
        return;
      }
      respondError(ctx, 404, `page not found`);
      return;
    }
    try {
      await found.handler(ctx);
    } catch (err) {
      const status = inputFault(err) ? 400 : statusOf(err);
      if (ctx.wasHijacked) {
        ctx.hijack('').end();
        return;
      }
      if (res?.headersSent) {
        // A streamed response failed midway: a JSON stream ends with the error as JSON, as
        // docker's; anything else (a tar) is cut off, so the client sees it broken, not complete.
        const type = res.getHeader('Content-Type');
        if (type !== undefined && !/json/.test(String(type))) res.destroy();
        else res.end(JSON.stringify({ message: messageOf(err) }) + '\n');
        return;
      }
      if (!ctx.consumedBody && res) await drainSmallBody(req);
      respondError(ctx, status, this.userMessage(err, req));
    }
  }
}

/**
 * Reads what is left of a small request body before an error answer, as Go's server does (up to
 * 256 KiB): a client asking to close the connection would otherwise see it reset, answer unread,
 * while still sending. A larger body is left unread (the connection goes).
 */
async function drainSmallBody(req: IncomingMessage): Promise<void> {
  const length = Number(req.headers['content-length'] ?? NaN);
  const small = Number.isFinite(length) ? length <= 256 * 1024 : false;
  req.resume();
  if (!small || req.readableEnded) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2000);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    req.once('end', done);
    req.once('close', done);
    req.once('error', done);
  });
}

/** What a system call refused for the request's own value: a name too long for a file, a path with a NUL byte. */
function inputFault(err: unknown): boolean {
  return isErrno(err, 'ENAMETOOLONG') || (isErrno(err, 'ERR_INVALID_ARG_VALUE') && /null bytes/.test(messageOf(err)));
}

/** JavaScript's own errors: a fault of the engine's code, never words for a user. */
const PROGRAM_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError];

function isProgramError(err: unknown): boolean {
  return PROGRAM_ERRORS.some((E) => err instanceof E) || (err instanceof Error && err.name === 'AssertionError');
}

function respondError(ctx: ApiContext, status: number, message: string): void {
  if (status === 304) {
    ctx.send(304);
    return;
  }
  ctx.send(status, { message });
}

function specificity(r: Route): number {
  let n = 0;
  for (const s of r.segments) n = n * 4 + (s === '*' ? 0 : s.startsWith(':') ? 1 : 2);
  return n * 16 + r.segments.length;
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '*') {
      if (i >= parts.length) return undefined;
      params['*'] = parts.slice(i).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (p.startsWith(':')) params[p.slice(1)] = part;
    else if (p !== part) return undefined;
  }
  return pattern.length === parts.length ? params : undefined;
}
