import { Conflict, Forbidden, InvalidArgument, NotFound, NotImplemented } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { bridgeExists } from './bridge-link.js';
import { planIpam, requested } from './ipam-config.js';
import { PREDEFINED_NETWORKS, type IpamPool, type NetworkRecord } from './model.js';
import { hostRoutes, isIPv4, parseCidr, type AddressPool } from './subnets.js';
import { isIp6, parseCidr6, type AddressPool6 } from './subnets6.js';

/**
 * What a `POST /networks/create` makes, checked as dockerd checks it: a bridge network (its
 * bridge name, options and address pools), or a configuration-only network (--config-only)
 * whose IPAM, options and labels a network made --config-from it takes.
 */

export interface NetworkCreateRequest {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  EnableIPv6?: boolean;
  EnableIPv4?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string } | null;
  Scope?: string;
  IPAM?: { Driver?: string; Config?: Array<{ Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }> | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export const BRIDGE_NAME_OPT = 'com.docker.network.bridge.name';
/** The source address of the network's outgoing IPv4 traffic (dockerd's bridge driver: SNAT instead of MASQUERADE). */
export const HOST_IPV4_OPT = 'com.docker.network.host_ipv4';
export const MTU_OPT = 'com.docker.network.driver.mtu';

export interface CreateContext {
  /** The networks there are. */
  networks: readonly NetworkRecord[];
  pools: readonly AddressPool[];
  pools6: readonly AddressPool6[];
}

export function newNetworkRecord(name: string, driver: NetworkRecord['Driver']): NetworkRecord {
  return {
    Name: name, Id: newId(), Created: new Date().toISOString(), Scope: 'local', Driver: driver, EnableIPv4: true, EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [] }, Internal: false, Attachable: false, Ingress: false, ConfigOnly: false,
    Options: {}, Labels: {},
  };
}

/** The record a create request makes (nothing set up yet), or dockerd's error for it. */
export function planNetwork(req: NetworkCreateRequest, ctx: CreateContext): NetworkRecord {
  const name = req.Name ?? '';
  // As dockerd: any non-empty name (spaces included); only containers and volumes have a pattern.
  if (!name.trim()) throw new InvalidArgument('invalid name: name is empty');
  if (PREDEFINED_NETWORKS.has(name) || name === 'default') throw new Forbidden(`operation is not permitted on predefined ${name} network `);
  if (ctx.networks.some((n) => n.Name === name)) throw new Conflict(`network with name ${name} already exists`);
  const driver = req.Driver || 'bridge';
  if (driver !== 'bridge') throw new NotFound(`plugin "${driver}" not found`);
  const ipamDriver = req.IPAM?.Driver || 'default';
  if (ipamDriver !== 'default') throw new NotFound(`plugin "${ipamDriver}" not found`);
  // Newer dockerd (API 1.47) makes IPv6-only networks; here every network has IPv4: say so.
  if (req.EnableIPv4 === false && !req.ConfigFrom?.Network) throw new NotImplemented('IPv6-only networks (EnableIPv4: false, --ipv4=false) are not supported: every network has IPv4');
  if (req.ConfigOnly) return configOnly(name, req);
  const from = req.ConfigFrom?.Network ? configNetwork(req, ctx.networks) : undefined;
  const eff: NetworkCreateRequest = from
    ? { ...req, EnableIPv6: from.EnableIPv6, IPAM: { Driver: 'default', Config: from.IPAM.Config, Options: from.IPAM.Options }, Options: from.Options, Labels: from.Labels }
    : req;
  // Configuration-only networks hold no pool; an unused IPv6 subnet is not allocated either.
  const taken = ctx.networks.filter((n) => !n.ConfigOnly).flatMap((n) => n.IPAM.Config.filter((c) => n.EnableIPv6 || !c.Subnet.includes(':')).map((c) => c.Subnet));
  const plan = planIpam(eff.IPAM?.Config ?? [], eff.EnableIPv6 ?? false, {
    taken4: taken.filter((c) => !c.includes(':')).map((c) => parseCidr(c)),
    taken6: taken.filter((c) => c.includes(':')).map((c) => parseCidr6(c)),
    pools: ctx.pools, pools6: ctx.pools6, routes4: () => hostRoutes(),
  });
  const id = newId();
  const options = { ...(eff.Options ?? {}) };
  validateOptions(options);
  const bridge = options[BRIDGE_NAME_OPT] || `br-${id.slice(0, 12)}`;
  if (bridge.length > 15) throw new InvalidArgument(`bridge name ${bridge} is longer than 15 characters`);
  if (ctx.networks.some((n) => n.bridge === bridge)) throw new Conflict(`bridge name ${bridge} is used by another network`);
  if (bridgeExists(bridge) && !options[BRIDGE_NAME_OPT]) throw new Conflict(`a bridge named ${bridge} exists already`);
  return {
    ...newNetworkRecord(name, 'bridge'),
    Id: id,
    EnableIPv6: eff.EnableIPv6 ?? false,
    IPAM: { Driver: 'default', Options: eff.IPAM?.Options ?? null, Config: plan.config },
    Internal: req.Internal ?? false,
    Attachable: req.Attachable ?? false,
    ...(plan.subnetPicked ? { subnetPicked: true } : {}),
    ...(plan.subnet6Picked ? { subnet6Picked: true } : {}),
    ...(from ? { ConfigFrom: { Network: from.Name } } : {}),
    Options: options,
    Labels: { ...(eff.Labels ?? {}) },
    bridge,
  };
}

