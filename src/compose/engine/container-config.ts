/**
 * A service's container as an Engine API create request (POST /containers/create), as docker
 * compose v2 builds it: image, command, environment, labels (project, service, number, config
 * hash...), mounts, published ports, restart policy, resources, and an endpoint on each of the
 * service's networks with the aliases compose gives (the container name, the service name, the
 * configured aliases).
 */
import { createHash } from 'node:crypto';
import type { Project, Service, VolumeMount } from '../model.js';
import { durationMs } from '../normalize/values.js';
import { LABEL } from './labels.js';
import { imageName } from './names.js';
import { version } from '../../cli/meta.js';

/** JSON with keys sorted at every level: the same model always gives the same text. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The service's configuration hash: what a second `up` compares to decide on a recreate. As
 * compose's, it leaves out what does not change the container (build, pull policy, scale,
 * replicas, depends_on, profiles).
 */
export function serviceHash(s: Service): string {
  const { build: _b, pull_policy: _p, scale: _s, depends_on: _d, profiles: _pr, ...rest } = s;
  const o: Record<string, unknown> = { ...rest };
  if (s.deploy) {
    const { replicas: _r, ...deploy } = s.deploy;
    o.deploy = deploy;
  }
  return createHash('sha256').update(stableJson(o)).digest('hex');
}

/** The service's networks, highest priority first (then by name), as compose orders them. */
export function networksByPriority(s: Service): string[] {
  const nets = s.networks ?? {};
  return Object.keys(nets).sort((a, b) => (nets[b]?.priority ?? 0) - (nets[a]?.priority ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
}

export interface ContainerOptions {
  number: number;
  name: string;
  /** the image's ID when the container is made (recreated when the image changes) */
  imageId?: string;
  oneoff?: boolean;
  /** `run`: publish the service's ports only with --service-ports */
  publishPorts?: boolean;
  /** network_mode and volumes_from naming services, resolved to containers */
  resolve: (service: string) => string | undefined;
  labels?: Record<string, string>;
  /** `run` overrides */
  command?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  extraVolumes?: VolumeMount[];
  tty?: boolean;
  stdin?: boolean;
  autoRemove?: boolean;
  user?: string;
  workdir?: string;
}

const seconds = (d: string | undefined): number | undefined => {
  const ms = durationMs(d);
  return ms === undefined ? undefined : Math.round(ms / 1000);
};
const nanos = (d: string | undefined): number | undefined => {
  const ms = durationMs(d);
  return ms === undefined ? undefined : Math.round(ms * 1e6);
};

function restartPolicy(s: Service): { Name: string; MaximumRetryCount?: number } | undefined {
  if (s.restart) {
    const [name, count] = s.restart.split(':');
    return { Name: name === 'no' ? 'no' : name!, ...(count ? { MaximumRetryCount: Number(count) } : {}) };
  }
  const rp = s.deploy?.restart_policy as { condition?: string; max_attempts?: number } | undefined;
  if (rp) {
    const name = rp.condition === 'none' ? 'no' : rp.condition === 'on-failure' ? 'on-failure' : 'always';
    return { Name: name, ...(rp.max_attempts ? { MaximumRetryCount: rp.max_attempts } : {}) };
  }
  return undefined;
}

function mounts(p: Project, s: Service, extra: VolumeMount[]): { binds: string[]; mounts: unknown[] } {
  const binds: string[] = [];
  const out: unknown[] = [];
  for (const v of [...(s.volumes ?? []), ...extra]) {
    if (v.type === 'bind' && v.bind?.create_host_path !== false && !v.bind?.recursive) {
      const opts = [v.read_only ? 'ro' : 'rw', v.bind?.selinux, v.bind?.propagation].filter(Boolean);
      binds.push(`${v.source}:${v.target}:${opts.join(',')}`);
      continue;
    }
    const m: Record<string, unknown> = { Type: v.type, Target: v.target, ReadOnly: v.read_only === true };
    if (v.type === 'volume') {
      if (v.source) m.Source = p.volumes[v.source]?.name ?? v.source;
      if (v.volume?.nocopy || v.volume?.subpath) m.VolumeOptions = { NoCopy: v.volume.nocopy === true, ...(v.volume.subpath ? { Subpath: v.volume.subpath } : {}) };
    } else if (v.source) m.Source = v.source;
    if (v.type === 'bind' && v.bind?.propagation) m.BindOptions = { Propagation: v.bind.propagation };
    if (v.type === 'tmpfs' && v.tmpfs) m.TmpfsOptions = { ...(v.tmpfs.size !== undefined ? { SizeBytes: v.tmpfs.size } : {}), ...(v.tmpfs.mode !== undefined ? { Mode: v.tmpfs.mode } : {}) };
    out.push(m);
  }
  // secrets and configs kept in files are mounted read-only where the service asks for them
  for (const kind of ['secrets', 'configs'] as const) {
    for (const r of s[kind] ?? []) {
      const def = p[kind][r.source];
      if (!def?.file) continue;
      const target = fileTarget(kind, r.source, r.target);
      binds.push(`${def.file}:${target}:ro`);
    }
  }
  return { binds, mounts: out };
}

/** Where a secret or config lands: /run/secrets/<name> and /<name> unless the service says. */
export function fileTarget(kind: 'secrets' | 'configs', source: string, target: string | undefined): string {
  if (target?.startsWith('/')) return target;
  return kind === 'secrets' ? `/run/secrets/${target ?? source}` : `/${target ?? source}`;
}

function portBindings(s: Service): Record<string, Array<{ HostIp: string; HostPort: string }>> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const port of s.ports ?? []) {
    const key = `${port.target}/${port.protocol}`;
    (out[key] ??= []).push({ HostIp: port.host_ip ?? '', HostPort: port.published ?? '' });
  }
  return out;
}

