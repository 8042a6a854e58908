/**
 * The client side of HTTP/1.1 over one socket per request, for the Engine API: a request head,
 * a body (sized, or chunked when it is a stream), and a response parsed by hand (status line,
 * headers, then a sized, chunked or read-to-close body, streamed). A 101 answer hands the raw
 * socket back (docker's hijacked attach and exec).
 *
 * Why not node:http: loading it and making the first request costs a fresh process 15-20 ms,
 * node:net about 4 ms, and every `minke` command starts a fresh process.
 */
import type { Duplex, Readable } from 'node:stream';
import type { Socket } from 'node:net';

const net = process.getBuiltinModule('node:net');
const { PassThrough } = process.getBuiltinModule('node:stream');

export interface Target {
  socketPath?: string;
  host?: string;
  port?: number;
}

export interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Sent with Content-Length; a stream is sent chunked. */
  body?: Buffer | string | Readable;
  /** Ask for a protocol upgrade (Connection: Upgrade) and resolve with the socket on 101. */
  upgrade?: boolean;
}

/** A response being received: status and headers (names in lower case), the body as a stream. */
export class HttpResponse extends PassThrough {
  statusCode = 0;
  statusMessage = '';
  headers: Record<string, string> = {};
}

export type HttpResult = { kind: 'response'; res: HttpResponse } | { kind: 'upgraded'; socket: Duplex };

const MAX_HEAD = 256 * 1024;

function isStream(b: unknown): b is Readable {
  return typeof b === 'object' && b !== null && typeof (b as Readable).pipe === 'function';
}

function head(req: HttpRequest, target: Target, framing: string): string {
  const host = target.socketPath ? 'localhost' : `${target.host}:${target.port}`;
  let s = `${req.method} ${req.path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [k, v] of Object.entries(req.headers)) s += `${k}: ${v}\r\n`;
  return `${s}${framing}Connection: ${req.upgrade ? 'Upgrade' : 'close'}\r\n\r\n`;
}

/** Writes the body of a stream as chunks, honouring the socket's back-pressure. */
function sendChunked(body: Readable, socket: Socket, onError: (err: Error) => void): void {
  body.on('data', (c: Buffer | string) => {
    const buf = typeof c === 'string' ? Buffer.from(c) : c;
    if (!buf.length) return;
    socket.write(`${buf.length.toString(16)}\r\n`);
    socket.write(buf);
    if (!socket.write('\r\n') && !body.isPaused()) {
      body.pause();
      socket.once('drain', () => body.resume());
    }
  });
  body.on('end', () => socket.write('0\r\n\r\n'));
  body.on('error', onError);
}

/** Parses the header block (without the blank line) into status and lower-cased headers. */
function parseHead(text: string): { status: number; message: string; headers: Record<string, string> } {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!m) throw new Error(`malformed HTTP response: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const k = line.slice(0, colon).trim().toLowerCase();
    const v = line.slice(colon + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  return { status: Number(m[1]), message: m[2] ?? '', headers };
}

/** Decodes a chunked body: feed() bytes, data goes to out; returns true once the last chunk and trailers are in. */
class ChunkedDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private left = -1; // bytes left in the current chunk; -1 = reading a size line; -2 = trailers
  private done = false;

  constructor(private readonly out: (b: Buffer) => void) {}

  feed(data: Buffer): boolean {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    while (!this.done) {
      if (this.left > 0) {
        if (!this.buf.length) break;
        const n = Math.min(this.left, this.buf.length);
        this.out(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
        this.left -= n;
        if (this.left === 0) this.left = -3; // the CRLF after the data
        continue;
      }
      const eol = this.buf.indexOf('\r\n');
      if (eol < 0) {
        if (this.buf.length > MAX_HEAD) throw new Error('malformed chunked encoding');
        break;
      }
      const line = this.buf.subarray(0, eol).toString('latin1');
      this.buf = this.buf.subarray(eol + 2);
      if (this.left === -3) {
        if (line !== '') throw new Error('malformed chunked encoding');
        this.left = -1;
      } else if (this.left === -2) {
        if (line === '') this.done = true;
      } else {
        const size = parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0) throw new Error('malformed chunked encoding');
        this.left = size === 0 ? -2 : size;
      }
    }
    return this.done;
  }
}

/**
 * Sends one request on a new connection and resolves once the response head is in (or the
 * connection was upgraded). Connection errors reject with the socket's own error (ECONNREFUSED,
 * ENOENT, EACCES...).
 */
