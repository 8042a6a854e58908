/**
 * HTTP(S) to registries over node:http and node:https with keep-alive connections (a pull makes
 * many requests to one host): TLS verified against the system's CAs plus the host's own in
 * /etc/docker/certs.d/HOST/ (and /etc/minke/certs.d/HOST/), as dockerd reads them; not verified
 * for insecure registries. Redirects of GET/HEAD are followed (blob storage elsewhere), without
 * the registry's Authorization when they leave its host.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { transportError } from './errors.js';

export interface SendOptions {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** A buffer, a string, or a stream (sent with chunked encoding unless Content-Length is set). */
  body?: Buffer | string | Readable;
  /** TLS without verification (insecure registries). */
  insecureTls?: boolean;
  signal?: AbortSignal;
  /** Follow redirects (GET and HEAD only); default true. */
  follow?: boolean;
}

const CERT_DIRS = ['/etc/docker/certs.d', '/etc/minke/certs.d'];
const CONNECT_TIMEOUT_MS = 30_000;

const plainAgent = new HttpAgent({ keepAlive: true, maxSockets: 32, keepAliveMsecs: 30_000 });
const insecureAgent = new HttpsAgent({ keepAlive: true, maxSockets: 32, rejectUnauthorized: false });
const secureAgents = new Map<string, HttpsAgent>();

/** The host's extra CA, client certificate and key (certs.d/HOST/*.crt, *.cert + *.key). */
function hostTls(host: string): { ca?: Buffer[]; cert?: Buffer; key?: Buffer } {
  const out: { ca?: Buffer[]; cert?: Buffer; key?: Buffer } = {};
  for (const base of CERT_DIRS) {
    let files: string[];
    try {
      files = readdirSync(join(base, host));
    } catch {
      continue;
    }
    for (const f of files.sort()) {
      const p = join(base, host, f);
      if (f.endsWith('.crt')) (out.ca ??= []).push(readFileSync(p));
      else if (f.endsWith('.cert') && files.includes(f.replace(/\.cert$/, '.key'))) {
        out.cert = readFileSync(p);
        out.key = readFileSync(p.replace(/\.cert$/, '.key'));
      }
    }
  }
  return out;
}

function agentFor(u: URL, insecure: boolean): HttpAgent | HttpsAgent {
  if (u.protocol === 'http:') return plainAgent;
  if (insecure) return insecureAgent;
  let a = secureAgents.get(u.host);
  if (!a) {
    const tls = hostTls(u.host);
    const { rootCertificates } = process.getBuiltinModule('node:tls');
    a = new HttpsAgent({ keepAlive: true, maxSockets: 32, ...(tls.ca ? { ca: [...rootCertificates, ...tls.ca.map(String)] } : {}), ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}) });
    secureAgents.set(u.host, a);
  }
  return a;
}

function once(o: SendOptions): Promise<IncomingMessage> {
  const u = new URL(o.url);
  const headers: OutgoingHttpHeaders = { 'User-Agent': 'minke', ...o.headers };
  if (typeof o.body === 'string' || Buffer.isBuffer(o.body)) headers['Content-Length'] = Buffer.byteLength(o.body);
  else if (o.body === undefined && ['PUT', 'POST', 'PATCH'].includes(o.method)) headers['Content-Length'] = 0;
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(u, { method: o.method, headers, agent: agentFor(u, o.insecureTls ?? false), signal: o.signal });
    let connected = false;
    const timer = setTimeout(() => {
      if (!connected) req.destroy(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' }));
    }, CONNECT_TIMEOUT_MS);
    req.on('socket', (s) => {
      if (!s.connecting) connected = true;
      else s.once(u.protocol === 'https:' ? 'secureConnect' : 'connect', () => { connected = true; });
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(transportError(o.method, o.url, err));
    });
    if (o.body instanceof Readable) {
      o.body.on('error', (err) => req.destroy(err));
      o.body.pipe(req);
    } else req.end(o.body);
  });
}

/** Sends one request; the answer's body is for the caller to read or discard. */
export async function send(o: SendOptions): Promise<IncomingMessage> {
  let opts = o;
  for (let hop = 0; ; hop++) {
    const res = await once(opts);
    const loc = res.headers.location;
    const redirect = res.statusCode !== undefined && [301, 302, 303, 307, 308].includes(res.statusCode) && loc;
    if (!redirect || (o.follow ?? true) === false || !['GET', 'HEAD'].includes(o.method) || hop >= 10) return res;
    res.resume();
    const next = new URL(loc, opts.url);
    const headers = { ...opts.headers };
    if (next.host !== new URL(opts.url).host) delete headers['Authorization'];
    opts = { ...opts, url: next.toString(), headers };
  }
}

/** Reads an answer's whole body (small ones: manifests, errors, tokens), up to `limit` bytes. */
export async function readBody(res: IncomingMessage, limit = 8 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > limit) {
      res.destroy();
      throw new Error(`response body larger than ${limit} bytes`);
    }
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts);
}

/** Discards an answer's body so its connection is reused. */
export function discard(res: IncomingMessage): void {
  res.resume();
}
