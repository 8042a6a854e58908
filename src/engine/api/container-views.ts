import { userRegExp } from '../../core/patterns.js';
import { humanDuration } from '../../core/units.js';
import { InvalidArgument } from '../../core/errors.js';
import type { ContainerRecord } from '../containers/model.js';
import type { Endpoint } from '../networks/model.js';
import { ZERO_TIME } from '../containers/model.js';
import { legacyLinks } from '../containers/links.js';

/** The Status column of `docker ps`, as docker's container/state.go words it. */
export function statusText(rec: ContainerRecord, now = Date.now()): string {
  const s = rec.State;
  if (s.Running) {
    const up = humanDuration(now - Date.parse(s.StartedAt));
    if (s.Paused) return `Up ${up} (Paused)`;
    if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
    if (s.Health) return `Up ${up} (${s.Health.Status === 'starting' ? 'health: starting' : s.Health.Status})`;
    return `Up ${up}`;
  }
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Dead) return 'Dead';
  if (s.StartedAt === ZERO_TIME) return 'Created';
  if (s.FinishedAt === ZERO_TIME) return '';
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}

function endpointView(ep: Endpoint): Record<string, unknown> {
  return {
    IPAMConfig: ep.IPAMConfig, Links: ep.Links, Aliases: ep.Aliases, MacAddress: ep.actualMac ?? ep.MacAddress, DriverOpts: ep.DriverOpts,
    NetworkID: ep.NetworkID, EndpointID: ep.EndpointID, Gateway: ep.Gateway, IPAddress: ep.IPAddress, IPPrefixLen: ep.IPPrefixLen,
    IPv6Gateway: ep.IPv6Gateway, GlobalIPv6Address: ep.GlobalIPv6Address, GlobalIPv6PrefixLen: ep.GlobalIPv6PrefixLen, DNSNames: ep.DNSNames,
  };
}

/**
 * The container's mounts as inspect and ps show them (docker's types.MountPoint: Name and Driver
 * only for volumes), ordered by destination.
 */
export function mountsView(rec: ContainerRecord): Array<Record<string, unknown>> {
  return Object.values(rec.MountPoints ?? {})
    .sort((a, b) => (a.Destination < b.Destination ? -1 : a.Destination > b.Destination ? 1 : 0))
    .map((m) => ({
      Type: m.Type,
      ...(m.Name ? { Name: m.Name } : {}),
      Source: m.Source,
      Destination: m.Destination,
      ...(m.Driver ? { Driver: m.Driver } : {}),
      Mode: m.Mode,
      RW: m.RW,
      Propagation: m.Propagation,
    }));
}

function networkSettings(rec: ContainerRecord): Record<string, unknown> {
  const ns = rec.NetworkSettings;
  const networks: Record<string, unknown> = {};
  for (const [name, ep] of Object.entries(ns?.Networks ?? {})) networks[name] = endpointView(ep);
  // The top-level address fields are the default bridge's (docker's legacy view).
  const bridge = ns?.Networks.bridge;
  return {
    Bridge: '', SandboxID: ns?.SandboxKey ? rec.Id : '', SandboxKey: ns?.SandboxKey ?? '', Ports: ns?.Ports ?? {}, HairpinMode: false,
    LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
    EndpointID: bridge?.EndpointID ?? '', Gateway: bridge?.Gateway ?? '', GlobalIPv6Address: bridge?.GlobalIPv6Address ?? '', GlobalIPv6PrefixLen: bridge?.GlobalIPv6PrefixLen ?? 0,
    IPAddress: bridge?.IPAddress ?? '', IPPrefixLen: bridge?.IPPrefixLen ?? 0, IPv6Gateway: bridge?.IPv6Gateway ?? '', MacAddress: bridge ? (bridge.actualMac ?? bridge.MacAddress) : '',
    Networks: networks,
  };
}

