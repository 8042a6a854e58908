/**
 * The registry server: `startRegistry(options)` serves a root over HTTP or HTTPS, for
 * `minke registry serve` and for an engine that serves a registry from its own process.
 */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Authorizer, type AuthMode } from './auth/access.js';
import { Htpasswd } from './auth/htpasswd.js';
import { loadTokenKey, TokenIssuer } from './auth/token.js';
import { serveToken } from './auth/token-endpoint.js';
import type { Log, Registry } from './context.js';
import { PullThrough } from './proxy.js';
import { handle } from './routes.js';
import { RegistryStorage } from './storage/storage.js';

export interface RegistryOptions {
  /** host:port (default 0.0.0.0:5000; port 0 picks one). */
  listen?: string;
  root: string;
  /** PEM files: serve HTTPS. */
  tlsCert?: string;
  tlsKey?: string;
  /** bcrypt htpasswd file: Basic auth, or the users of the token endpoint. */
  htpasswd?: string;
  /** The realm of the Basic challenge. */
  realm?: string;
  /** Bearer token auth: the token endpoint's URL, or a path on this server (this server serves it at that path). */
  tokenRealm?: string;
  tokenService?: string;
  tokenTtlSeconds?: number;
  readOnly?: boolean;
  /** Uploads in progress at once (more get TOOMANYREQUESTS); default 10000. */
  maxUploads?: number;
  proxy?: { remote: string; username?: string; password?: string };
  log?: Log;
}

export interface RunningRegistry {
  /** http(s)://host:port, with the port bound. */
  url: string;
  host: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** `host:port`, `:port` or `[v6]:port` as host and port. */
export function parseListen(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new Error(`invalid listen address ${JSON.stringify(addr)}: want host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in ${JSON.stringify(addr)}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

const PURGE_EVERY_MS = 3600 * 1000;

export async function startRegistry(opts: RegistryOptions): Promise<RunningRegistry> {
  const log: Log = opts.log ?? (() => {});
  const { host, port } = parseListen(opts.listen ?? '0.0.0.0:5000');
  if (opts.tokenRealm && !opts.htpasswd) throw new Error('--token-realm needs --htpasswd: the token endpoint signs in its users');
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new Error('--tls-cert and --tls-key go together');
  const storage = await RegistryStorage.open(opts.root, { maxUploads: opts.maxUploads });
  let mode: AuthMode = { kind: 'none' };
  let tokenPath: string | undefined;
  if (opts.htpasswd) {
    const htpasswd = new Htpasswd(opts.htpasswd, (m) => log('warn', m));
    await htpasswd.load();
    const realm = opts.realm ?? 'minke registry';
    if (opts.tokenRealm) {
      tokenPath = new URL(opts.tokenRealm, 'http://registry').pathname;
      if (tokenPath.startsWith('/v2')) throw new Error('--token-realm: the token endpoint cannot be under /v2/');
      const issuer = new TokenIssuer(await loadTokenKey(opts.root), 'minke-registry', opts.tokenService ?? 'minke-registry', opts.tokenTtlSeconds ?? 300);
      mode = { kind: 'token', htpasswd, realm: opts.tokenRealm, issuer };
    } else mode = { kind: 'basic', htpasswd, realm };
  }
  const reg: Registry = {
    storage,
    auth: new Authorizer(mode),
    readOnly: opts.readOnly ?? false,
    proxy: undefined,
    log,
  };
  if (opts.proxy) reg.proxy = new PullThrough(() => reg, { url: opts.proxy.remote, username: opts.proxy.username, password: opts.proxy.password });

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (tokenPath !== undefined && mode.kind === 'token' && (req.url ?? '').split('?')[0] === tokenPath) {
      const m = mode;
      serveToken(req, res, m.htpasswd, m.issuer, opts.realm ?? 'minke registry').catch((err: unknown) => {
        log('error', `token endpoint: ${(err as Error).message}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    void handle(reg, req, res);
  };
  const serverOptions = { keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 };
  const server: Server = opts.tlsCert && opts.tlsKey
    ? createHttpsServer({ ...serverOptions, cert: await readFile(opts.tlsCert), key: await readFile(opts.tlsKey), minVersion: 'TLSv1.2' }, onRequest)
    : createHttpServer(serverOptions, onRequest);
  server.on('clientError', (_err, socket) => {
    if (!socket.destroyed) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const purge = setInterval(() => {
    storage.purgeUploads().catch((err: unknown) => log('warn', `purging uploads: ${(err as Error).message}`));
  }, PURGE_EVERY_MS);
  purge.unref();
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `${opts.tlsCert ? 'https' : 'http'}://${shownHost}:${bound.port}`,
    host: bound.address,
    port: bound.port,
    server,
    close: async () => {
      clearInterval(purge);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
