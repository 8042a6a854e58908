import { Mutex } from '../images/mutex.js';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MNT_DETACH, sys } from '../../core/native.js';
import { Conflict, Forbidden, InvalidArgument, NotFound, messageOf } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { legacyLinks, parseLink } from '../containers/links.js';
import type { ContainerRecord, HostConfig } from '../containers/model.js';
import type { NetworkPort } from '../containers/ports.js';
import { addAddressIn, deleteBridge, ensureBridge } from './bridge-link.js';
import { cniAdd, cniDel, type CniConfList, type CniResult } from './cni.js';
import type { EmbeddedDns } from './dns.js';
import { ContainerNames } from './container-names.js';
import type { ParsedResolvConf } from './etc-files.js';
import { readHostResolv, writeContainerEtcFiles, writeContainerHosts, type EtcDeps } from './container-etc.js';
import { Firewall, type FirewallNetwork } from './firewall.js';
import { PREDEFINED_NETWORKS, emptyEndpoint, type Endpoint, type EndpointConfig, type IpamPool, type NetworkRecord, type NetworkSettings } from './model.js';
import { PortReservations, portsView, requestedMappings, type PortMapping } from './published-ports.js';
import { cniRange, hostLocalServes, pool4, pool6 } from './ipam-config.js';
import { contains, formatCidr, ipToNumber, isIPv4, parseCidr, type AddressPool } from './subnets.js';
import { assertIPv6Available, contains6, ip6ToBigint, isIp6, parseCidr6, type AddressPool6 } from './subnets6.js';
import { leaseAddresses, releaseLeases } from './small-subnets.js';
import { NetworkStore } from './store.js';
import { BRIDGE_NAME_OPT, HOST_IPV4_OPT, MTU_OPT, newNetworkRecord, planNetwork, type NetworkCreateRequest } from './network-create.js';

export type { NetworkCreateRequest } from './network-create.js';

export interface NetworkServiceOptions {
  dataRoot: string;
  execRoot: string;
  /** The default bridge's Linux bridge and gateway address (dockerd's --bridge and --bip). */
  defaultBridge: string;
  defaultBip: string;
  /** Where subnets of new networks come from (dockerd's --default-address-pool). */
  pools: AddressPool[];
  /** Where IPv6 subnets of new networks come from (the daemon's IPv6 pools, else its ULA prefix). */
  pools6: AddressPool6[];
  log: (level: string, msg: string) => void;
  /** The engine's resolv.conf settings for containers that give none (dockerd's --dns, --dns-search, --dns-opt). */
  dns?: { dns: string[]; dnsSearch: string[]; dnsOptions: string[] };
}

/** The containers as the network service sees them. */
export interface ContainerDirectory {
  all(): ContainerRecord[];
  get(ref: string): ContainerRecord;
  save(rec: ContainerRecord): Promise<void>;
}

export interface NetworkEvent {
  action: 'create' | 'destroy' | 'connect' | 'disconnect';
  network: NetworkRecord;
  container?: string;
}

const HOST_BINDING_OPT = 'com.docker.network.bridge.host_binding_ipv4';

/** A container whose process runs now (not one waiting in its restart back-off). */
function isLive(rec: ContainerRecord): boolean {
  return rec.State.Running && !rec.State.Restarting;
}

/** The network namespace of a running container: its sandbox file, else its process's; '' once gone. */
function netnsOf(rec: ContainerRecord): string {
  if (!isLive(rec)) return '';
  return rec.NetworkSettings?.SandboxKey || (rec.State.Pid > 0 ? `/proc/${rec.State.Pid}/ns/net` : '');
}

interface CniAddress { ip: string; bits: number; gateway: string }

/** The endpoint's IPv4 and (on an IPv6 network) IPv6 address from a CNI result. */
function cniIps(result: CniResult): { v4: CniAddress; v6?: CniAddress; mac: string } {
  const of = (e: NonNullable<CniResult['ips']>[number] | undefined): CniAddress | undefined => {
    if (!e) return undefined;
    const [ip, bits] = e.address.split('/');
    return { ip: ip!, bits: Number(bits), gateway: e.gateway ?? '' };
  };
  const first = result.ips?.find((e) => !e.address.includes(':'));
  const v4 = of(first);
  if (!v4) throw new InvalidArgument('network plugin returned no address');
  const iface = first!.interface !== undefined ? result.interfaces?.[first!.interface] : undefined;
  return { v4, v6: of(result.ips?.find((e) => e.address.includes(':'))), mac: iface?.mac ?? '' };
}

/**
 * Networks: bridge networks made of a Linux bridge, per-network iptables rules and an embedded
 * DNS server, with containers joined through CNI plugins (bridge + host-local, portmap for
 * published ports). Also answers the container service's NetworkPort.
 */
