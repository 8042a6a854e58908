/** The Engine API's network and endpoint shapes, and what the engine persists per network. */

/** The networks every engine has, which cannot be created or removed. */
export const PREDEFINED_NETWORKS: ReadonlySet<string> = new Set(['bridge', 'host', 'none']);

export interface IpamPool {
  Subnet: string;
  Gateway: string;
  IPRange?: string;
  /** Addresses of the subnet kept from containers (name → address). */
  AuxiliaryAddresses?: Record<string, string>;
  /** A subnet given without a gateway: the engine took its first address, and inspect shows none, as dockerd. */
  gatewayImplied?: boolean;
}

/** What the engine persists per network (and GET /networks/{id} shows). */
export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  /** bridge for networks the engine made; host and null for the predefined ones. */
  Driver: 'bridge' | 'host' | 'null';
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: 'default'; Options: Record<string, string> | null; Config: IpamPool[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigOnly: boolean;
  /** The configuration-only network whose IPAM, options and labels this one took (--config-from). */
  ConfigFrom?: { Network: string };
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** The Linux bridge behind a bridge network. */
  bridge?: string;
  /** The default bridge: no name resolution between its containers (as docker's `bridge`). */
  isDefault?: boolean;
  /** The engine picked the subnet (none was asked for): no --ip then, as dockerd. */
  subnetPicked?: boolean;
  /** The same for the IPv6 subnet: no --ip6 then. */
  subnet6Picked?: boolean;
}

/** NetworkingConfig.EndpointsConfig[name] of a create or connect request. */
export interface EndpointConfig {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links?: string[] | null;
  Aliases?: string[] | null;
  MacAddress?: string;
  DriverOpts?: Record<string, string> | null;
  NetworkID?: string;
  EndpointID?: string;
  Gateway?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  DNSNames?: string[] | null;
}

/** A container's membership of one network: what the user asked, and what it got while running. */
export interface Endpoint {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  /** MAC asked for (empty: the runtime picks one). */
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
  /** Interface inside the container (eth0, eth1...) while attached. */
  ifname?: string;
  /** The CNI result of ADD, kept for DEL. */
  cniResult?: unknown;
  /** MAC the container actually got (inspect shows it as MacAddress while running). */
  actualMac?: string;
  /** Whether the portmap plugin ran for this endpoint (DEL must run it too). */
  withPorts?: boolean;
}

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** The container's networking as inspect shows it (persisted with the container). */
export interface NetworkSettings {
  Networks: Record<string, Endpoint>;
  /** Published ports while running: "80/tcp" → bindings (null for exposed, unpublished ports). */
  Ports: Record<string, PortBinding[] | null>;
  SandboxKey: string;
}

export function emptyEndpoint(networkId: string, cfg: EndpointConfig = {}): Endpoint {
  return {
    IPAMConfig: ipamConfigOf(cfg.IPAMConfig),
    Links: cfg.Links?.length ? [...cfg.Links] : null,
    Aliases: cfg.Aliases?.length ? [...cfg.Aliases] : null,
    MacAddress: cfg.MacAddress ?? '',
    DriverOpts: cfg.DriverOpts ?? null,
    NetworkID: networkId,
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

/** The endpoint's IPAMConfig as dockerd keeps it: the fields asked for, or null when none was. */
function ipamConfigOf(c: EndpointConfig['IPAMConfig']): Endpoint['IPAMConfig'] {
  const out: NonNullable<Endpoint['IPAMConfig']> = {};
  if (c?.IPv4Address) out.IPv4Address = c.IPv4Address;
  if (c?.IPv6Address) out.IPv6Address = c.IPv6Address;
  if (c?.LinkLocalIPs?.length) out.LinkLocalIPs = [...c.LinkLocalIPs];
  return Object.keys(out).length ? out : null;
}
