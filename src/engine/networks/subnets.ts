import { readFileSync } from 'node:fs';
import { InvalidArgument } from '../../core/errors.js';

/** IPv4 arithmetic on CIDRs, and picking free subnets for new networks. */

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  bits: number;
}

export function ipToNumber(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new InvalidArgument(`invalid IP address: ${ip}`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function isIPv4(s: string): boolean {
  try {
    ipToNumber(s);
    return true;
  } catch {
    return false;
  }
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Parses `10.1.0.0/16`; the address is reduced to the network address unless strict. */
export function parseCidr(s: string, strict = false): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  if (!m || Number(m[2]) > 32) throw new InvalidArgument(`invalid CIDR address: ${s}`);
  const bits = Number(m[2]);
  const addr = ipToNumber(m[1]!);
  const base = (addr & mask(bits)) >>> 0;
  if (strict && base !== addr) throw new InvalidArgument(`invalid subnet ${s}: it should be ${numberToIp(base)}/${bits}`);
  return { base, bits };
}

export function formatCidr(c: Cidr): string {
  return `${numberToIp(c.base)}/${c.bits}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.bits)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const bits = Math.min(a.bits, b.bits);
  return ((a.base & mask(bits)) >>> 0) === ((b.base & mask(bits)) >>> 0);
}

/** The routes of the host's main table (what a new network must not shadow), from /proc/net/route. */
export function hostRoutes(text = readFileSync('/proc/net/route', 'utf8')): Cidr[] {
  const out: Cidr[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const dest = Number.parseInt(f[1]!, 16);
    const m = Number.parseInt(f[7]!, 16);
    if (m === 0) continue; // the default route overlaps everything
    // /proc/net/route prints addresses in host (little-endian) byte order.
    const swap = (n: number): number => (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | (n >>> 24)) >>> 0;
    const bits = swap(m).toString(2).replace(/0+$/, '').length;
    out.push({ base: swap(dest), bits });
  }
  return out;
}

/** docker's `--default-address-pool base=10.89.0.0/16,size=24`. */
export interface AddressPool {
  base: Cidr;
  size: number;
}

export function parseAddressPool(s: string): AddressPool {
  const kv = Object.fromEntries(s.split(',').map((p) => p.split('=', 2) as [string, string]));
  if (!kv.base || !kv.size) throw new InvalidArgument(`invalid default address pool: ${s}: expected base=CIDR,size=N`);
  const base = parseCidr(kv.base);
  const sz = Number(kv.size);
  if (!Number.isInteger(sz) || sz < base.bits || sz > 30) throw new InvalidArgument(`invalid default address pool: ${s}: size must be between ${base.bits} and 30`);
  return { base, size: sz };
}

/** Docker's own bridge, which a Docker daemon on the same host may hold. */
const RESERVED = [parseCidr('172.17.0.0/16')];

/** The first subnet of the pools that overlaps none of `taken`, the host's routes and docker0's range. */
export function pickSubnet(pools: readonly AddressPool[], taken: readonly Cidr[], routes: readonly Cidr[] = hostRoutes()): Cidr {
  const avoid = [...taken, ...routes, ...RESERVED];
  for (const pool of pools) {
    const step = 2 ** (32 - pool.size);
    for (let n = pool.base.base; contains(pool.base, n); n += step) {
      const c = { base: n >>> 0, bits: pool.size };
      if (!avoid.some((a) => overlaps(a, c))) return c;
    }
  }
  throw new InvalidArgument('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}