export class NetworkService extends EventEmitter<{ event: [NetworkEvent] }> implements NetworkPort {
  readonly store: NetworkStore;
  private readonly firewall = new Firewall();
  private readonly ports = new PortReservations();
  /** The embedded DNS server, loaded with the first user network (engines without one never pay for it). */
  private dns: EmbeddedDns | undefined;
  /** Bridges, rules and DNS made ready since the engine started, per network ID. */
  private readonly ready = new Map<string, Promise<void>>();
  private containers!: ContainerDirectory;
  private hostResolv: ParsedResolvConf = { nameservers: [], search: [], options: [] };
  /** What the embedded DNS server answers. */
  private readonly names: ContainerNames;

  constructor(private readonly opts: NetworkServiceOptions) {
    super();
    this.store = new NetworkStore(join(opts.dataRoot, 'networks'));
    this.names = new ContainerNames(() => this.containers, this.store, () => this.hostResolv, (rec) => this.dnsOf(rec).Dns);
  }

  private async dnsServer(): Promise<EmbeddedDns> {
    if (!this.dns) {
      const { EmbeddedDns } = await import('./dns.js');
      this.dns ??= new EmbeddedDns(this.names, (m) => this.opts.log('warn', m));
    }
    return this.dns;
  }

  private get ipamDir(): string {
    return join(this.opts.execRoot, 'networks', 'ipam');
  }