export function httpRequest(target: Target, req: HttpRequest): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const socket: Socket = target.socketPath ? net.connect(target.socketPath) : net.connect(target.port ?? 2375, target.host ?? 'localhost');
    let res: HttpResponse | undefined;
    let pending: Buffer = Buffer.alloc(0);
    let sink: ((b: Buffer) => void) | undefined;
    let settled = false;

    const fail = (err: Error): void => {
      socket.destroy();
      if (res) res.destroy(err);
      else if (!settled) {
        settled = true;
        reject(err);
      }
    };
    socket.on('error', fail);

    const body = req.body;
    if (isStream(body)) {
      socket.write(head(req, target, 'Transfer-Encoding: chunked\r\n'));
      sendChunked(body, socket, fail);
    } else if (body !== undefined) {
      const buf = typeof body === 'string' ? Buffer.from(body) : body;
      socket.write(head(req, target, `Content-Length: ${buf.length}\r\n`));
      socket.write(buf);
    } else {
      socket.write(head(req, target, ['POST', 'PUT', 'PATCH'].includes(req.method) ? 'Content-Length: 0\r\n' : ''));
    }

    const finish = (): void => {
      socket.removeListener('data', onData);
      res?.end();
      socket.destroy();
    };

    const startBody = (r: HttpResponse, rest: Buffer): void => {
      const noBody = req.method === 'HEAD' || r.statusCode === 204 || r.statusCode === 304;
      const te = (r.headers['transfer-encoding'] ?? '').toLowerCase();
      let draining = false;
      const write = (b: Buffer): void => {
        if (!r.write(b) && !draining) {
          draining = true;
          socket.pause();
          r.once('drain', () => {
            draining = false;
            socket.resume();
          });
        }
      };
      if (noBody) {
        finish();
        return;
      }
      if (te.includes('chunked')) {
        const dec = new ChunkedDecoder(write);
        sink = (b) => {
          if (dec.feed(b)) finish();
        };
      } else if (r.headers['content-length'] !== undefined) {
        let left = Number(r.headers['content-length']);
        if (!(left > 0)) {
          finish();
          return;
        }
        sink = (b) => {
          const n = Math.min(left, b.length);
          write(n === b.length ? b : b.subarray(0, n));
          left -= n;
          if (left === 0) finish();
        };
      } else {
        sink = write; // until the server closes
      }
      if (rest.length) sink(rest);
    };

    const onData = (chunk: Buffer): void => {
      if (sink) {
        try {
          sink(chunk);
        } catch (err) {
          fail(err as Error);
        }
        return;
      }
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) {
          if (pending.length > MAX_HEAD) fail(new Error('HTTP response head too large'));
          return;
        }
        let parsed: ReturnType<typeof parseHead>;
        try {
          parsed = parseHead(pending.subarray(0, end).toString('latin1'));
        } catch (err) {
          fail(err as Error);
          return;
        }
        const rest = pending.subarray(end + 4);
        if (parsed.status === 101 && req.upgrade) {
          socket.removeListener('data', onData);
          socket.removeListener('error', fail);
          // paused until the new owner reads: data arriving with no listener would be lost
          socket.pause();
          if (rest.length) socket.unshift(rest);
          settled = true;
          resolve({ kind: 'upgraded', socket });
          return;
        }
        if (parsed.status >= 100 && parsed.status < 200) {
          pending = rest; // 100 Continue and the like: the real answer follows
          continue;
        }
        const r = new HttpResponse();
        r.statusCode = parsed.status;
        r.statusMessage = parsed.message;
        r.headers = parsed.headers;
        // the reader gave up on the body (Ctrl-C on logs -f, stats streams): drop the connection
        r.on('close', () => socket.destroy());
        res = r;
        settled = true;
        resolve({ kind: 'response', res: r });
        try {
          startBody(r, rest);
        } catch (err) {
          fail(err as Error);
        }
        return;
      }
    };
    socket.on('data', onData);
    socket.on('end', () => {
      if (res) {
        if (sink === undefined || res.writableEnded) return;
        // a sized or chunked body cut short is an error; a read-to-close one ends here
        const te = (res.headers['transfer-encoding'] ?? '').toLowerCase();
        if (te.includes('chunked') || res.headers['content-length'] !== undefined) res.destroy(new Error('unexpected EOF'));
        else res.end();
      } else fail(Object.assign(new Error('the engine closed the connection without an answer'), { code: 'ECONNRESET' }));
    });
  });
}