/** The Ports column of GET /containers/json: published bindings, then exposed ports without one. */
function portList(rec: ContainerRecord): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  if (!rec.State.Running) return out;
  const ports = rec.NetworkSettings?.Ports ?? {};
  const keys = new Set([...Object.keys(ports), ...Object.keys(rec.Config.ExposedPorts ?? {})]);
  for (const key of keys) {
    const [p, type = 'tcp'] = key.split('/');
    const bindings = ports[key];
    if (bindings?.length) for (const b of bindings) out.push({ IP: b.HostIp, PrivatePort: Number(p), PublicPort: Number(b.HostPort), Type: type });
    else out.push({ PrivatePort: Number(p), Type: type });
  }
  return out;
}

/** GET /containers/{id}/json */
export function inspectView(rec: ContainerRecord, extra: { execIds: string[]; graphDriver: Record<string, string>; sizeRw?: number }): Record<string, unknown> {
  return {
    Id: rec.Id,
    Created: rec.Created,
    Path: rec.Path,
    Args: rec.Args,
    State: { ...rec.State },
    Image: rec.Image,
    ResolvConfPath: rec.ResolvConfPath,
    HostnamePath: rec.HostnamePath,
    HostsPath: rec.HostsPath,
    // As dockerd: the file is named once the json-file driver has run (other drivers' files are theirs).
    LogPath: rec.HostConfig.LogConfig?.Type === 'json-file' && rec.State.StartedAt !== ZERO_TIME ? rec.LogPath : '',
    Name: rec.Name,
    RestartCount: rec.RestartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: extra.execIds.length ? extra.execIds : null,
    HostConfig: hostConfigView(rec),
    GraphDriver: { Data: extra.graphDriver, Name: 'overlay2' },
    ...(extra.sizeRw !== undefined ? { SizeRw: extra.sizeRw } : {}),
    Mounts: mountsView(rec),
    Config: configView(rec),
    NetworkSettings: networkSettings(rec),
  };
}

