import type { Command } from '../command.js';
import { println } from '../command.js';
import type { CommandSpec } from '../flags.js';
import { netContains, parseCIDR, parseIP } from '../goip.js';
import { csvValue, kvMap, stringSlice, validateLabel } from '../network-opts.js';

interface IPAMConfig {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** subnetMatches: whether an address (or a network's address) lies in a subnet. */
function subnetMatches(subnet: string, data: string): boolean {
  const s = parseCIDR(subnet);
  if (!s) throw new Error(`invalid subnet: invalid CIDR address: ${subnet}`);
  if (data.includes('/')) {
    const d = parseCIDR(data);
    if (!d) throw new Error(`invalid CIDR address: ${data}`);
    return netContains(s.net, d.ip);
  }
  return netContains(s.net, parseIP(data));
}

/** createIPAMConfig: subnets with their ranges, gateways and auxiliary addresses, as docker pairs them. */
export function ipamConfigs(subnets: string[], ranges: string[], gateways: string[], aux: Record<string, string>): IPAMConfig[] {
  if (subnets.length < ranges.length || subnets.length < gateways.length) throw new Error('every ip-range or gateway must have a corresponding subnet');
  // docker keeps these in a map, so it sends them in no set order; these keep the order given
  const data = new Map<string, IPAMConfig & { AuxiliaryAddresses: Record<string, string> }>();
  for (const s of subnets) {
    for (const k of data.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new Error('multiple overlapping subnet configuration is not supported');
    }
    data.set(s, { Subnet: s, AuxiliaryAddresses: {} });
  }
  const attach = (values: string[], field: 'IPRange' | 'Gateway', none: (v: string) => string, twice: (v: string, had: string, s: string) => string): void => {
    for (const v of values) {
      let match = false;
      for (const s of subnets) {
        // a range must be a network itself
        if (field === 'IPRange' && !parseCIDR(v)) throw new Error(`invalid CIDR address: ${v}`);
        if (!subnetMatches(s, v)) continue;
        const d = data.get(s)!;
        const had = d[field];
        if (had) throw new Error(twice(v, had, s));
        d[field] = v;
        match = true;
      }
      if (!match) throw new Error(none(v));
    }
  };
  attach(ranges, 'IPRange', (r) => `no matching subnet for range ${r}`, (r, had, s) => `cannot configure multiple ranges (${r}, ${had}) on the same subnet (${s})`);
  attach(gateways, 'Gateway', (g) => `no matching subnet for gateway ${g}`, (g, had, s) => `cannot configure multiple gateways (${g}, ${had}) for the same subnet (${s})`);
  for (const [key, addr] of Object.entries(aux)) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, addr)) continue;
      data.get(s)!.AuxiliaryAddresses[key] = addr;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for aux-address ${addr}`);
  }
  return [...data.values()].map((d) => {
    const { AuxiliaryAddresses, ...rest } = d;
    return Object.keys(AuxiliaryAddresses).length ? { ...rest, AuxiliaryAddresses } : rest;
  });
}

const spec: CommandSpec = {
  name: 'network create',
  usage: '[OPTIONS] NETWORK',
  description: 'Create a network',
  flags: [
    { name: 'attachable', kind: 'bool', help: 'Enable manual container attachment' },
    { name: 'aux-address', kind: 'list', type: 'map', defaultText: 'map[]', help: 'Auxiliary IPv4 or IPv6 addresses used by Network driver' },
    { name: 'config-from', kind: 'string', help: 'The network from which to copy the configuration' },
    { name: 'config-only', kind: 'bool', help: 'Create a configuration only network' },
    { name: 'driver', short: 'd', kind: 'string', default: 'bridge', help: 'Driver to manage the Network' },
    { name: 'gateway', kind: 'list', type: 'strings', validate: csvValue, help: 'IPv4 or IPv6 Gateway for the master subnet' },
    { name: 'ingress', kind: 'bool', help: 'Create swarm routing-mesh network' },
    { name: 'internal', kind: 'bool', help: 'Restrict external access to the network' },
    { name: 'ip-range', kind: 'list', type: 'strings', validate: csvValue, help: 'Allocate container ip from a sub-range' },
    { name: 'ipam-driver', kind: 'string', default: 'default', help: 'IP Address Management Driver' },
    { name: 'ipam-opt', kind: 'list', type: 'map', defaultText: 'map[]', help: 'Set IPAM driver specific options' },
    { name: 'ipv4', kind: 'bool', default: true, help: 'Enable or disable IPv4 address assignment' },
    { name: 'ipv6', kind: 'bool', help: 'Enable or disable IPv6 address assignment' },
    { name: 'label', kind: 'list', validate: validateLabel, help: 'Set metadata on a network' },
    { name: 'opt', short: 'o', kind: 'list', type: 'map', defaultText: 'map[]', help: 'Set driver specific options' },
    { name: 'scope', kind: 'string', help: "Control the network's scope" },
    { name: 'subnet', kind: 'list', type: 'strings', validate: csvValue, help: 'Subnet in CIDR format that represents a network segment' },
  ],
  exactArgs: 1,
};

export const command: Command = {
  spec,
  async run(ctx, p) {
    const subnets = stringSlice(p.list('subnet'));
    const ranges = stringSlice(p.list('ip-range'));
    const gateways = stringSlice(p.list('gateway'));
    const body = {
      Driver: p.str('driver'),
      Scope: p.str('scope'),
      EnableIPv4: p.has('ipv4') ? p.bool('ipv4') : undefined,
      EnableIPv6: p.has('ipv6') ? p.bool('ipv6') : undefined,
      IPAM: { Driver: p.str('ipam-driver'), Options: kvMap(p.list('ipam-opt')), Config: ipamConfigs(subnets, ranges, gateways, kvMap(p.list('aux-address'))) },
      Internal: p.bool('internal'),
      Attachable: p.bool('attachable'),
      Ingress: p.bool('ingress'),
      ConfigOnly: p.bool('config-only'),
      ConfigFrom: p.str('config-from') ? { Network: p.str('config-from') } : null,
      Options: kvMap(p.list('opt')),
      Labels: kvMap(p.list('label')),
      Name: p.args[0],
    };
    const r = await ctx.client().post<{ Id: string }>('/networks/create', undefined, body);
    println(ctx.out, r.Id);
    return 0;
  },
};