function exposed(s: Service): Record<string, Record<string, never>> {
  const out: Record<string, Record<string, never>> = {};
  for (const port of s.ports ?? []) out[`${port.target}/${port.protocol}`] = {};
  for (const e of s.expose ?? []) {
    const [range, proto = 'tcp'] = e.split('/');
    const [a, b = a] = range!.split('-').map(Number) as [number, number | undefined];
    for (let x = a; x <= (b ?? a); x++) out[`${x}/${proto}`] = {};
  }
  return out;
}

function resources(s: Service): Record<string, unknown> {
  const limits = (s.deploy?.resources as { limits?: { cpus?: number; memory?: number; pids?: number }; reservations?: { memory?: number } } | undefined) ?? {};
  const r: Record<string, unknown> = {};
  const memory = s.mem_limit ?? limits.limits?.memory;
  if (memory) r.Memory = memory;
  const reservation = s.mem_reservation ?? limits.reservations?.memory;
  if (reservation) r.MemoryReservation = reservation;
  if (s.memswap_limit) r.MemorySwap = s.memswap_limit;
  const cpus = s.cpus ?? limits.limits?.cpus;
  if (cpus) r.NanoCpus = Math.round(cpus * 1e9);
  if (s.cpu_shares) r.CpuShares = s.cpu_shares;
  const pids = s.pids_limit ?? limits.limits?.pids;
  if (pids) r.PidsLimit = pids;
  if (typeof s.cpuset === 'string') r.CpusetCpus = s.cpuset;
  if (s.ulimits) {
    r.Ulimits = Object.entries(s.ulimits).map(([Name, v]) => (typeof v === 'number' ? { Name, Soft: v, Hard: v } : { Name, Soft: v.soft, Hard: v.hard }));
  }
  if (s.devices) r.Devices = s.devices.map((d) => ({ PathOnHost: d.source, PathInContainer: d.target ?? d.source, CgroupPermissions: d.permissions ?? 'rwm' }));
  return r;
}

/** Resolves `service:NAME` of network_mode, ipc and pid to the container it names. */
function modeOf(mode: string | undefined, resolve: (s: string) => string | undefined, what: string): string | undefined {
  if (!mode?.startsWith('service:')) return mode;
  const svc = mode.slice('service:'.length);
  const id = resolve(svc);
  if (!id) throw new Error(`cannot share ${what} namespace with service ${svc}: container missing`);
  return `container:${id}`;
}

/** The labels of a service's container. */
export function containerLabels(p: Project, s: Service, o: ContainerOptions): Record<string, string> {
  return {
    ...(s.labels ?? {}),
    ...(o.labels ?? {}),
    [LABEL.project]: p.name,
    [LABEL.service]: s.name,
    [LABEL.number]: String(o.number),
    [LABEL.oneoff]: o.oneoff ? 'True' : 'False',
    [LABEL.configHash]: serviceHash(s),
    [LABEL.version]: version(),
    [LABEL.dependsOn]: Object.entries(s.depends_on ?? {}).map(([d, c]) => `${d}:${c.condition}:${c.restart === true}`).join(','),
    [LABEL.workingDir]: p.workingDir,
    [LABEL.configFiles]: p.configFiles.join(','),
    ...(p.envFiles.length ? { [LABEL.environmentFile]: p.envFiles.join(',') } : {}),
    ...(o.imageId ? { [LABEL.image]: o.imageId } : {}),
  };
}

