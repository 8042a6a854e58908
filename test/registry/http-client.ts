/**
 * A small HTTP/1.1 client for the registry tests: any header as given (Content-Length,
 * Content-Range), a body sent whole, chunked, or not at all, and the whole response back.
 */
import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  header(name: string): string | undefined;
  json<T = unknown>(): T;
}

export interface RequestOpts {
  method?: string;
  headers?: Record<string, string | string[]>;
  /** Sent with a Content-Length unless `chunked`. */
  body?: Buffer | string;
  chunked?: boolean;
  /** Basic credentials or a bearer token, as an Authorization header. */
  auth?: string;
}

const agent = new Agent({ keepAlive: true });
const httpsAgent = new HttpsAgent({ keepAlive: true, rejectUnauthorized: false });

export function http(url: string | URL, opts: RequestOpts = {}): Promise<Reply> {
  const u = typeof url === 'string' ? new URL(url) : url;
  const headers: Record<string, string | string[]> = { ...opts.headers };
  if (opts.auth) headers.Authorization = opts.auth;
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  if (body && !opts.chunked && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length')) headers['Content-Length'] = String(body.length);
  if (opts.chunked) headers['Transfer-Encoding'] = 'chunked';
  const send = u.protocol === 'https:' ? httpsRequest : request;
  return new Promise((resolve, reject) => {
    const req = send(u, { method: opts.method ?? 'GET', headers, agent: u.protocol === 'https:' ? httpsAgent : agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: b,
          header: (n) => {
            const v = res.headers[n.toLowerCase()];
            return Array.isArray(v) ? v.join(', ') : v;
          },
          json: <T>() => JSON.parse(b.toString('utf8')) as T,
        });
      });
    });
    req.on('error', reject);
    if (body && opts.chunked) {
      // two writes, so the body really goes as chunks
      req.write(body.subarray(0, Math.floor(body.length / 2)));
      req.end(body.subarray(Math.floor(body.length / 2)));
    } else req.end(body);
  });
}

export const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
