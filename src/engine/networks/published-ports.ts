import dgram from 'node:dgram';
import net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { Conflict, InvalidArgument } from '../../core/errors.js';
import type { PortBinding } from './model.js';

/**
 * Published ports: which host ports a container asked for (-p, -P), and their reservation on the
 * host. Traffic is forwarded by the CNI portmap plugin's DNAT rules; the engine also holds each
 * host port open, as docker-proxy does, so that no other program takes it and connections that
 * the rules do not catch (IPv6: a port published on all addresses listens on both families, as
 * dockerd's does) are proxied to the container.
 */

export type Protocol = 'tcp' | 'udp' | 'sctp';

export interface PortMapping {
  hostIp: string;
  hostPort: number;
  /** Last port of a host range `-p 8000-8010:80` to pick from (hostPort is the first). */
  hostPortEnd?: number;
  containerPort: number;
  protocol: Protocol;
}

function parsePortKey(key: string): { port: number; protocol: Protocol } {
  const [p, proto = 'tcp'] = key.split('/');
  const port = Number(p);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgument(`invalid port specification: "${key}"`);
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw new InvalidArgument(`invalid proto: ${proto}`);
  return { port, protocol: proto };
}

function parseHostPort(s: string | undefined): { start: number; end?: number } {
  if (!s) return { start: 0 };
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  const start = Number(m?.[1]);
  const end = m?.[2] === undefined ? undefined : Number(m[2]);
  if (!m || start > 65535 || (end !== undefined && (end < start || end > 65535))) throw new InvalidArgument(`invalid port specification: "${s}"`);
  return { start, end };
}

/** The mappings a container asks for: its PortBindings, plus every exposed port with -P. */
export function requestedMappings(
  bindings: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null | undefined,
  exposed: Record<string, object> | null | undefined,
  publishAll: boolean,
): PortMapping[] {
  const out: PortMapping[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const { port, protocol } = parsePortKey(key);
    for (const b of list ?? [{}]) {
      const hp = parseHostPort(b.HostPort);
      out.push({ hostIp: b.HostIp ?? '', hostPort: hp.start, hostPortEnd: hp.end, containerPort: port, protocol });
    }
  }
  if (publishAll) {
    for (const key of Object.keys(exposed ?? {})) {
      if (bindings?.[key]) continue;
      const { port, protocol } = parsePortKey(key);
      out.push({ hostIp: '', hostPort: 0, containerPort: port, protocol });
    }
  }
  return out;
}

/** Whether the host has IPv6 (a port published on all addresses then listens on `::` too). */
export const hostHasIPv6 = (): boolean => existsSync('/proc/net/if_inet6');

/**
 * NetworkSettings.Ports: every exposed or published port, with its host bindings (null when not
 * published); a port on all addresses shows as 0.0.0.0 and, with IPv6, `::`, as dockerd shows it.
 */
export function portsView(exposed: Record<string, object> | null | undefined, bound: readonly PortMapping[], ipv6 = hostHasIPv6()): Record<string, PortBinding[] | null> {
  const out: Record<string, PortBinding[] | null> = {};
  for (const key of Object.keys(exposed ?? {})) out[key.includes('/') ? key : `${key}/tcp`] = null;
  for (const m of bound) {
    const key = `${m.containerPort}/${m.protocol}`;
    const list = out[key] ?? [];
    list.push({ HostIp: m.hostIp || '0.0.0.0', HostPort: String(m.hostPort) });
    if (!m.hostIp && ipv6) list.push({ HostIp: '::', HostPort: String(m.hostPort) });
    out[key] = list;
  }
  return out;
}

function localPortRange(): [number, number] {
  try {
    const [a, b] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (a && b && a <= b) return [a, b];
  } catch {
    // fall through
  }
  return [49153, 65535];
}

type Holder = net.Server | dgram.Socket;

/** Where to listen for a mapping: all addresses means both families when the host has IPv6. */
function listenAddress(hostIp: string): string {
  if (hostIp && hostIp !== '0.0.0.0') return hostIp;
  return hostHasIPv6() ? '::' : '0.0.0.0';
}

/** Where a proxied connection goes; `ipv6`: the client came over IPv6 (not an IPv4-mapped address). */
export type ProxyTarget = (m: PortMapping, ipv6: boolean) => { host: string; port: number } | undefined;

