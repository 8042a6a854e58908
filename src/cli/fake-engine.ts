/**
 * A tiny stand-in for the engine in tests: a node:http server on a unix socket in a temp dir,
 * answering the routes a test registers and recording every request it gets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json(): unknown;
}

export type Handler = (req: Recorded, res: http.ServerResponse) => void | Promise<void>;
export type UpgradeHandler = (req: Recorded, socket: Duplex) => void;

export class FakeEngine {
  readonly requests: Recorded[] = [];
  private routes = new Map<string, Handler>();
  private upgrades = new Map<string, UpgradeHandler>();
  private server: http.Server;
  private dir = mkdtempSync(path.join(tmpdir(), 'minke-cli-'));
  readonly socket = path.join(this.dir, 'engine.sock');

  constructor() {
    this.server = http.createServer((req, res) => {
      void this.record(req).then(async (r) => {
        const h = this.routes.get(`${r.method} ${r.path}`);
        if (!h) {
          res.writeHead(404, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ message: `page not found: ${r.method} ${r.path}` }));
          return;
        }
        await h(r, res);
      });
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
      void this.record(req).then((r) => {
        const h = this.upgrades.get(`${r.method} ${r.path}`);
        if (!h) {
          socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
        h(r, socket);
      });
    });
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  private async record(req: http.IncomingMessage): Promise<Recorded> {
    const chunks: Buffer[] = [];
    // an upgraded request's body (exec start) arrives before the upgrade event only if sent in full
    if (!req.headers.upgrade) for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://engine');
    const body = Buffer.concat(chunks);
    const r: Recorded = {
      method: req.method ?? 'GET',
      path: url.pathname.replace(/^\/v1\.\d+/, ''),
      query: url.searchParams,
      headers: req.headers,
      body,
      json: () => JSON.parse(body.toString('utf8')),
    };
    this.requests.push(r);
    return r;
  }

  on(method: string, p: string, h: Handler): this {
    this.routes.set(`${method} ${p}`, h);
    return this;
  }

  json(method: string, p: string, status: number, value: unknown): this {
    return this.on(method, p, (_req, res) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(value));
    });
  }

  upgrade(method: string, p: string, h: UpgradeHandler): this {
    this.upgrades.set(`${method} ${p}`, h);
    return this;
  }

  find(method: string, p: string): Recorded | undefined {
    return this.requests.findLast((r) => r.method === method && r.path === p);
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socket, resolve));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One docker stdcopy frame. */
export function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}