function validateOptions(options: Record<string, string>): void {
  if (options[MTU_OPT] !== undefined) {
    const mtu = Number(options[MTU_OPT]);
    if (!/^\d+$/.test(options[MTU_OPT]) || mtu < 68 || mtu > 65535) throw new InvalidArgument(`invalid MTU number: ${options[MTU_OPT]}`);
  }
  const hostIp = options[HOST_IPV4_OPT];
  // dockerd's wording (the bridge driver's label parser): value, then why.
  if (hostIp !== undefined && !isIPv4(hostIp)) throw new InvalidArgument(`failed to parse ${HOST_IPV4_OPT} value: ${hostIp} (${isIp6(hostIp) ? 'not an IPv4 address' : 'nil ip'})`);
}

/** A configuration-only network: no bridge, no endpoint, the null driver shown, as dockerd. */
function configOnly(name: string, req: NetworkCreateRequest): NetworkRecord {
  if (req.Ingress || req.Internal || req.Attachable || req.Scope) {
    throw new Forbidden('configuration network can only contain network specific fields. Network operator fields like [ ingress | internal | attachable | scope ] are not supported.');
  }
  if (req.ConfigFrom?.Network) throw new Forbidden('a configuration network cannot depend on another configuration network');
  // Kept as asked: the network made --config-from it checks and allocates them.
  const configs = (req.IPAM?.Config ?? []).map((c) => {
    if (c.Subnet) {
      if (c.Subnet.includes(':')) parseCidr6(c.Subnet);
      else parseCidr(c.Subnet);
    }
    return requested(c) as IpamPool;
  });
  const options = { ...(req.Options ?? {}) };
  validateOptions(options);
  return {
    ...newNetworkRecord(name, 'null'),
    EnableIPv6: req.EnableIPv6 ?? false,
    IPAM: { Driver: 'default', Options: req.IPAM?.Options ?? null, Config: configs },
    ConfigOnly: true,
    Options: options,
    Labels: { ...(req.Labels ?? {}) },
  };
}

/** The configuration-only network a --config-from request names; the request itself must configure nothing. */
function configNetwork(req: NetworkCreateRequest, networks: readonly NetworkRecord[]): NetworkRecord {
  const ref = req.ConfigFrom!.Network!;
  const n = networks.find((x) => x.Name === ref || x.Id === ref);
  if (!n || !n.ConfigOnly) throw new NotFound(`configuration network "${ref}" does not exist`);
  if (req.EnableIPv6 || req.EnableIPv4 === false || Object.keys(req.Labels ?? {}).length || Object.keys(req.IPAM?.Options ?? {}).length || (req.IPAM?.Config ?? []).length) {
    throw new Forbidden('user specified configurations are not supported if the network depends on a configuration network');
  }
  if (Object.keys(req.Options ?? {}).length) throw new Forbidden('network driver options are not supported if the network depends on a configuration network');
  return n;
}
