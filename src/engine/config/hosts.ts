/** The engine's listen addresses as dockerd reads `-H` (moby's opts/hosts.go). */

export const DEFAULT_UNIX_SOCKET = '/run/minke/minke.sock';
const DEFAULT_HTTP_HOST = 'localhost';
const DEFAULT_HTTP_PORT = 2375;
const DEFAULT_TLS_PORT = 2376;

export type ListenAddress = { proto: 'unix'; path: string } | { proto: 'tcp'; host: string; port: number };

/**
 * Normalizes one -H value: `unix://PATH`, `tcp://HOST:PORT`, a bare `HOST:PORT` (tcp), or empty for
 * the default (the unix socket; with TLS, tcp://localhost:2376), as dockerd's ParseHost.
 */
export function normalizeHost(value: string, defaultToTls: boolean): string {
  const host = value.trim();
  if (host === '') return defaultToTls ? `tcp://${DEFAULT_HTTP_HOST}:${DEFAULT_TLS_PORT}` : `unix://${DEFAULT_UNIX_SOCKET}`;
  const sep = host.indexOf('://');
  const [proto, rest] = sep < 0 ? ['tcp', host] : [host.slice(0, sep), host.slice(sep + 3)];
  switch (proto) {
    case 'tcp':
      return parseTcp(rest);
    case 'unix':
      if (rest.includes('://')) throw new Error(`Invalid proto, expected unix: ${rest}`);
      return `unix://${rest || DEFAULT_UNIX_SOCKET}`;
    case 'fd':
      throw new Error(`fd:// (socket activation) is not supported by minke: ${host}`);
    default:
      throw new Error(`Invalid bind address format: ${host}`);
  }
}

function parseTcp(addr: string): string {
  if (addr === '') return `tcp://${DEFAULT_HTTP_HOST}:${DEFAULT_HTTP_PORT}`;
  if (addr.includes('://')) throw new Error(`Invalid proto, expected tcp: ${addr}`);
  let url: URL;
  try {
    // WHATWG URLs refuse an empty host; Go's take it, and the default host fills it in.
    const withHost = addr.startsWith(':') ? `${DEFAULT_HTTP_HOST}${addr}` : addr;
    url = new URL(`tcp://${withHost.endsWith(']:') ? `${withHost}${DEFAULT_HTTP_PORT}` : withHost}`);
  } catch {
    throw new Error(`Invalid bind address format: ${addr}`);
  }
  if (url.pathname !== '' && url.pathname !== '/') throw new Error(`Invalid bind address format: ${addr}`);
  // URL drops an explicit ":0"'s meaning only for default ports of special schemes; tcp has none.
  const host = url.hostname || DEFAULT_HTTP_HOST;
  const port = url.port === '' ? (/:0+$/.test(addr) ? 0 : DEFAULT_HTTP_PORT) : Number(url.port);
  return `tcp://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

export function parseListenAddress(normalized: string): ListenAddress {
  if (normalized.startsWith('unix://')) return { proto: 'unix', path: normalized.slice('unix://'.length) };
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:]+):(\d+)$/.exec(normalized);
  if (!m) throw new Error(`Invalid bind address format: ${normalized}`);
  return { proto: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** The hosts of a list, normalized, without duplicates, sorted as dockerd keeps them. */
export function normalizeHosts(hosts: readonly string[], defaultToTls: boolean): string[] {
  const list = hosts.length ? hosts : [''];
  return [...new Set(list.map((h) => normalizeHost(h, defaultToTls)))].sort();
}
