import { Forbidden, InvalidArgument, SystemError } from '../../core/errors.js';
import type { IpamPool, NetworkRecord } from './model.js';
import { contains, formatCidr, ipToNumber, isIPv4, numberToIp, overlaps, parseCidr, pickSubnet, type AddressPool, type Cidr } from './subnets.js';
import {
  assertIPv6Available, bigintToIp6, contains6, formatCidr6, ip6ToBigint, isIp6, overlaps6, parseCidr6, pickSubnet6, type AddressPool6, type Cidr6,
} from './subnets6.js';

/**
 * A network's address configuration (IPAM.Config) from a create request, as dockerd's default
 * IPAM and bridge driver make it: one IPv4 pool (given, or picked from the default address
 * pools) and, with EnableIPv6, one IPv6 pool (given, or a /64 of the IPv6 pools, as newer
 * dockerd does). An IPv6 subnet without EnableIPv6 is kept in the configuration and not used,
 * as dockerd keeps it.
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
  /** No IPv6 subnet was asked for (one was picked): no --ip6 then. */
  subnet6Picked: boolean;
}

export interface IpamContext {
  taken4: Cidr[];
  taken6: Cidr6[];
  pools: readonly AddressPool[];
  /** The IPv6 pools: the daemon's, else its ULA prefix. */
  pools6: readonly AddressPool6[];
  routes4: () => Cidr[];
}

const isV6Config = (c: IpamRequestConfig): boolean => (c.Subnet ?? '').includes(':');

/** The network's IPv4 pool. */
export function pool4(n: Pick<NetworkRecord, 'IPAM'>): IpamPool | undefined {
  return n.IPAM.Config.find((c) => !c.Subnet.includes(':'));
}

/** The network's IPv6 pool, when IPv6 is enabled on it. */
export function pool6(n: Pick<NetworkRecord, 'IPAM' | 'EnableIPv6'>): IpamPool | undefined {
  return n.EnableIPv6 ? n.IPAM.Config.find((c) => c.Subnet.includes(':')) : undefined;
}

export function planIpam(configs: readonly IpamRequestConfig[], enableIPv6: boolean, ctx: IpamContext): IpamPlan {
  const v4 = configs.filter((c) => !isV6Config(c));
  const v6 = configs.filter(isV6Config);
  if (enableIPv6) {
    assertIPv6Available();
    // dockerd checks the IPv6 configuration (newest moby's wording) before the driver sees it.
    const errs = v6.flatMap(validate6);
    if (errs.length) throw new InvalidArgument(`invalid network config:\n${errs.join('\n')}`);
  }
  if (v4.length > 1 || (enableIPv6 && v6.length > 1)) throw new Forbidden('bridge driver doesn\'t support multiple subnets');
  const cfg4 = v4[0] ?? {};
  const out: IpamPool[] = [plan4(cfg4, ctx)];
  if (enableIPv6) out.push(plan6(v6[0] ?? {}, ctx));
  else {
    for (const c of v6) {
      parseCidr6(c.Subnet!);
      out.push(requested(c) as IpamPool);
    }
  }
  return { config: out, subnetPicked: !cfg4.Subnet, subnet6Picked: enableIPv6 && !v6[0]?.Subnet };
}

/** A pool as it was asked for (what a configuration-only network keeps, and an unused IPv6 subnet). */
export function requested(c: IpamRequestConfig): Partial<IpamPool> & { Subnet: string } {
  return {
    Subnet: c.Subnet ?? '',
    ...(c.IPRange ? { IPRange: c.IPRange } : {}),
    ...(c.Gateway ? { Gateway: c.Gateway } : {}),
    ...(c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length ? { AuxiliaryAddresses: { ...c.AuxiliaryAddresses } } : {}),
  };
}

function plan4(cfg: IpamRequestConfig, ctx: IpamContext): IpamPool {
  let subnet: Cidr;
  if (cfg.Subnet) {
    subnet = parseCidr(cfg.Subnet);
    if (ctx.taken4.some((t) => overlaps(t, subnet))) throw new Forbidden('invalid pool request: Pool overlaps with other one on this address space');
  } else {
    if (cfg.IPRange || cfg.Gateway) throw new InvalidArgument('ip-range and gateway need a subnet (--subnet)');
    subnet = pickSubnet(ctx.pools, ctx.taken4, ctx.routes4());
  }
  let gateway = cfg.Gateway ?? '';
  if (gateway) {
    if (!isIPv4(gateway) || !contains(subnet, ipToNumber(gateway))) throw new InvalidArgument(`no matching subnet for gateway ${gateway}`);
    // A /31 or /32 keeps no network and broadcast address (RFC 3021): any address may be the gateway.
    if (subnet.bits <= 30 && (ipToNumber(gateway) === subnet.base || ipToNumber(gateway) === subnet.base + 2 ** (32 - subnet.bits) - 1)) {
      throw new SystemError(`failed to allocate gateway (${gateway}): Address already in use`);
    }
  } else gateway = numberToIp(subnet.bits >= 31 ? subnet.base : subnet.base + 1);
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
    ...(cfg.Subnet && !cfg.Gateway ? { gatewayImplied: true } : {}),
  };
}

