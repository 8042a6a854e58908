import type { ContainerRecord } from '../containers/model.js';
import type { NameResolver } from './dns.js';
import { upstreamServers, type ParsedResolvConf } from './etc-files.js';
import type { Endpoint } from './model.js';
import type { ContainerDirectory } from './service.js';
import type { NetworkStore } from './store.js';

/**
 * What the embedded DNS server answers, from the containers' records: the names, aliases and
 * link aliases of containers on the asking container's user-defined networks (IPv4 and IPv6
 * addresses), their names for PTR, and where other names go.
 */
export class ContainerNames implements NameResolver {
  constructor(
    private readonly containers: () => ContainerDirectory,
    private readonly networks: NetworkStore,
    private readonly hostResolv: () => ParsedResolvConf,
    /** The DNS servers a container uses (its own, else the engine's). */
    private readonly dnsServers: (rec: ContainerRecord) => string[],
  ) {}

  /** A container by name or ID (prefix), or undefined. */
  find(ref: string): ContainerRecord | undefined {
    try {
      return this.containers().get(ref);
    } catch {
      return undefined;
    }
  }

  /** Containers joined to their networks now (from the join, before State says running). */
  private running(): ContainerRecord[] {
    return this.containers().all().filter((c) => c.NetworkSettings && Object.values(c.NetworkSettings.Networks).some((e) => e.IPAddress));
  }

  /** User-defined networks the container at `ip` is on. */
  private networksOfAddress(ip: string): { rec: ContainerRecord; nets: Set<string> } | undefined {
    for (const rec of this.running()) {
      const eps = Object.values(rec.NetworkSettings!.Networks);
      if (eps.some((e) => e.IPAddress === ip)) {
        const nets = new Set(eps.filter((e) => e.IPAddress && !this.networks.find(e.NetworkID)?.isDefault).map((e) => e.NetworkID));
        return { rec, nets };
      }
    }
    return undefined;
  }

  lookup(from: string, name: string): { v4: string[]; v6: string[] } | undefined {
    const who = this.networksOfAddress(from);
    if (!who) return undefined;
    const lower = name.toLowerCase();
    const ips: Endpoint[] = [];
    // Links of the asking container's endpoints (`--link target:alias` on a user network): the
    // alias names the target on that network, for the asking container only.
    for (const ep of Object.values(who.rec.NetworkSettings!.Networks)) {
      if (!ep.IPAddress || !who.nets.has(ep.NetworkID)) continue;
      for (const link of ep.Links ?? []) {
        const [target = '', alias = target] = link.split(':'); // as given: target[:alias]
        if (alias.toLowerCase() !== lower) continue;
        const other = this.find(target);
        const theirs = other && Object.values(other.NetworkSettings!.Networks).find((e) => e.NetworkID === ep.NetworkID && e.IPAddress);
        if (theirs) ips.push(theirs);
      }
    }
    for (const rec of this.running()) {
      for (const [netName, ep] of Object.entries(rec.NetworkSettings!.Networks)) {
        if (!ep.IPAddress || !who.nets.has(ep.NetworkID)) continue;
        const names = [rec.Name.slice(1), ...(ep.Aliases ?? []), rec.Id.slice(0, 12), rec.Config.Hostname ?? ''].map((x) => x.toLowerCase());
        const qualified = names.map((x) => `${x}.${netName.toLowerCase()}`);
        if (names.includes(lower) || qualified.includes(lower)) ips.push(ep);
      }
    }
    if (!ips.length) return undefined;
    return { v4: [...new Set(ips.map((e) => e.IPAddress))], v6: [...new Set(ips.map((e) => e.GlobalIPv6Address).filter(Boolean))] };
  }

  reverse(from: string, ip: string): string | undefined {
    const who = this.networksOfAddress(from);
    if (!who) return undefined;
    for (const rec of this.running()) {
      for (const [netName, ep] of Object.entries(rec.NetworkSettings!.Networks)) {
        if ((ep.IPAddress === ip || ep.GlobalIPv6Address === ip) && who.nets.has(ep.NetworkID)) return `${rec.Name.slice(1)}.${netName}`;
      }
    }
    return undefined;
  }

  upstream(from: string): string[] {
    const who = this.networksOfAddress(from);
    if (!who) return [];
    const external = [...who.nets].some((id) => !this.networks.find(id)?.Internal);
    if (!external) return [];
    return upstreamServers({ host: this.hostResolv(), dns: this.dnsServers(who.rec) });
  }
}