function configView(rec: ContainerRecord): Record<string, unknown> {
  const c = rec.Config;
  return {
    Hostname: c.Hostname ?? '',
    Domainname: c.Domainname ?? '',
    User: c.User ?? '',
    AttachStdin: c.AttachStdin ?? false,
    AttachStdout: c.AttachStdout ?? false,
    AttachStderr: c.AttachStderr ?? false,
    ...(c.ExposedPorts && Object.keys(c.ExposedPorts).length ? { ExposedPorts: c.ExposedPorts } : {}),
    Tty: c.Tty ?? false,
    OpenStdin: c.OpenStdin ?? false,
    StdinOnce: c.StdinOnce ?? false,
    Env: c.Env ?? null,
    Cmd: c.Cmd ?? null,
    ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    ...(c.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: c.Image ?? '',
    Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? '',
    Entrypoint: c.Entrypoint ?? null,
    ...(c.NetworkDisabled ? { NetworkDisabled: true } : {}),
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? {},
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    ...(c.StopTimeout !== undefined && c.StopTimeout !== null ? { StopTimeout: c.StopTimeout } : {}),
    ...(c.Shell ? { Shell: c.Shell } : {}),
  };
}

function hostConfigView(rec: ContainerRecord): Record<string, unknown> {
  const h = rec.HostConfig;
  return {
    Binds: h.Binds ?? null,
    ContainerIDFile: h.ContainerIDFile ?? '',
    // Reported as docker's default driver: clients (docker-py) read logs only from drivers they know;
    // the file itself is conmon's CRI format, which `logs` reads back exactly as json-file would.
    LogConfig: h.LogConfig?.Type ? h.LogConfig : { Type: 'json-file', Config: {} },
    NetworkMode: h.NetworkMode ?? 'bridge',
    PortBindings: h.PortBindings ?? null,
    RestartPolicy: h.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: h.AutoRemove ?? false,
    VolumeDriver: h.VolumeDriver ?? '',
    VolumesFrom: h.VolumesFrom ?? null,
    ConsoleSize: h.ConsoleSize ?? [0, 0],
    CapAdd: h.CapAdd ?? null,
    CapDrop: h.CapDrop ?? null,
    CgroupnsMode: h.CgroupnsMode ?? 'host',
    // As Go's nil slices: null when the client sent none.
    Dns: h.Dns ?? null,
    DnsOptions: h.DnsOptions ?? null,
    DnsSearch: h.DnsSearch ?? null,
    ExtraHosts: h.ExtraHosts ?? null,
    GroupAdd: h.GroupAdd ?? null,
    IpcMode: h.IpcMode || 'private',
    Cgroup: h.Cgroup ?? '',
    Links: legacyLinks(rec),
    OomScoreAdj: h.OomScoreAdj ?? 0,
    PidMode: h.PidMode ?? '',
    Privileged: h.Privileged ?? false,
    PublishAllPorts: h.PublishAllPorts ?? false,
    ReadonlyRootfs: h.ReadonlyRootfs ?? false,
    SecurityOpt: h.SecurityOpt ?? null,
    UTSMode: h.UTSMode ?? '',
    UsernsMode: h.UsernsMode ?? '',
    ShmSize: h.ShmSize || 67108864,
    Runtime: h.Runtime || 'runc',
    Isolation: h.Isolation ?? '',
    CpuShares: h.CpuShares ?? 0,
    Memory: h.Memory ?? 0,
    NanoCpus: h.NanoCpus ?? 0,
    CgroupParent: h.CgroupParent ?? '',
    BlkioWeight: h.BlkioWeight ?? 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: h.CpuPeriod ?? 0,
    CpuQuota: h.CpuQuota ?? 0,
    CpuRealtimePeriod: h.CpuRealtimePeriod ?? 0,
    CpuRealtimeRuntime: h.CpuRealtimeRuntime ?? 0,
    CpusetCpus: h.CpusetCpus ?? '',
    CpusetMems: h.CpusetMems ?? '',
    Devices: h.Devices ?? null,
    DeviceCgroupRules: h.DeviceCgroupRules ?? null,
    DeviceRequests: null,
    MemoryReservation: h.MemoryReservation ?? 0,
    MemorySwap: h.MemorySwap ?? 0,
    MemorySwappiness: h.MemorySwappiness ?? null,
    OomKillDisable: h.OomKillDisable ?? null,
    PidsLimit: h.PidsLimit ?? null,
    Ulimits: h.Ulimits ?? null,
    CpuCount: h.CpuCount ?? 0,
    CpuPercent: h.CpuPercent ?? 0,
    IOMaximumIOps: h.IOMaximumIOps ?? 0,
    IOMaximumBandwidth: h.IOMaximumBandwidth ?? 0,
    ...(h.Init !== undefined && h.Init !== null ? { Init: h.Init } : {}),
    ...(h.Tmpfs ? { Tmpfs: h.Tmpfs } : {}),
    ...(h.Sysctls ? { Sysctls: h.Sysctls } : {}),
    ...(h.Mounts?.length ? { Mounts: h.Mounts } : {}),
    MaskedPaths: h.MaskedPaths ?? null,
    ReadonlyPaths: h.ReadonlyPaths ?? null,
  };
}

/** One row of GET /containers/json. */
export function summaryView(rec: ContainerRecord, sizes?: { rw: number; rootFs: number }, linkNames: readonly string[] = []): Record<string, unknown> {
  return {
    Id: rec.Id,
    Names: [rec.Name, ...linkNames],
    Image: rec.Config.Image ?? rec.Image,
    ImageID: rec.Image,
    Command: [rec.Path, ...rec.Args].join(' '),
    Created: Math.floor(Date.parse(rec.Created) / 1000),
    Ports: portList(rec),
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Labels: rec.Config.Labels ?? {},
    State: rec.State.Status,
    Status: statusText(rec),
    HostConfig: { NetworkMode: rec.HostConfig.NetworkMode ?? 'bridge' },
    NetworkSettings: { Networks: (networkSettings(rec).Networks as Record<string, unknown>) },
    Mounts: mountsView(rec),
  };
}

export type Filters = Record<string, string[]>;

/** Docker sends filters as {"key": ["v"]} or (old clients) {"key": {"v": true}}. */
export function normaliseFilters(raw: unknown): Filters {
  if (!raw || typeof raw !== 'object') return {};
  const out: Filters = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object') out[k] = Object.keys(v);
    else throw new InvalidArgument(`invalid filter '${k}'`);
  }
  return out;
}

