import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { InvalidArgument } from '../../core/errors.js';

/** IPv6 arithmetic on CIDRs (128-bit numbers as bigint), and whether this host can run IPv6 networks. */

export interface Cidr6 {
  base: bigint;
  bits: number;
}

const ALL = (1n << 128n) - 1n;

export function ip6ToBigint(ip: string): bigint {
  if (!isIPv6(ip) || ip.includes('%')) throw new InvalidArgument(`invalid IPv6 address: ${ip}`);
  let s = ip;
  // An embedded IPv4 tail (::ffff:10.0.0.1) is two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const n = v4.slice(1).map(Number);
    s = `${s.slice(0, v4.index)}${((n[0]! << 8) | n[1]!).toString(16)}:${((n[2]! << 8) | n[3]!).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** The canonical form (RFC 5952: lower case, longest run of zero groups as ::), as Go prints it. */
export function bigintToIp6(n: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function mask6(bits: number): bigint {
  return bits === 0 ? 0n : (ALL << BigInt(128 - bits)) & ALL;
}

export function isIp6(s: string): boolean {
  return isIPv6(s) && !s.includes('%');
}

/** Parses `fd00:1::/64`; the address is reduced to the network address. */
export function parseCidr6(s: string): Cidr6 {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(s);
  if (!m || Number(m[2]) > 128 || !isIp6(m[1]!)) throw new InvalidArgument(`invalid CIDR address: ${s}`);
  const bits = Number(m[2]);
  const addr = ip6ToBigint(m[1]!);
  return { base: addr & mask6(bits), bits };
}

export function formatCidr6(c: Cidr6): string {
  return `${bigintToIp6(c.base)}/${c.bits}`;
}

export function contains6(c: Cidr6, ip: bigint): boolean {
  return (ip & mask6(c.bits)) === c.base;
}

export function overlaps6(a: Cidr6, b: Cidr6): boolean {
  const m = mask6(Math.min(a.bits, b.bits));
  return (a.base & m) === (b.base & m);
}

/** The host's IPv6 routes (what a new network must not shadow), from /proc/net/ipv6_route; link-local, multicast and default left out. */
export function hostRoutes6(text?: string): Cidr6[] {
  let t = text;
  if (t === undefined) {
    try {
      t = readFileSync('/proc/net/ipv6_route', 'utf8');
    } catch {
      return [];
    }
  }
  const out: Cidr6[] = [];
  for (const line of t.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const bits = Number.parseInt(f[1]!, 16);
    if (bits === 0 || bits === 128) continue;
    const base = BigInt(`0x${f[0]}`);
    const c = { base, bits };
    if (overlaps6(c, parseCidr6('fe80::/10')) || overlaps6(c, parseCidr6('ff00::/8'))) continue;
    out.push(c);
  }
  return out;
}

/** A pool of IPv6 subnets (`--default-address-pool base=fd35:100::/56,size=64`). */
export interface AddressPool6 {
  base: Cidr6;
  size: number;
}

/**
 * The engine's own IPv6 pool when none is configured, as newer dockerd makes it: a ULA /48
 * (RFC 4193) whose 40-bit global ID comes from the engine ID, split into /64s. Stable across
 * restarts, and unlikely to be another host's.
 */
export function ulaPool(engineId: string): AddressPool6 {
  const gid = createHash('sha256').update(engineId).digest().readBigUInt64BE(0) & ((1n << 40n) - 1n);
  return { base: { base: ip6ToBigint('fd00::') | (gid << 80n), bits: 48 }, size: 64 };
}

export function pickSubnet6(pools: readonly AddressPool6[], taken: readonly Cidr6[], routes: readonly Cidr6[] = hostRoutes6()): Cidr6 {
  const avoid = [...taken, ...routes];
  for (const pool of pools) {
    const step = 1n << BigInt(128 - pool.size);
    const count = Math.min(2 ** Math.min(pool.size - pool.base.bits, 30), 65536);
    for (let i = 0; i < count; i++) {
      const c = { base: pool.base.base + BigInt(i) * step, bits: pool.size };
      if (!avoid.some((a) => overlaps6(a, c))) return c;
    }
  }
  throw new InvalidArgument('could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
}

/** What the IPv6 check looks at (the host's, or a test's stand-in). */
export interface Ipv6Probe {
  /** A file's text, or undefined when it is missing. */
  read(path: string): string | undefined;
  /** Throws when ip6tables cannot list its nat table. */
  ip6tables(): void;
}

const hostProbe: Ipv6Probe = {
  read: (path) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined),
  ip6tables: () => execFileSync('ip6tables', ['-w', '5', '-t', 'nat', '-L', 'POSTROUTING', '-n'], { stdio: 'pipe', timeout: 30_000 }),
};

/** Why a host cannot run IPv6 networks, or undefined when it can. */
export function ipv6Problem(probe: Ipv6Probe): string | undefined {
  if (probe.read('/proc/net/if_inet6') === undefined) return 'the kernel has no IPv6 (/proc/net/if_inet6 is missing)';
  if (probe.read('/proc/sys/net/ipv6/conf/all/disable_ipv6')?.trim() === '1') return 'IPv6 is disabled (net.ipv6.conf.all.disable_ipv6=1)';
  try {
    probe.ip6tables();
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim().split('\n')[0];
    return `ip6tables does not work: ${stderr || (err as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

/** Why this host cannot run IPv6 networks, or undefined when it can (checked once per engine). */
let unavailable: { why: string | undefined } | undefined;
export function ipv6Unavailable(): string | undefined {
  unavailable ??= { why: ipv6Problem(hostProbe) };
  return unavailable.why;
}

/** The error for an IPv6 request on a host without IPv6. */
export function assertIPv6Available(): void {
  const why = ipv6Unavailable();
  if (why) throw new InvalidArgument(`IPv6 is not available on this host: ${why}`);
}

/** An IPv6 `--default-address-pool base=fd35:100::/56,size=64`. */
export function parseAddressPool6(s: string): AddressPool6 {
  const kv = Object.fromEntries(s.split(',').map((p) => p.split('=', 2) as [string, string]));
  if (!kv.base || !kv.size) throw new InvalidArgument(`invalid default address pool: ${s}: expected base=CIDR,size=N`);
  const base = parseCidr6(kv.base);
  const sz = Number(kv.size);
  if (!Number.isInteger(sz) || sz < base.bits || sz > 126) throw new InvalidArgument(`invalid default address pool: ${s}: size must be between ${base.bits} and 126`);
  return { base, size: sz };
}
