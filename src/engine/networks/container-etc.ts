/**
 * A container's /etc/hostname, /etc/hosts and /etc/resolv.conf (bind-mounted into it), written
 * at each start as dockerd does: the hosts file with its addresses, --add-host and legacy links;
 * resolv.conf from its DNS settings or the host's resolvers (the embedded DNS server's address on
 * user networks); a container on another's network shares that one's files. A few small files
 * per start: synchronous calls, cheaper than their trips through libuv's threads.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { legacyLinks, parseLink } from '../containers/links.js';
import type { ContainerRecord } from '../containers/model.js';
import { hostsFile, parseResolvConf, resolvConf, type ParsedResolvConf } from './etc-files.js';
import { pool4 } from './ipam-config.js';
import type { NetworkRecord } from './model.js';

export interface EtcDeps {
  /** A container by reference (container: network mode); throws when there is none. */
  container(ref: string): ContainerRecord;
  /** A legacy link's target, if it exists. */
  linked(ref: string): ContainerRecord | undefined;
  network(id: string): NetworkRecord | undefined;
  dns(rec: ContainerRecord): { Dns: string[]; DnsSearch: string[]; DnsOptions: string[] };
  /** What --add-host's host-gateway stands for. */
  hostGateway(): string;
  hostResolv: ParsedResolvConf;
}

function readOr(path: string, dflt = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return dflt;
  }
}

/** The host's resolvers (/etc/resolv.conf; none when the host has no such file). */
export function readHostResolv(): ParsedResolvConf {
  return parseResolvConf(readOr('/etc/resolv.conf'));
}

export function writeContainerEtcFiles(rec: ContainerRecord, d: EtcDeps): void {
  writeFileSync(rec.HostnamePath, `${rec.Config.Hostname}\n`);
  writeFileSync(rec.HostsPath, hostsOf(rec, d));
  writeFileSync(rec.ResolvConfPath, resolvOf(rec, d));
}

/** /etc/hosts alone: rewritten in place (it is bind-mounted) once the container has its addresses. */
export function writeContainerHosts(rec: ContainerRecord, d: EtcDeps): void {
  writeFileSync(rec.HostsPath, hostsOf(rec, d));
}

function hostsOf(rec: ContainerRecord, d: EtcDeps): string {
  const mode = rec.HostConfig.NetworkMode ?? 'bridge';
  if (mode.startsWith('container:')) return readOr(d.container(mode.slice('container:'.length)).HostsPath);
  const extraHosts = (rec.HostConfig.ExtraHosts ?? []).map((h) => {
    const i = h.search(/[:=]/);
    const ip = h.slice(i + 1);
    return `${h.slice(0, i)}:${ip === 'host-gateway' ? d.hostGateway() : ip}`;
  });
  // Legacy links (--link name:alias): the linked container's address under its alias, ID and name.
  for (const entry of legacyLinks(rec) ?? []) {
    const { target, alias } = parseLink(entry);
    const other = d.linked(target);
    const ip = other && Object.values(other.NetworkSettings?.Networks ?? {}).find((e) => e.IPAddress)?.IPAddress;
    if (!other || !ip) continue;
    // dockerd's line: the alias, the linked container's hostname, then its name if not the alias.
    extraHosts.push(`${[...new Set([alias, other.Config.Hostname || other.Id.slice(0, 12), other.Name.slice(1)])].join(' ')}:${ip}`);
  }
  if (mode === 'host') {
    let hosts = readOr('/etc/hosts');
    for (const h of extraHosts) hosts += `${h.slice(h.indexOf(':') + 1)}\t${h.slice(0, h.indexOf(':'))}\n`;
    return hosts;
  }
  return hostsFile({
    hostname: rec.Config.Hostname ?? '',
    domainname: rec.Config.Domainname || undefined,
    addresses: Object.values(rec.NetworkSettings?.Networks ?? {}).flatMap((e) => [e.IPAddress, e.GlobalIPv6Address]).filter(Boolean),
    extraHosts,
  });
}

function resolvOf(rec: ContainerRecord, d: EtcDeps): string {
  const mode = rec.HostConfig.NetworkMode ?? 'bridge';
  if (mode.startsWith('container:')) return readOr(d.container(mode.slice('container:'.length)).ResolvConfPath);
  const hc = d.dns(rec);
  if (mode === 'host' && !hc.Dns.length && !hc.DnsSearch.length && !hc.DnsOptions.length) return readOr('/etc/resolv.conf');
  const embedded = Object.values(rec.NetworkSettings?.Networks ?? {})
    .map((e) => d.network(e.NetworkID))
    .find((n) => n && n.Driver === 'bridge' && !n.isDefault);
  return resolvConf({
    host: d.hostResolv, dns: hc.Dns, dnsSearch: hc.DnsSearch, dnsOptions: hc.DnsOptions,
    embedded: embedded ? pool4(embedded)?.Gateway : undefined,
  });
}