/** The create request of one container of a service. */
export function createRequest(p: Project, s: Service, o: ContainerOptions): Record<string, unknown> {
  const env = { ...(s.environment ?? {}), ...(o.env ?? {}) };
  const hc = s.healthcheck;
  const healthcheck = hc
    ? hc.disable
      ? { Test: ['NONE'] }
      : { Test: hc.test, Interval: nanos(hc.interval), Timeout: nanos(hc.timeout), StartPeriod: nanos(hc.start_period), StartInterval: nanos(hc.start_interval), Retries: hc.retries }
    : undefined;
  const { binds, mounts: mountList } = mounts(p, s, o.extraVolumes ?? []);
  const tmpfs: Record<string, string> = {};
  for (const t of s.tmpfs ?? []) {
    const i = t.indexOf(':');
    if (i < 0) tmpfs[t] = '';
    else tmpfs[t.slice(0, i)] = t.slice(i + 1);
  }
  const nets = networksByPriority(s);
  const networkMode = modeOf(s.network_mode, o.resolve, 'network') ?? (nets.length ? p.networks[nets[0]!]!.name : 'none');
  const endpoints: Record<string, unknown> = {};
  if (!s.network_mode) {
    for (const key of nets) {
      const cfg = s.networks?.[key] ?? undefined;
      const aliases = [o.name, ...(o.oneoff ? [] : [s.name]), ...(cfg?.aliases ?? [])];
      endpoints[p.networks[key]!.name] = {
        Aliases: [...new Set(aliases)],
        ...(cfg?.ipv4_address || cfg?.ipv6_address || cfg?.link_local_ips ? { IPAMConfig: { IPv4Address: cfg.ipv4_address, IPv6Address: cfg.ipv6_address, LinkLocalIPs: cfg.link_local_ips } } : {}),
        ...(cfg?.mac_address ? { MacAddress: cfg.mac_address } : {}),
        ...(cfg?.driver_opts ? { DriverOpts: cfg.driver_opts } : {}),
        ...(cfg?.gw_priority !== undefined ? { GwPriority: cfg.gw_priority } : {}),
      };
    }
  }
  const volumesFrom = (s.volumes_from ?? []).map((v) => {
    const [src, mode] = v.split(':') as [string, string | undefined];
    if (src === 'container') return v.slice('container:'.length);
    const id = o.resolve(src) ?? src;
    return mode ? `${id}:${mode}` : id;
  });
  return {
    Hostname: s.hostname,
    Domainname: s.domainname,
    User: o.user ?? s.user,
    ExposedPorts: exposed(s),
    Tty: o.tty ?? s.tty ?? false,
    OpenStdin: o.stdin ?? s.stdin_open ?? false,
    StdinOnce: o.stdin === true,
    AttachStdin: o.stdin === true,
    AttachStdout: true,
    AttachStderr: true,
    Cmd: o.command ?? s.command ?? undefined,
    Entrypoint: o.entrypoint ?? s.entrypoint ?? undefined,
    Image: imageName(p.name, s),
    WorkingDir: o.workdir ?? s.working_dir,
    Labels: containerLabels(p, s, o),
    StopSignal: s.stop_signal,
    StopTimeout: seconds(s.stop_grace_period),
    Env: Object.entries(env).filter((e): e is [string, string] => e[1] !== null).map(([k, v]) => `${k}=${v}`),
    Healthcheck: healthcheck,
    HostConfig: {
      Binds: binds,
      Mounts: mountList,
      AutoRemove: o.autoRemove === true,
      NetworkMode: networkMode,
      PortBindings: o.publishPorts === false ? {} : portBindings(s),
      RestartPolicy: restartPolicy(s),
      CapAdd: s.cap_add,
      CapDrop: s.cap_drop,
      Privileged: s.privileged === true,
      SecurityOpt: s.security_opt,
      ReadonlyRootfs: s.read_only === true,
      Init: s.init,
      Tmpfs: tmpfs,
      Sysctls: s.sysctls,
      ExtraHosts: (s.extra_hosts ?? []).map((h) => h.replace('=', ':')),
      Dns: s.dns,
      DnsSearch: s.dns_search,
      DnsOptions: s.dns_opt,
      ShmSize: s.shm_size,
      IpcMode: modeOf(s.ipc, o.resolve, 'IPC'),
      PidMode: modeOf(s.pid ?? undefined, o.resolve, 'PID'),
      LogConfig: s.logging ? { Type: s.logging.driver ?? '', Config: s.logging.options ?? {} } : undefined,
      GroupAdd: s.group_add,
      VolumesFrom: volumesFrom,
      OomScoreAdj: s.oom_score_adj,
      Annotations: s.annotations,
      ...resources(s),
    },
    NetworkingConfig: { EndpointsConfig: endpoints },
  };
}
