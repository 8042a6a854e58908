import { Forbidden, InvalidArgument } from '../../core/errors.js';
import type { IpamPool, NetworkRecord } from './model.js';
import { contains, formatCidr, ipToNumber, isIPv4, numberToIp, overlaps, parseCidr, pickSubnet, type AddressPool, type Cidr } from './subnets.js';
import {
  DEFAULT_POOL6, assertIPv6Available, bigintToIp6, contains6, formatCidr6, ip6ToBigint, isIp6, overlaps6, parseCidr6, pickSubnet6,
  type AddressPool6, type Cidr6,
} from './subnets6.js';

/**
 * A network's address configuration (IPAM.Config) from a create request, as dockerd's default
 * IPAM makes it: one IPv4 pool (given, or picked from the default address pools) and, with
 * EnableIPv6, one IPv6 pool (given, or a /64 of the IPv6 default pools, as newer dockerd does).
 */

export interface IpamRequestConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface IpamPlan {
  config: IpamPool[];
  /** No IPv4 subnet was asked for: no --ip then, as dockerd. */
  subnetPicked: boolean;
  warning: string;
}

export interface IpamContext {
  taken4: Cidr[];
  taken6: Cidr6[];
  pools: readonly AddressPool[];
  pools6: readonly AddressPool6[];
  routes4: () => Cidr[];
}

const isV6Config = (c: IpamRequestConfig): boolean => (c.Subnet ?? '').includes(':');

/** The network's IPv4 pool. */
export function pool4(n: Pick<NetworkRecord, 'IPAM'>): IpamPool | undefined {
  return n.IPAM.Config.find((c) => !c.Subnet.includes(':'));
}

/** The network's IPv6 pool, when IPv6 is enabled on it (a v6 subnet without --ipv6 is recorded, unused, as dockerd). */
export function pool6(n: Pick<NetworkRecord, 'IPAM' | 'EnableIPv6'>): IpamPool | undefined {
  return n.EnableIPv6 ? n.IPAM.Config.find((c) => c.Subnet.includes(':')) : undefined;
}

export function planIpam(configs: readonly IpamRequestConfig[], enableIPv6: boolean, ctx: IpamContext): IpamPlan {
  const v4 = configs.filter((c) => !isV6Config(c));
  const v6 = configs.filter(isV6Config);
  if (v4.length > 1) throw new InvalidArgument('only one IPv4 subnet per network is supported');
  if (v6.length > 1) throw new InvalidArgument('only one IPv6 subnet per network is supported');
  let warning = '';
  const out: IpamPool[] = [];
  const cfg4 = v4[0] ?? {};
  out.push(plan4(cfg4, ctx));
  if (enableIPv6) {
    assertIPv6Available();
    out.push(plan6(v6[0] ?? {}, ctx));
  } else if (v6[0]) {
    // dockerd keeps the subnet in the configuration and gives no IPv6 address: say so.
    const s = parseCidr6(v6[0].Subnet!);
    out.push({ Subnet: formatCidr6(s), ...(v6[0].Gateway ? { Gateway: v6[0].Gateway } : {}) } as IpamPool);
    warning = `IPv6 subnet ${formatCidr6(s)} is not used: IPv6 is not enabled on the network (--ipv6)`;
  }
  return { config: out, subnetPicked: !cfg4.Subnet, warning };
}

function plan4(cfg: IpamRequestConfig, ctx: IpamContext): IpamPool {
  let subnet: Cidr;
  if (cfg.Subnet) {
    subnet = parseCidr(cfg.Subnet);
    // A /31 is a point-to-point link (RFC 3021): its two addresses are the gateway and one
    // container, nothing is kept for network and broadcast. A /32 leaves nothing for a container.
    if (subnet.bits > 31) throw new InvalidArgument(`invalid subnet ${cfg.Subnet}: it leaves no address for containers`);
    if (ctx.taken4.some((t) => overlaps(t, subnet))) throw new Forbidden('invalid pool request: Pool overlaps with other one on this address space');
  } else {
    if (cfg.IPRange || cfg.Gateway) throw new InvalidArgument('ip-range and gateway need a subnet (--subnet)');
    subnet = pickSubnet(ctx.pools, ctx.taken4, ctx.routes4());
  }
  let gateway = cfg.Gateway ?? '';
  if (gateway) {
    if (!isIPv4(gateway) || !contains(subnet, ipToNumber(gateway))) throw new InvalidArgument(`no matching subnet for gateway ${gateway}`);
  } else gateway = numberToIp(subnet.bits === 31 ? subnet.base : subnet.base + 1);
  if (cfg.IPRange) {
    const r = parseCidr(cfg.IPRange);
    if (!overlaps(r, subnet) || r.bits < subnet.bits) throw new InvalidArgument(`no matching subnet for range ${cfg.IPRange}`);
  }
  const aux = cfg.AuxiliaryAddresses ?? {};
  for (const [host, ip] of Object.entries(aux)) {
    if (!isIPv4(ip) || !contains(subnet, ipToNumber(ip))) {
      throw new InvalidArgument(`auxiliary address: (${host}:${ip}) must belong to the master pool: ${formatCidr(subnet)}`);
    }
  }
  return {
    Subnet: formatCidr(subnet), Gateway: gateway,
    ...(cfg.IPRange ? { IPRange: cfg.IPRange } : {}),
    ...(Object.keys(aux).length ? { AuxiliaryAddresses: { ...aux } } : {}),
  };
}

