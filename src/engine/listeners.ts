/**
 * The engine's listeners as dockerd opens them (cmd/dockerd/daemon.go loadListeners): one server
 * per -H address, unix sockets and TCP, TCP with TLS when --tls/--tlsverify ask for it (mutual TLS
 * with --tlsverify: a client without a certificate the CA signed is refused in the handshake).
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseListenAddress } from './config/hosts.js';
import { goOpenError } from './config/go-json.js';

export interface TlsSettings {
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert: string;
  tlsCert: string;
  tlsKey: string;
}

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  /** With --tlsverify: the CA client certificates must be signed by; else none asked for. */
  ca?: Buffer;
}

/** The certificate files TLS needs, with go-connections' errors; undefined without TLS. */
export function loadTls(s: TlsSettings): TlsFiles | undefined {
  if (!s.tls) return undefined;
  let cert: Buffer;
  let key: Buffer;
  let reading = s.tlsCert;
  try {
    cert = readFileSync(s.tlsCert);
    reading = s.tlsKey;
    key = readFileSync(s.tlsKey);
  } catch (err) {
    throw new Error(`Could not load X509 key pair (cert: ${JSON.stringify(s.tlsCert)}, key: ${JSON.stringify(s.tlsKey)}): ${goOpenError(reading, err)}`);
  }
  if (!s.tlsVerify) return { cert, key };
  try {
    return { cert, key, ca: readFileSync(s.tlsCaCert) };
  } catch (err) {
    throw new Error(`could not read CA certificate ${JSON.stringify(s.tlsCaCert)}: ${goOpenError(s.tlsCaCert, err)}`);
  }
}

/** True when something already answers on the socket (another engine): never steal it. */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Refuses unix sockets another engine serves, before this one touches its roots. */
export async function checkSocketsFree(hosts: readonly string[]): Promise<void> {
  for (const h of hosts) {
    const a = parseListenAddress(h);
    if (a.proto === 'unix' && (await socketInUse(a.path))) throw new Error(`${a.path} is in use by another engine`);
  }
}

function isLoopbackAddress(ip: string): boolean {
  return isIP(ip) === 4 ? ip.startsWith('127.') : ip === '::1';
}

/** Whether a listen host is loopback: `localhost` is, a name is looked up as dockerd does. */
async function isLoopback(host: string): Promise<boolean> {
  if (host === 'localhost') return true;
  if (isIP(host) !== 0) return isLoopbackAddress(host);
  try {
    return isLoopbackAddress((await lookup(host)).address);
  } catch {
    return false;
  }
}

/** How long dockerd holds its start for a plain TCP listener beyond loopback (its deprecation nag). */
export const INSECURE_START_DELAY_MS = 15_000;

/**
 * dockerd's warnings for a TCP listener without mutual TLS: every one, and more for an address
 * beyond loopback unless --tls=false or --tlsverify=false said so; then dockerd, and minke,
 * hold the start for INSECURE_START_DELAY_MS, as the warning says.
 */
export function plainTcpWarnings(loopback: boolean, explicitlyInsecure: boolean): string[] {
  const out = [
    'Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network.',
    'Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!',
  ];
  if (!loopback && !explicitlyInsecure) {
    out.push(
      'Binding to an IP address without --tlsverify is deprecated. Startup is intentionally being slowed down to show this message',
      'Please consider generating tls certificates with client validation to prevent exposing unauthenticated root access to your network',
      "You can override this by explicitly specifying '--tls=false' or '--tlsverify=false'",
      'Support for listening on TCP without authentication or explicit intent to run without authentication will be removed in the next release',
    );
  }
  return out;
}

export interface Listener {
  server: Server;
  /** The address served (`unix:///path`, `tcp://host:port` with the port bound). */
  address: string;
  close(): Promise<void>;
}

const SERVER_OPTIONS = { keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 };

function listenOn(server: Server, target: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(target, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Opens one server per address; `serve` wires each to the API. On any failure the servers already
 * open are closed again, and the error says which address failed, as dockerd's.
 */
export async function openListeners(
  hosts: readonly string[],
  tls: TlsFiles | undefined,
  serve: (server: Server) => void,
  warn: (msg: string, host: string) => void,
  explicitlyInsecure: boolean,
): Promise<Listener[]> {
  const open: Listener[] = [];
  try {
    for (const h of hosts) {
      const a = parseListenAddress(h);
      if (a.proto === 'unix') {
        if (await socketInUse(a.path)) throw new Error(`${a.path} is in use by another engine`);
        await mkdir(dirname(a.path), { recursive: true });
        await rm(a.path, { force: true });
        const server = createHttpServer(SERVER_OPTIONS);
        serve(server);
        await listenOn(server, { path: a.path });
        open.push({ server, address: h, close: () => closeServer(server, a.path) });
        continue;
      }
      const mutual = tls?.ca !== undefined;
      const server = tls
        // allowHalfOpen: the docker CLI ends its side of a hijacked attach at once (Go's CloseWrite,
        // a close_notify over TLS) and reads the output after; unix and TCP sockets of node:http
        // stay half open already.
        ? createHttpsServer({ ...SERVER_OPTIONS, allowHalfOpen: true, cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: mutual, rejectUnauthorized: mutual, minVersion: 'TLSv1.2' })
        : createHttpServer(SERVER_OPTIONS);
      serve(server);
      if (!mutual) {
        const loopback = await isLoopback(a.host);
        const warnings = plainTcpWarnings(loopback, explicitlyInsecure);
        for (const m of warnings) warn(m, h);
        if (warnings.length > 2) await new Promise((r) => setTimeout(r, INSECURE_START_DELAY_MS));
      }
      try {
        await listenOn(server, { host: a.host, port: a.port });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'EADDRINUSE' ? 'bind: address already in use' : e.code === 'EADDRNOTAVAIL' ? 'bind: cannot assign requested address' : e.message;
        throw new Error(`failed to load listeners: listen tcp ${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}: ${why}`);
      }
      const bound = server.address();
      const port = typeof bound === 'object' && bound ? bound.port : a.port;
      open.push({ server, address: `tcp://${a.host.includes(':') ? `[${a.host}]` : a.host}:${port}`, close: () => closeServer(server) });
    }
  } catch (err) {
    await Promise.all(open.map((l) => l.close()));
    throw err;
  }
  return open;
}

async function closeServer(server: Server, socketPath?: string): Promise<void> {
  server.close();
  server.closeAllConnections();
  if (socketPath) await rm(socketPath, { force: true });
}