  /** Loads the networks and makes the predefined ones. */
  async open(containers: ContainerDirectory): Promise<void> {
    this.containers = containers;
    await this.store.load();
    await this.refreshHostResolv();
    const gw = parseCidr(this.opts.defaultBip);
    const [gwIp] = this.opts.defaultBip.split('/');
    const bridgeOpts = {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      [BRIDGE_NAME_OPT]: this.opts.defaultBridge,
      'com.docker.network.driver.mtu': '1500',
    };
    const existing = this.store.find('bridge');
    const bridge: NetworkRecord = {
      ...newNetworkRecord('bridge', 'bridge'),
      ...(existing ?? {}),
      IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: formatCidr(gw), Gateway: gwIp! }] },
      Options: bridgeOpts,
      bridge: this.opts.defaultBridge,
      isDefault: true,
    };
    if (JSON.stringify(existing) !== JSON.stringify(bridge)) await this.store.put(bridge);
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!this.store.find(name)) await this.store.put({ ...newNetworkRecord(name, driver), IPAM: { Driver: 'default', Options: null, Config: [] } });
    }
  }

  /** After the containers were adopted: readies the networks running containers use, holds their ports again. */
  async resume(): Promise<void> {
    // The default bridge is made ready in the background, so the first container does not wait.
    const dflt = this.store.find('bridge');
    if (dflt) this.ensureReady(dflt).catch((err: unknown) => this.opts.log('warn', `network bridge: ${messageOf(err)}`));
    const containers = this.containers;
    const inUse = new Set<string>();
    for (const c of containers.all()) {
      if (!c.State.Running) continue;
      for (const ep of Object.values(c.NetworkSettings?.Networks ?? {})) if (ep.IPAddress) inUse.add(ep.NetworkID);
    }
    await Promise.all([...inUse].map((id) => {
      const n = this.store.find(id);
      return n ? this.ensureReady(n).catch((err: unknown) => this.opts.log('warn', `network ${n.Name}: ${messageOf(err)}`)) : undefined;
    }));
    // Published ports of containers that kept running are held again.
    for (const c of containers.all()) {
      if (c.State.Running && c.NetworkSettings) await this.reservePorts(c, this.boundMappings(c)).catch(() => {});
    }
  }

  private async refreshHostResolv(): Promise<void> {
    this.hostResolv = readHostResolv();
  }

  /** The bridge, its rules and (user networks) the DNS server, once per engine run. */
  private ensureReady(n: NetworkRecord): Promise<void> {
    if (n.Driver !== 'bridge' || !n.bridge) return Promise.resolve();
    let p = this.ready.get(n.Id);
    if (!p) {
      p = (async () => {
        const pool = pool4(n)!;
        const p6 = pool6(n);
        if (p6) assertIPv6Available();
        const bits = parseCidr(pool.Subnet).bits;
        await ensureBridge(n.bridge!, `${pool.Gateway}/${bits}`, p6 ? `${p6.Gateway}/${parseCidr6(p6.Subnet).bits}` : undefined);
        await this.reserveAuxiliary(n);
        await this.firewall.add(this.firewallOf(n));
        if (!n.isDefault) {
          await this.dnsServer().then((dns) => dns.listen(pool.Gateway)).catch((err: unknown) => {
            this.opts.log('warn', `network ${n.Name}: no name resolution, cannot listen on ${pool.Gateway}:53: ${messageOf(err)}`);
          });
        }
      })();
      this.ready.set(n.Id, p);
      p.catch(() => this.ready.delete(n.Id));
    }
    return p;
  }

  list(): NetworkRecord[] {
    return this.store.all();
  }

  get(ref: string): NetworkRecord {
    return this.store.get(ref);
  }

  /** Containers attached to the network now (inspect's Containers). */
  endpointsOf(n: NetworkRecord): Array<{ rec: ContainerRecord; ep: Endpoint }> {
    const out: Array<{ rec: ContainerRecord; ep: Endpoint }> = [];
    for (const rec of this.containers.all()) {
      for (const ep of Object.values(rec.NetworkSettings?.Networks ?? {})) {
        if (ep.NetworkID === n.Id && (ep.EndpointID || (rec.State.Running && n.Driver !== 'bridge'))) out.push({ rec, ep });
      }
    }
    return out;
  }

  /**
   * Auxiliary addresses are never given to containers: host-local's lease store (a file per
   * address in use) gets one for each, held by no container, so it skips them.
   */
  private async reserveAuxiliary(n: NetworkRecord): Promise<void> {
    const aux = n.IPAM.Config.flatMap((c) => Object.values(c.AuxiliaryAddresses ?? {}));
    if (!aux.length) return;
    const dir = join(this.ipamDir, n.Id);
    await mkdir(dir, { recursive: true });
    await Promise.all(aux.map((ip) => writeFile(join(dir, ip), 'auxiliary-address', { flag: 'w' })));
  }

  async create(req: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    const rec = planNetwork(req, { networks: this.store.all(), pools: this.opts.pools, pools6: this.opts.pools6 });
    // A configuration-only network has nothing to set up: no bridge, rules or DNS.
    if (!rec.ConfigOnly) {
      try {
        await this.ensureReady(rec);
      } catch (err) {
        await this.teardown(rec).catch(() => {});
        throw err;
      }
    }
    await this.store.put(rec);
    this.emit('event', { action: 'create', network: rec });
    return { Id: rec.Id, Warning: '' };
  }

  private firewallOf(n: NetworkRecord): FirewallNetwork {
    return { bridge: n.bridge!, subnet: pool4(n)!.Subnet, subnet6: pool6(n)?.Subnet, internal: n.Internal, hostIpv4: n.Options[HOST_IPV4_OPT] || undefined };
  }

  private async teardown(n: NetworkRecord): Promise<void> {
    this.ready.delete(n.Id);
    const pool = pool4(n);
    if (pool) this.dns?.close(pool.Gateway);
    if (n.bridge && pool) await this.firewall.remove(this.firewallOf(n));
    if (n.bridge) await deleteBridge(n.bridge);
    await rm(join(this.ipamDir, n.Id), { recursive: true, force: true });
  }

  async remove(ref: string): Promise<void> {
    const n = this.store.get(ref);
    if (PREDEFINED_NETWORKS.has(n.Name)) throw new Forbidden(`${n.Name} is a pre-defined network and cannot be removed`);
    if (n.ConfigOnly && this.store.all().some((x) => x.ConfigFrom?.Network === n.Name)) {
      throw new Forbidden(`error while removing network: configuration network "${n.Name}" is in use`);
    }
    const active = this.endpointsOf(n);
    if (active.length) {
      const list = active.map(({ rec }) => `name:"${rec.Name.slice(1)}" id:"${rec.Id.slice(0, 12)}"`).join(', ');
      throw new Forbidden(`error while removing network: network ${n.Name} id ${n.Id} has active endpoints (${list})`);
    }
    await this.teardown(n);
    await this.store.delete(n);
    this.emit('event', { action: 'destroy', network: n });
  }

  /** IDs of the networks some container (running or not) is a member of. */
  referenced(): Set<string> {
    const used = new Set<string>();
    for (const rec of this.containers.all()) for (const ep of Object.values(rec.NetworkSettings?.Networks ?? {})) used.add(ep.NetworkID);
    return used;
  }

  /** Removes user networks no container refers to. */
  async prune(filter: (n: NetworkRecord) => boolean): Promise<string[]> {
    const used = this.referenced();
    const out: string[] = [];
    for (const n of this.store.all()) {
      // As dockerd: configuration-only networks are not pruned (no container can use them anyway).
      if (PREDEFINED_NETWORKS.has(n.Name) || n.ConfigOnly || used.has(n.Id) || !filter(n)) continue;
      await this.remove(n.Id);
      out.push(n.Name);
    }
    return out;
  }

  // --- the container side (NetworkPort) ---

  /** Validates a create request's networks and returns the container's memberships. */
  endpointsFor(hc: HostConfig, endpoints: Record<string, EndpointConfig> | null | undefined, macAddress?: string): NetworkSettings {
    // Port bindings are checked now, as dockerd does at create (they are used at start).
    requestedMappings(hc.PortBindings, undefined, false);
    const mode = hc.NetworkMode || 'bridge';
    const settings: NetworkSettings = { Networks: {}, Ports: {}, SandboxKey: '' };
    if (mode.startsWith('container:')) {
      if (Object.keys(endpoints ?? {}).length) throw new InvalidArgument('conflicting options: container type network can\'t be used with other networks');
      return settings;
    }
    const names = [mode, ...Object.keys(endpoints ?? {})];
    const seen = new Set<string>();
    for (const ref of names) {
      const n = this.store.find(ref === 'default' ? 'bridge' : ref);
      if (!n) {
        // As dockerd: a network that does not exist fails the start, not the create.
        settings.Networks[ref] = emptyEndpoint('', endpoints?.[ref] ?? {});
        continue;
      }
      if (seen.has(n.Id)) continue;
      seen.add(n.Id);
      // The endpoint's settings may be keyed by any name of the network (`default` for bridge).
      const key = Object.keys(endpoints ?? {}).find((k) => this.store.find(k === 'default' ? 'bridge' : k)?.Id === n.Id);
      const cfg: EndpointConfig = { ...(key ? endpoints![key] : {}) };
      if (seen.size === 1 && macAddress && !cfg.MacAddress) cfg.MacAddress = macAddress;
      this.validateEndpoint(n, cfg);
      settings.Networks[n.Name] = emptyEndpoint(n.Id, cfg);
    }
    const modes = Object.keys(settings.Networks);
    if (modes.length > 1 && (modes.includes('host') || modes.includes('none'))) {
      throw new InvalidArgument(`conflicting options: ${modes.includes('host') ? 'host' : 'none'} type networks can't be used with other networks`);
    }
    return settings;
  }

  private validateEndpoint(n: NetworkRecord, cfg: EndpointConfig): void {
    const ip = cfg.IPAMConfig?.IPv4Address;
    const userDefined = n.Driver === 'bridge' && !n.isDefault;
    if (ip) {
      if (!userDefined) throw new InvalidArgument('user specified IP address is supported on user defined networks only');
      if (n.subnetPicked) throw new InvalidArgument('user specified IP address is supported only when connecting to networks with user configured subnets');
      if (!isIPv4(ip)) throw new InvalidArgument(`invalid IPv4 address: ${ip}`);
      const pool = pool4(n)!;
      const range = parseCidr(pool.IPRange ?? pool.Subnet);
      if (!contains(parseCidr(pool.Subnet), ipToNumber(ip)) || !contains(range, ipToNumber(ip))) {
        throw new InvalidArgument(`no configured subnet or ip-range contain the IP address ${ip}`);
      }
    }
    const v6 = cfg.IPAMConfig?.IPv6Address;
    if (v6) {
      if (!userDefined) throw new InvalidArgument('user specified IP address is supported on user defined networks only');
      if (!isIp6(v6)) throw new InvalidArgument(`invalid IPv6 address: ${v6}`);
      const p6 = pool6(n);
      if (!p6) throw new InvalidArgument(`no configured subnet contains the IPv6 address ${v6}: IPv6 is not enabled on network ${n.Name}`);
      if (n.subnet6Picked) throw new InvalidArgument('user specified IP address is supported only when connecting to networks with user configured subnets');
      const range = parseCidr6(p6.IPRange ?? p6.Subnet);
      if (!contains6(parseCidr6(p6.Subnet), ip6ToBigint(v6)) || !contains6(range, ip6ToBigint(v6))) {
        throw new InvalidArgument(`no configured subnet or ip-range contain the IP address ${v6}`);
      }
    }
    for (const ll of cfg.IPAMConfig?.LinkLocalIPs ?? []) {
      if (!isIPv4(ll) && !/^[0-9a-fA-F:]+$/.test(ll)) throw new InvalidArgument(`invalid link-local IP address: ${ll}`);
    }
    if (cfg.Aliases?.length && !userDefined) throw new InvalidArgument('network-scoped alias is supported only for containers in user defined networks');
    if (cfg.MacAddress && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(cfg.MacAddress)) throw new InvalidArgument(`invalid MAC address: ${cfg.MacAddress}`);
    if (n.Driver !== 'bridge' && (cfg.MacAddress || cfg.Links?.length)) throw new InvalidArgument(`conflicting options: mac-address and the network mode`);
  }

  /** The network's pools in use: IPv4, and IPv6 when enabled. */
  private pools(n: NetworkRecord): IpamPool[] {
    const p6 = pool6(n);
    return [pool4(n)!, ...(p6 ? [p6] : [])];
  }

  /** A network with a pool host-local refuses (/31, /32, /127, /128): the engine leases its addresses. */
  private engineLeased(n: NetworkRecord): boolean {
    return !this.pools(n).every(hostLocalServes);
  }

  /** `leased`: the addresses the engine leased (CIDR form), for the static IPAM plugin. */
  private confList(n: NetworkRecord, defaultRoute: boolean, withPorts: boolean, leased: string[] = []): CniConfList {
    const pools = this.pools(n);
    const routes = defaultRoute && !n.Internal ? pools.map((p) => ({ dst: p.Subnet.includes(':') ? '::/0' : '0.0.0.0/0' })) : [];
    const ipam = this.engineLeased(n)
      ? {
        type: 'static', routes,
        addresses: leased.map((a) => ({ address: a, gateway: pools.find((p) => p.Subnet.includes(':') === a.includes(':'))!.Gateway })),
      }
      : { type: 'host-local', dataDir: this.ipamDir, ranges: pools.map((p) => [cniRange(p)]), routes };
    // -o com.docker.network.driver.mtu: the containers' interfaces (and their host ends) take it.
    const mtu = Number(n.Options[MTU_OPT] ?? '');
    const plugins: CniConfList['plugins'] = [{
      type: 'bridge', bridge: n.bridge, isGateway: true, ipMasq: false, hairpinMode: true,
      ...(Number.isInteger(mtu) && mtu > 0 ? { mtu } : {}),
      capabilities: { ips: true, mac: true },
      ipam,
    }];
    if (withPorts) plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: true });
    return { name: n.Id, plugins };
  }

  private portCaps(bound: readonly PortMapping[]): Array<Record<string, unknown>> {
    return bound.map((m) => ({ hostPort: m.hostPort, containerPort: m.containerPort, protocol: m.protocol, hostIP: m.hostIp || '' }));
  }

  /** The mappings a running container holds, from its NetworkSettings.Ports. */
  private boundMappings(rec: ContainerRecord): PortMapping[] {
    const out: PortMapping[] = [];
    for (const [key, list] of Object.entries(rec.NetworkSettings?.Ports ?? {})) {
      const [port, proto] = key.split('/');
      for (const b of list ?? []) {
        if (b.HostIp === '::') continue; // the IPv6 side of a 0.0.0.0 binding: one reservation
        out.push({ hostIp: b.HostIp === '0.0.0.0' ? '' : b.HostIp, hostPort: Number(b.HostPort), containerPort: Number(port), protocol: proto as PortMapping['protocol'] });
      }
    }
    return out;
  }

  /** Holds the host ports; their traffic goes to the container's address on the network that carries them. */
  private reservePorts(rec: ContainerRecord, mappings: PortMapping[]): Promise<PortMapping[]> {
    // As newest dockerd's proxy: a client over IPv6 reaches the container's IPv6 address when it has one.
    return this.ports.reserve(rec.Id, mappings, (m, ipv6) => {
      const eps = Object.values(rec.NetworkSettings?.Networks ?? {});
      const ep = eps.find((e) => e.withPorts && e.IPAddress) ?? eps.find((e) => e.IPAddress);
      const ip = ipv6 && ep?.GlobalIPv6Address ? ep.GlobalIPv6Address : ep?.IPAddress;
      return ip ? { host: ip, port: m.containerPort } : undefined;
    });
  }

  private hostGateway(): string {
    return this.opts.defaultBip.split('/')[0]!;
  }

  /** hostname, hosts and resolv.conf sources of the container (bind-mounted; rewritten in place). */
  /** hostname, hosts and resolv.conf of a container, written at each start (container-etc.ts). */
  async writeEtcFiles(rec: ContainerRecord): Promise<void> {
    // The host's resolvers are read again at each start, as dockerd does (DHCP may change them).
    this.hostResolv = readHostResolv();
    writeContainerEtcFiles(rec, this.etcDeps());
  }

  private etcDeps(): EtcDeps {
    return {
      container: (ref) => this.containers.get(ref),
      linked: (ref) => this.names.find(ref),
      network: (id) => this.store.find(id),
      dns: (r) => this.dnsOf(r),
      hostGateway: () => this.hostGateway(),
      hostResolv: this.hostResolv,
    };
  }

  /** A container's DNS settings, each the engine's where the container gives none (as dockerd). */
  private dnsOf(rec: ContainerRecord): { Dns: string[]; DnsSearch: string[]; DnsOptions: string[] } {
    const hc = rec.HostConfig;
    const d = this.opts.dns;
    const pick = (own: string[] | null | undefined, engine: string[] | undefined): string[] => (own?.length ? own : engine ?? []);
    return { Dns: pick(hc.Dns, d?.dns), DnsSearch: pick(hc.DnsSearch, d?.dnsSearch), DnsOptions: pick(hc.DnsOptions, d?.dnsOptions) };
  }

  private sandboxPath(rec: ContainerRecord): string {
    return join(this.opts.execRoot, 'netns', rec.Id);
  }

  /**
   * The container's network sandbox, made before the runtime creates the container: a network
   * namespace (kept by a bind mount) that the container will join, and the joining of its
   * networks into it, which runs while the runtime works. Undefined when the container has no
   * bridge network (none, host, container:, or only a network that no longer exists fails here).
   */
  async prepare(rec: ContainerRecord): Promise<{ netns: string; joined: Promise<void> } | undefined> {
    const settings = rec.NetworkSettings;
    if (!settings) return undefined;
    const bridges = Object.entries(settings.Networks).map(([name, ep]) => ({ name, ep, n: ep.NetworkID ? this.store.find(ep.NetworkID) : undefined }));
    for (const b of bridges) if (!b.n) throw new NotFound(`could not find a network matching network mode ${b.name}: network ${b.name} not found`);
    if (bridges.some((b) => b.n!.ConfigOnly)) throw new Forbidden('cannot create endpoint on configuration-only network');
    if (!bridges.some((b) => b.n!.Driver === 'bridge')) return undefined;
    const netns = this.sandboxPath(rec);
    await mkdir(dirname(netns), { recursive: true });
    sys().netnsCreate(netns);
    settings.SandboxKey = netns;
    const joined = this.attach(rec, netns);
    joined.catch(() => {});
    return { netns, joined };
  }

  /**
   * Joins the container's sandbox to its networks: ports reserved, CNI ADD per network (eth0,
   * eth1...), /etc/hosts rewritten. All or nothing: on a failure, what was joined is left again.
   */
  private async attach(rec: ContainerRecord, netns: string): Promise<void> {
    const settings = rec.NetworkSettings!;
    const bridged = Object.values(settings.Networks).map((ep) => ({ ep, n: this.store.find(ep.NetworkID)! })).filter((b) => b.n.Driver === 'bridge');
    const wanted = requestedMappings(rec.HostConfig.PortBindings, rec.Config.ExposedPorts, rec.HostConfig.PublishAllPorts ?? false);
    let bound: PortMapping[] = [];
    try {
      // As dockerd: ports are published on the network that gives the default route (the first
      // one not --internal; none when all are), at that network's host_binding_ipv4 when the
      // binding names no address.
      const carrier = bridged.find((b) => !b.n.Internal);
      if (carrier && wanted.length) {
        const hostIp = carrier.n.Options[HOST_BINDING_OPT];
        const dflt = hostIp && hostIp !== '0.0.0.0' ? hostIp : '';
        bound = await this.reservePorts(rec, wanted.map((m) => (m.hostIp ? m : { ...m, hostIp: dflt })));
      }
      let i = 0;
      let defaultRoute = true;
      for (const b of bridged) {
        const { n, ep } = b;
        await this.ensureReady(n!);
        await this.join(rec, n!, ep, `eth${i++}`, netns, defaultRoute && !n!.Internal, b === carrier ? bound : []);
        if (!n!.Internal) defaultRoute = false;
      }
      settings.Ports = portsView(rec.Config.ExposedPorts, bound);
      writeContainerHosts(rec, this.etcDeps());
      // As dockerd: containers linking to this one learn its new address.
      for (const other of this.containers.all()) {
        if (other.Id === rec.Id || !isLive(other)) continue;
        const links = legacyLinks(other) ?? [];
        if (!links.some((l) => [rec.Name, rec.Id].includes(parseLink(l).target))) continue;
        try {
          writeContainerHosts(other, this.etcDeps());
        } catch {
          // that container's files are gone (it is being removed)
        }
      }
    } catch (err) {
      for (const { n, ep } of bridged) await this.leave(rec, n, ep, netns);
      this.ports.release(rec.Id);
      throw err;
    }
  }

  private async join(rec: ContainerRecord, n: NetworkRecord, ep: Endpoint, ifname: string, netns: string, defaultRoute: boolean, bound: PortMapping[]): Promise<void> {
    const pool = pool4(n)!;
    const p6 = pool6(n);
    const bits = parseCidr(pool.Subnet).bits;
    const capabilities: Record<string, unknown> = {};
    const leasedHere = this.engineLeased(n);
    let leased: string[] = [];
    if (leasedHere) {
      leased = await leaseAddresses(join(this.ipamDir, n.Id), rec.Id, ifname, [
        { pool, requested: ep.IPAMConfig?.IPv4Address },
        ...(p6 ? [{ pool: p6, requested: ep.IPAMConfig?.IPv6Address }] : []),
      ], n);
    } else {
      const ips: string[] = [];
      if (ep.IPAMConfig?.IPv4Address) ips.push(`${ep.IPAMConfig.IPv4Address}/${bits}`);
      if (ep.IPAMConfig?.IPv6Address && p6) ips.push(`${ep.IPAMConfig.IPv6Address}/${parseCidr6(p6.Subnet).bits}`);
      if (ips.length) capabilities.ips = ips;
    }
    if (ep.MacAddress) capabilities.mac = ep.MacAddress;
    if (bound.length) capabilities.portMappings = this.portCaps(bound);
    let result: CniResult;
    try {
      result = await cniAdd(this.confList(n, defaultRoute, bound.length > 0, leased), { containerId: rec.Id, netns, ifname, capabilities });
    } catch (err) {
      if (leasedHere) await releaseLeases(join(this.ipamDir, n.Id), rec.Id);
      const msg = messageOf(err);
      if (/not available|already (been )?allocated|in use|is subnet's gateway/i.test(msg)) throw new Conflict(`failed to set up container networking: Address already in use`, { cause: err });
      throw err;
    }
    const got = cniIps(result);
    const gw = (a: { gateway: string } | undefined, fallback: string): string => (defaultRoute || n.Internal ? a?.gateway || fallback : fallback);
    // Link-local addresses asked for (EndpointConfig.IPAMConfig.LinkLocalIPs) are added beside the network's.
    for (const ll of ep.IPAMConfig?.LinkLocalIPs ?? []) await addAddressIn(netns, ifname, ll.includes(':') ? `${ll}/64` : `${ll}/16`);
    Object.assign(ep, {
      EndpointID: newId(), Gateway: gw(got.v4, pool.Gateway), IPAddress: got.v4.ip, IPPrefixLen: got.v4.bits,
      IPv6Gateway: got.v6 && p6 ? gw(got.v6, p6.Gateway) : '', GlobalIPv6Address: got.v6?.ip ?? '', GlobalIPv6PrefixLen: got.v6?.bits ?? 0,
      ifname, cniResult: result, actualMac: got.mac, withPorts: bound.length > 0,
      DNSNames: n.isDefault ? null : [rec.Name.slice(1), ...(ep.Aliases ?? []), rec.Id.slice(0, 12)],
    });
    this.emit('event', { action: 'connect', network: n, container: rec.Id });
  }

  private async leave(rec: ContainerRecord, n: NetworkRecord | undefined, ep: Endpoint, netns: string): Promise<void> {
    if (ep.ifname && n) {
      const withPorts = ep.withPorts ?? false;
      // portmap's DEL does nothing without mappings: when the bound ones were not recorded (an
      // interrupted start), the requested ones stand in (its rules are found by container ID).
      let bound = withPorts ? this.boundMappings(rec) : [];
      if (withPorts && !bound.length) {
        bound = requestedMappings(rec.HostConfig.PortBindings, rec.Config.ExposedPorts, rec.HostConfig.PublishAllPorts ?? false)
          .map((m) => ({ ...m, hostPort: m.hostPort || m.containerPort, hostPortEnd: undefined }));
      }
      await cniDel(this.confList(n, true, withPorts), {
        containerId: rec.Id, netns, ifname: ep.ifname, capabilities: bound.length ? { portMappings: this.portCaps(bound) } : {},
      }, ep.cniResult as CniResult | undefined).catch((err: unknown) => this.opts.log('warn', `network ${n.Name}: leaving ${rec.Id.slice(0, 12)}: ${messageOf(err)}`));
      if (this.engineLeased(n)) await releaseLeases(join(this.ipamDir, n.Id), rec.Id);
      this.emit('event', { action: 'disconnect', network: n, container: rec.Id });
    }
    Object.assign(ep, {
      EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
      ifname: undefined, cniResult: undefined, actualMac: undefined, withPorts: undefined,
    });
  }

  /**
   * Leaves every network, after the container's process exited or a failed start: the sandbox
   * goes first, so its interfaces go with it and the plugins only release addresses and rules.
   */
  async detach(rec: ContainerRecord): Promise<void> {
    const sandbox = this.sandboxPath(rec);
    const hadSandbox = existsSync(sandbox);
    if (hadSandbox) {
      try {
        sys().umount(sandbox, MNT_DETACH);
      } catch {
        // not mounted (a crash between its creation and the mount)
      }
      await rm(sandbox, { force: true });
    }
    const settings = rec.NetworkSettings;
    if (!settings) return;
    // A sandbox whose joins were never recorded (the engine died mid-start): the plugins are asked
    // to let go of eth0, eth1... anyway (DEL of something never added is fine by the CNI spec).
    if (hadSandbox && !Object.values(settings.Networks).some((ep) => ep.ifname)) {
      let i = 0;
      for (const ep of Object.values(settings.Networks)) {
        if (this.store.find(ep.NetworkID)?.Driver !== 'bridge') continue;
        Object.assign(ep, { ifname: `eth${i}`, withPorts: i === 0 });
        i++;
      }
    }
    for (const ep of Object.values(settings.Networks)) await this.leave(rec, this.store.find(ep.NetworkID), ep, '');
    this.ports.release(rec.Id);
    settings.Ports = {};
    settings.SandboxKey = '';
  }

  // --- connect and disconnect ---

  /** Connects and disconnects run one at a time: two at once would both pick the same free interface name. */
  private readonly endpointChanges = new Mutex();

  connect(netRef: string, containerRef: string, cfg: EndpointConfig = {}): Promise<void> {
    return this.endpointChanges.run(() => this.connectNow(netRef, containerRef, cfg));
  }

  disconnect(netRef: string, containerRef: string, force = false): Promise<void> {
    return this.endpointChanges.run(() => this.disconnectNow(netRef, containerRef, force));
  }

  private async connectNow(netRef: string, containerRef: string, cfg: EndpointConfig): Promise<void> {
    const n = this.store.get(netRef);
    const rec = this.containers.get(containerRef);
    // As dockerd: a stopped container only records it, and its start fails.
    if (n.ConfigOnly && isLive(rec)) throw new Forbidden('cannot create endpoint on configuration-only network');
    const mode = rec.HostConfig.NetworkMode ?? 'bridge';
    // dockerd's order: the endpoint's settings, then the modes of the networks on both sides.
    this.validateEndpoint(n, cfg);
    if (mode !== 'host' && n.Driver === 'host') throw new InvalidArgument('container cannot be disconnected from host network or connected to host network');
    if (mode.startsWith('container:')) throw new InvalidArgument('container sharing network namespace with another container or host cannot be connected to any other network');
    rec.NetworkSettings ??= { Networks: {}, Ports: {}, SandboxKey: '' };
    const current = Object.keys(rec.NetworkSettings.Networks).find((k) => rec.NetworkSettings!.Networks[k]!.NetworkID === n.Id);
    if (current !== undefined) {
      if (isLive(rec)) throw new Forbidden(`endpoint with name ${rec.Name.slice(1)} already exists in network ${n.Name}`);
      // As dockerd: a container that is not running gets the new endpoint settings in place of the old.
      delete rec.NetworkSettings.Networks[current];
      rec.NetworkSettings.Networks[n.Name] = emptyEndpoint(n.Id, cfg);
      await this.containers.save(rec);
      return;
    }
    for (const e of Object.values(rec.NetworkSettings.Networks)) {
      const other = this.store.find(e.NetworkID);
      if (other?.Driver === 'host' || n.Driver === 'host') throw new InvalidArgument('container sharing network namespace with another container or host cannot be connected to any other network');
      // A configuration-only network shows the null driver but is no `none`.
      if ((other?.Driver === 'null' && !other.ConfigOnly) || (n.Driver === 'null' && !n.ConfigOnly)) {
        throw new InvalidArgument('container cannot be connected to multiple networks with one of the networks in private (none) mode');
      }
    }
    if (n.Driver !== 'bridge' && !n.ConfigOnly) throw new InvalidArgument('container cannot be disconnected from host network or connected to host network');
    const ep = emptyEndpoint(n.Id, cfg);
    if (isLive(rec)) {
      const used = new Set(Object.values(rec.NetworkSettings.Networks).map((e) => e.ifname));
      let i = 0;
      while (used.has(`eth${i}`)) i++;
      await this.ensureReady(n);
      const hasRoute = Object.values(rec.NetworkSettings.Networks).some((e) => e.IPAddress && !this.store.find(e.NetworkID)?.Internal);
      await this.join(rec, n, ep, `eth${i}`, netnsOf(rec), !hasRoute && !n.Internal, []);
    }
    rec.NetworkSettings.Networks[n.Name] = ep;
    if (isLive(rec)) await this.writeEtcFiles(rec).catch(() => {});
    await this.containers.save(rec);
  }

  private async disconnectNow(netRef: string, containerRef: string, force: boolean): Promise<void> {
    const n = this.store.find(netRef);
    if (!n) {
      // As dockerd with force: a network that is gone leaves a stale endpoint, which goes now.
      const rec = force ? this.names.find(containerRef) : undefined;
      const networks = rec?.NetworkSettings?.Networks ?? {};
      const stale = Object.keys(networks).find((k) => k === netRef || networks[k]!.NetworkID.startsWith(netRef));
      if (!rec || stale === undefined || isLive(rec)) {
        this.store.get(netRef); // throws docker's "network ... not found"
        return;
      }
      delete networks[stale];
      await this.containers.save(rec);
      return;
    }
    let rec: ContainerRecord;
    try {
      rec = this.containers.get(containerRef);
    } catch (err) {
      if (force) return;
      throw err;
    }
    const entry = Object.entries(rec.NetworkSettings?.Networks ?? {}).find(([, e]) => e.NetworkID === n.Id);
    if (!entry) throw new Forbidden(`container ${rec.Id} is not connected to network ${n.Name}`);
    if (n.Driver !== 'bridge' && !n.ConfigOnly) throw new InvalidArgument('container cannot be disconnected from host network or connected to host network');
    const [name, ep] = entry;
    if (isLive(rec)) await this.leave(rec, n, ep, netnsOf(rec));
    delete rec.NetworkSettings!.Networks[name];
    if (isLive(rec)) await this.writeEtcFiles(rec).catch(() => {});
    await this.containers.save(rec);
  }
}