/** docker's `label=k` / `label=k=v` filter on a label map. */
export function labelMatch(labels: Record<string, string>, f: string): boolean {
  const i = f.indexOf('=');
  if (i < 0) return f in labels;
  return labels[f.slice(0, i)] === f.slice(i + 1);
}

const PS_FILTERS = new Set(['id', 'name', 'label', 'exited', 'status', 'ancestor', 'before', 'since', 'volume', 'network', 'health', 'publish', 'expose', 'is-task']);

/** `docker ps --filter` semantics; ancestor resolution is delegated (image refs need the image store). */
export function containerFilter(
  filters: Filters,
  lookup: (ref: string) => ContainerRecord | undefined,
  ancestorOf: (imageRef: string) => string | undefined,
): (rec: ContainerRecord) => boolean {
  for (const k of Object.keys(filters)) {
    if (!PS_FILTERS.has(k)) throw new InvalidArgument(`invalid filter '${k}'`);
  }
  for (const s of filters.status ?? []) {
    if (!['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'].includes(s)) {
      throw new InvalidArgument(`invalid filter 'status=${s}'`);
    }
  }
  for (const h of filters.health ?? []) {
    if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h)) throw new InvalidArgument(`Unrecognised filter value for health: ${h}`);
  }
  const before = filters.before?.[0] ? lookup(filters.before[0]) : undefined;
  const since = filters.since?.[0] ? lookup(filters.since[0]) : undefined;
  if (filters.before?.[0] && !before) throw new InvalidArgument(`No such container: ${filters.before[0]}`);
  if (filters.since?.[0] && !since) throw new InvalidArgument(`No such container: ${filters.since[0]}`);
  const ancestors = (filters.ancestor ?? []).map((a) => ancestorOf(a) ?? `\0${a}`);
  return (rec) => {
    if (filters.id && !filters.id.some((p) => rec.Id.startsWith(p))) return false;
    if (filters.name && !filters.name.some((p) => userRegExp(p)?.test(rec.Name.slice(1)))) return false;
    if (filters.label && !filters.label.every((l) => labelMatch(rec.Config.Labels ?? {}, l))) return false;
    if (filters.exited && !(rec.State.Status === 'exited' && filters.exited.includes(String(rec.State.ExitCode)))) return false;
    if (filters.status && !filters.status.includes(rec.State.Status)) return false;
    if (filters.ancestor && !ancestors.some((a) => a === rec.Image || a === rec.Config.Image)) return false;
    if (before && Date.parse(rec.Created) >= Date.parse(before.Created)) return false;
    if (since && Date.parse(rec.Created) <= Date.parse(since.Created)) return false;
    if (filters.network && !filters.network.some((f) => Object.entries(rec.NetworkSettings?.Networks ?? {}).some(([name, ep]) => name === f || ep.NetworkID.startsWith(f)))) return false;
    if (filters.health && !filters.health.includes(rec.State.Health?.Status ?? 'none')) return false;
    if (filters.publish && !filters.publish.some((f) => publishMatch(rec, f))) return false;
    if (filters.volume && !filters.volume.some((v) => Object.values(rec.MountPoints ?? {}).some((m) => m.Destination === v || (m.Name || m.Source) === v))) return false;
    if (filters.expose && !filters.expose.some((p) => Object.keys(rec.Config.ExposedPorts ?? {}).includes(p.includes('/') ? p : `${p}/tcp`))) return false;
    return true;
  };
}

/** ps --filter publish=80[/tcp] or a range 80-90/tcp: a container port published now. */
function publishMatch(rec: ContainerRecord, f: string): boolean {
  const [range, proto] = f.split('/');
  const [lo, hi = lo] = range!.split('-').map(Number);
  for (const [key, list] of Object.entries(rec.State.Running ? rec.NetworkSettings?.Ports ?? {} : {})) {
    const [port, keyProto] = key.split('/');
    if (proto && keyProto !== proto) continue;
    if (list?.length && Number(port) >= lo! && Number(port) <= hi!) return true;
  }
  return false;
}
