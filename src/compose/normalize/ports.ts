/**
 * Ports: the short syntax (`[HOST_IP:][HOST[-RANGE]:]CONTAINER[-RANGE][/PROTOCOL]`, a bare
 * number) made long, one entry per container port of a range, as compose-go does.
 */
import type { PortConfig } from '../model.js';
import { fail, toInt } from './values.js';

function range(s: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a > 65535 || b > 65535 || b < a) return undefined;
  return [a, b];
}

function isIp(s: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return s.split('.').every((p) => Number(p) <= 255);
  return /^[0-9a-fA-F:]+$/.test(s) && s.includes(':');
}

/** One short-syntax port as long entries. */
export function parsePortSpec(spec: string, at: string): PortConfig[] {
  const bad = (): never => fail(at, `invalid port ${JSON.stringify(spec)}`);
  let rest = spec.trim();
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(protocol)) bad();
  }
  let hostIp: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') bad();
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  let host: string | undefined;
  let container: string;
  if (parts.length === 1) container = parts[0]!;
  else if (parts.length === 2) [host, container] = parts as [string, string];
  else if (parts.length === 3 && hostIp === undefined) {
    [hostIp, host, container] = parts as [string, string, string];
    if (!isIp(hostIp)) bad();
  } else if (hostIp === undefined && parts.length > 3) {
    // an IPv6 address without brackets: the last two parts are the ports
    container = parts.pop()!;
    host = parts.pop()!;
    hostIp = parts.join(':');
    if (!isIp(hostIp)) bad();
  } else return bad();
  if (hostIp !== undefined && !isIp(hostIp)) bad();
  const c = range(container);
  if (!c) return bad();
  const h = host === undefined || host === '' ? undefined : range(host);
  if (host !== undefined && host !== '' && !h) bad();
  const count = c[1] - c[0] + 1;
  const out: PortConfig[] = [];
  for (let i = 0; i < count; i++) {
    let published: string | undefined;
    if (h) {
      const hostCount = h[1] - h[0] + 1;
      if (hostCount === count) published = String(h[0] + i);
      else if (count === 1) published = h[0] === h[1] ? String(h[0]) : `${h[0]}-${h[1]}`;
      else bad();
    }
    out.push({ mode: 'ingress', ...(hostIp !== undefined && hostIp !== '' ? { host_ip: hostIp } : {}), target: c[0] + i, ...(published !== undefined ? { published } : {}), protocol });
  }
  return out;
}

/** The ports key: numbers, short strings and long objects, as long entries. */
export function normalizePorts(v: unknown, at: string): PortConfig[] {
  if (!Array.isArray(v)) return [];
  const out: PortConfig[] = [];
  v.forEach((p, i) => {
    const here = `${at}[${i}]`;
    if (typeof p === 'number') out.push(...parsePortSpec(String(p), here));
    else if (typeof p === 'string') out.push(...parsePortSpec(p, here));
    else if (p && typeof p === 'object') {
      const o = p as Record<string, unknown>;
      const target = toInt(o.target, `${here}.target`);
      if (target < 1 || target > 65535) fail(`${here}.target`, `invalid port ${target}`);
      const published = o.published === undefined || o.published === null || o.published === '' ? undefined : String(o.published);
      if (published !== undefined && !range(published)) fail(`${here}.published`, `invalid port ${JSON.stringify(published)}`);
      const entry: PortConfig = {
        ...(o.name !== undefined ? { name: String(o.name) } : {}),
        mode: o.mode === undefined ? 'ingress' : String(o.mode),
        ...(o.host_ip !== undefined ? { host_ip: String(o.host_ip) } : {}),
        target,
        ...(published !== undefined ? { published } : {}),
        protocol: o.protocol === undefined ? 'tcp' : String(o.protocol).toLowerCase(),
        ...(o.app_protocol !== undefined ? { app_protocol: String(o.app_protocol) } : {}),
      };
      out.push(entry);
    }
  });
  return out;
}

/** The key two port entries share when one replaces the other in a merge. */
export function portKey(p: PortConfig): string {
  return `${p.host_ip ?? ''}|${p.target}|${p.published ?? ''}|${p.protocol}`;
}
