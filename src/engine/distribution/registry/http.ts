/** HTTP pieces of the registry API: responses, error bodies, bounded bodies, byte ranges. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryError, regError } from './errors.js';

export type Headers = Record<string, string | number | string[]>;

export function send(res: ServerResponse, status: number, headers: Headers = {}, body?: string | Buffer): void {
  const data = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, 'Content-Length': data?.length ?? headers['Content-Length'] ?? 0 });
  res.end(res.req.method === 'HEAD' ? undefined : data);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Headers = {}): void {
  send(res, status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(value));
}

export function sendError(res: ServerResponse, err: RegistryError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, err.status, { 'Content-Type': 'application/json', ...err.headers }, err.body());
}

/** The whole body, or SIZE_INVALID (413) past `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  const tooLarge = (): RegistryError => regError('SIZE_INVALID', { limit, reason: `body larger than ${limit} bytes` }, { status: 413, message: 'payload too large' });
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > limit) throw tooLarge();
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export type ByteRange = { start: number; end: number };

/**
 * A `Range: bytes=` request against a blob of `size` bytes (RFC 9110 14.1.2): one range, clamped
 * to the blob; 'unsatisfiable' when it starts past the end, ends before it starts, or asks for
 * a suffix of nothing; undefined when absent or not a single byte range (the whole blob is sent).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return /^\s*bytes\s*=/i.test(header) && !header.includes(',') ? 'unsatisfiable' : undefined;
  const [, a, b] = m;
  if (a === '' && b === '') return 'unsatisfiable';
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Number(b);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/** An upload chunk's `Content-Range: <start>-<end>` (also with distribution's `bytes ` and `/total`). */
export function parseContentRange(header: string): ByteRange | undefined {
  const m = /^\s*(?:bytes[ =])?\s*(\d+)-(\d+)(?:\/(?:\d+|\*))?\s*$/i.exec(header);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  return { start, end };
}