function bindTcp(ip: string, port: number, target: (ipv6: boolean) => { host: string; port: number } | undefined): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((client) => {
      const t = target(net.isIPv6(client.remoteAddress ?? '') && !/^::ffff:\d/i.test(client.remoteAddress ?? ''));
      if (!t) {
        client.destroy();
        return;
      }
      const upstream = net.connect(t.port, t.host);
      client.pipe(upstream).pipe(client);
      const end = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
    });
    server.once('error', reject);
    server.listen({ host: ip, port, exclusive: true, ipv6Only: false }, () => {
      server.off('error', reject);
      server.unref();
      resolve(server);
    });
  });
}

function bindUdp(ip: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: ip.includes(':') ? 'udp6' : 'udp4', ipv6Only: false });
    s.once('error', reject);
    s.bind({ address: ip, port, exclusive: true }, () => {
      s.off('error', reject);
      s.unref();
      resolve(s);
    });
  });
}

function closeHolder(h: Holder): void {
  try {
    h.close();
  } catch {
    // already closed
  }
}

/** Host ports held for containers, by owner (container ID). */
export class PortReservations {
  private readonly held = new Map<string, Holder[]>();
  /** "proto/ip/port" → owner, for docker's "port is already allocated". */
  private readonly owners = new Map<string, string>();

  private key(m: { protocol: string; hostIp: string }, port: number): string {
    return `${m.protocol}/${m.hostIp || '0.0.0.0'}/${port}`;
  }

  private inUseByUs(m: PortMapping, port: number): boolean {
    if (this.owners.has(this.key(m, port))) return true;
    // 0.0.0.0 conflicts with every address and the other way round.
    if (!m.hostIp || m.hostIp === '0.0.0.0') return [...this.owners.keys()].some((k) => k.startsWith(`${m.protocol}/`) && k.endsWith(`/${port}`));
    return this.owners.has(this.key({ protocol: m.protocol, hostIp: '0.0.0.0' }, port));
  }

  /**
   * Binds every mapping's host port (picking free ones for port 0 and ranges), all or nothing.
   * `target` says where proxied TCP connections go (the container's address, once known).
   */
  async reserve(owner: string, mappings: readonly PortMapping[], target: ProxyTarget): Promise<PortMapping[]> {
    const bound: PortMapping[] = [];
    const holders: Holder[] = [];
    try {
      for (const m of mappings) {
        const ip = m.hostIp || '0.0.0.0';
        const candidates = m.hostPort === 0 ? this.randomPorts() : range(m.hostPort, m.hostPortEnd ?? m.hostPort);
        let last: unknown;
        let done = false;
        for (const port of candidates) {
          if (this.inUseByUs(m, port)) {
            last = new Conflict(`Bind for ${ip}:${port} failed: port is already allocated`);
            continue;
          }
          try {
            const r = { ...m, hostPort: port, hostPortEnd: undefined };
            const at = listenAddress(m.hostIp);
            const h = m.protocol === 'udp' ? await bindUdp(at, port) : await bindTcp(at, port, (ipv6) => target(r, ipv6));
            holders.push(h);
            bound.push(r);
            this.owners.set(this.key(m, port), owner);
            done = true;
            break;
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            last = code === 'EADDRINUSE'
              ? new Conflict(`Error starting userland proxy: listen ${m.protocol}4 ${ip}:${port}: bind: address already in use`)
              : code === 'EADDRNOTAVAIL'
                ? new InvalidArgument(`Error starting userland proxy: listen ${m.protocol}4 ${ip}:${port}: bind: cannot assign requested address`)
                : err;
          }
        }
        if (!done) throw last ?? new Conflict(`Bind for ${ip}:${m.hostPort} failed: port is already allocated`);
      }
    } catch (err) {
      holders.forEach(closeHolder);
      for (const m of bound) this.owners.delete(this.key(m, m.hostPort));
      throw err;
    }
    this.held.set(owner, [...(this.held.get(owner) ?? []), ...holders]);
    return bound;
  }

  release(owner: string): void {
    for (const h of this.held.get(owner) ?? []) closeHolder(h);
    this.held.delete(owner);
    for (const [k, o] of this.owners) if (o === owner) this.owners.delete(k);
  }

  private *randomPorts(): Generator<number> {
    const [lo, hi] = localPortRange();
    const n = hi - lo + 1;
    const start = Math.floor(Math.random() * n);
    for (let i = 0; i < Math.min(n, 200); i++) yield lo + ((start + i) % n);
  }
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let p = a; p <= b; p++) out.push(p);
  return out;
}