function plan6(cfg: IpamRequestConfig, ctx: IpamContext): IpamPool {
  let subnet: Cidr6;
  if (cfg.Subnet) {
    subnet = parseCidr6(cfg.Subnet);
    if (ip6ToBigint(cfg.Subnet.split('/')[0]!) !== subnet.base) {
      throw new InvalidArgument(`invalid network config:\ninvalid subnet ${cfg.Subnet}: it should be ${formatCidr6(subnet)}`);
    }
    if (subnet.bits > 127) throw new InvalidArgument(`invalid subnet ${cfg.Subnet}: it leaves no address for containers`);
    if (ctx.taken6.some((t) => overlaps6(t, subnet))) throw new Forbidden('invalid pool request: Pool overlaps with other one on this address space');
  } else {
    subnet = pickSubnet6(ctx.pools6.length ? ctx.pools6 : [DEFAULT_POOL6], ctx.taken6);
  }
  let gateway = cfg.Gateway ?? '';
  if (gateway) {
    if (!isIp6(gateway) || !contains6(subnet, ip6ToBigint(gateway))) {
      throw new InvalidArgument(`invalid network config:\ninvalid gateway ${gateway}: parent subnet ${formatCidr6(subnet)} doesn't contain this address`);
    }
    gateway = bigintToIp6(ip6ToBigint(gateway));
  } else gateway = bigintToIp6(subnet.base + 1n);
  if (cfg.IPRange) {
    const r = parseCidr6(cfg.IPRange);
    if (!overlaps6(r, subnet) || r.bits < subnet.bits) {
      throw new InvalidArgument(`invalid network config:\ninvalid ip-range ${cfg.IPRange}: parent subnet ${formatCidr6(subnet)} doesn't contain ip-range`);
    }
  }
  const aux = cfg.AuxiliaryAddresses ?? {};
  for (const [host, ip] of Object.entries(aux)) {
    if (!isIp6(ip) || !contains6(subnet, ip6ToBigint(ip))) {
      throw new InvalidArgument(`auxiliary address: (${host}:${ip}) must belong to the master pool: ${formatCidr6(subnet)}`);
    }
  }
  return {
    Subnet: formatCidr6(subnet), Gateway: gateway,
    ...(cfg.IPRange ? { IPRange: cfg.IPRange } : {}),
    ...(Object.keys(aux).length ? { AuxiliaryAddresses: { ...aux } } : {}),
  };
}

/** host-local's range for a pool: the subnet, gateway, and the --ip-range's first and last addresses. */
export function cniRange(pool: IpamPool): Record<string, string> {
  const range: Record<string, string> = { subnet: pool.Subnet, gateway: pool.Gateway };
  if (pool.Subnet.includes(':')) {
    if (pool.IPRange) {
      const r = parseCidr6(pool.IPRange);
      range.rangeStart = bigintToIp6(r.base + 1n);
      range.rangeEnd = bigintToIp6(r.base + (1n << BigInt(128 - r.bits)) - 1n);
    }
    return range;
  }
  const s = parseCidr(pool.Subnet);
  const r = pool.IPRange ? parseCidr(pool.IPRange) : undefined;
  if (r) {
    range.rangeStart = numberToIp(r.base + (r.bits >= 31 ? 0 : 1));
    range.rangeEnd = numberToIp(r.base + 2 ** (32 - r.bits) - (r.bits >= 31 ? 1 : 2));
  } else if (s.bits === 31) {
    // host-local would keep both addresses of a /31 as network and broadcast.
    range.rangeStart = numberToIp(s.base);
    range.rangeEnd = numberToIp(s.base + 1);
  }
  return range;
}