/** Newest moby's checks of an IPv6 pool (api/types/network ValidateIPAM), each problem a line. */
function validate6(cfg: IpamRequestConfig): string[] {
  let subnet: Cidr6;
  try {
    subnet = parseCidr6(cfg.Subnet!);
  } catch {
    return [`invalid subnet ${cfg.Subnet}: invalid CIDR block notation`];
  }
  const errs: string[] = [];
  const s = formatCidr6(subnet);
  if (ip6ToBigint(cfg.Subnet!.split('/')[0]!) !== subnet.base) errs.push(`invalid subnet ${cfg.Subnet}: it should be ${s}`);
  if (cfg.IPRange) {
    let r: Cidr6 | undefined;
    try {
      r = parseCidr6(cfg.IPRange);
    } catch {
      errs.push(isIPv4(cfg.IPRange.split('/')[0]!) ? `invalid ip-range ${cfg.IPRange}: parent subnet is an IPv6 block` : `invalid ip-range ${cfg.IPRange}: invalid CIDR block notation`);
    }
    if (r) {
      if (r.bits < subnet.bits) errs.push(`invalid ip-range ${cfg.IPRange}: CIDR block is bigger than its parent subnet ${s}`);
      if (ip6ToBigint(cfg.IPRange.split('/')[0]!) !== r.base) errs.push(`invalid ip-range ${cfg.IPRange}: it should be ${formatCidr6(r)}`);
      if (!overlaps6(r, subnet)) errs.push(`invalid ip-range ${cfg.IPRange}: parent subnet ${s} doesn't contain ip-range`);
    }
  }
  const addr = (what: string, a: string): void => {
    if (isIPv4(a)) errs.push(`${what}: parent subnet is an IPv6 block`);
    else if (!isIp6(a)) errs.push(`${what}: invalid address`);
    else if (!contains6(subnet, ip6ToBigint(a))) errs.push(`${what}: parent subnet ${s} doesn't contain this address`);
  };
  if (cfg.Gateway) addr(`invalid gateway ${cfg.Gateway}`, cfg.Gateway);
  for (const [name, a] of Object.entries(cfg.AuxiliaryAddresses ?? {})) addr(`invalid auxiliary address ${name}`, a);
  return errs;
}

function plan6(cfg: IpamRequestConfig, ctx: IpamContext): IpamPool {
  let subnet: Cidr6;
  if (cfg.Subnet) {
    subnet = parseCidr6(cfg.Subnet);
    if (ctx.taken6.some((t) => overlaps6(t, subnet))) throw new Forbidden('invalid pool request: Pool overlaps with other one on this address space');
  } else {
    subnet = pickSubnet6(ctx.pools6, ctx.taken6);
  }
  // The first address of an IPv6 subnet is its Subnet-Router anycast address (RFC 4291), never handed out.
  let gateway = cfg.Gateway ? bigintToIp6(ip6ToBigint(cfg.Gateway)) : '';
  if (gateway && ip6ToBigint(gateway) === subnet.base) throw new SystemError(`failed to allocate gateway (${gateway}): Address already in use`);
  if (!gateway) {
    if (subnet.bits === 128) throw new SystemError('failed to allocate gateway (): No available addresses on this pool');
    gateway = bigintToIp6(subnet.base + 1n);
  }
  const aux = cfg.AuxiliaryAddresses ?? {};
  return {
    Subnet: formatCidr6(subnet), Gateway: gateway,
    ...(cfg.IPRange ? { IPRange: formatCidr6(parseCidr6(cfg.IPRange)) } : {}),
    ...(Object.keys(aux).length ? { AuxiliaryAddresses: { ...aux } } : {}),
    ...(cfg.Subnet && !cfg.Gateway ? { gatewayImplied: true } : {}),
  };
}

/** Whether host-local can serve the pool: it refuses IPv4 /31 and /32 and IPv6 /127 and /128 ("too small to allocate from"). */
export function hostLocalServes(pool: IpamPool): boolean {
  const bits = Number(pool.Subnet.split('/')[1]);
  return bits <= (pool.Subnet.includes(':') ? 126 : 30);
}

/** host-local's range for a pool: the subnet, gateway, and the --ip-range's first and last addresses. */
export function cniRange(pool: IpamPool): Record<string, string> {
  const range: Record<string, string> = { subnet: pool.Subnet, gateway: pool.Gateway };
  if (!pool.IPRange) return range;
  if (pool.Subnet.includes(':')) {
    const r = parseCidr6(pool.IPRange);
    range.rangeStart = bigintToIp6(r.base + 1n);
    range.rangeEnd = bigintToIp6(r.base + (1n << BigInt(128 - r.bits)) - 1n);
    return range;
  }
  const r = parseCidr(pool.IPRange);
  range.rangeStart = numberToIp(r.base + (r.bits >= 31 ? 0 : 1));
  range.rangeEnd = numberToIp(r.base + 2 ** (32 - r.bits) - (r.bits >= 31 ? 1 : 2));
  return range;
}
