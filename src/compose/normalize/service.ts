/**
 * One service of one file made canonical: every short form long, values a variable stood for
 * cast to their type, relative paths resolved against the file's directory. Keys the model does
 * not act on pass through as written.
 */
import type { BuildConfig, Dependency, Dict, FileReference, Healthcheck, Service, ServiceNetwork } from '../model.js';
import { normalizePorts } from './ports.js';
import { normalizeVolumes, resolvePath } from './volumes.js';
import { fail, shellSplit, toBool, toBytes, toDuration, toInt, toList, toMap, toNumber, toStringMap } from './values.js';

export interface FileContext {
  /** the directory relative paths of this file are resolved from */
  dir: string;
  home: string | undefined;
}

const BOOLEANS = ['attach', 'init', 'oom_kill_disable', 'privileged', 'read_only', 'stdin_open', 'tty'];
const INTEGERS = ['cpu_count', 'cpu_percent', 'mem_swappiness', 'oom_score_adj', 'scale'];
const NUMBERS = ['cpu_shares', 'cpu_quota', 'cpu_period', 'cpu_rt_period', 'cpu_rt_runtime', 'cpus', 'pids_limit'];
const BYTES = ['mem_limit', 'mem_reservation', 'memswap_limit', 'shm_size'];
const STRING_LISTS = ['dns', 'dns_search', 'tmpfs', 'profiles'];
const STRING_ARRAYS = ['cap_add', 'cap_drop', 'dns_opt', 'security_opt', 'links', 'external_links', 'volumes_from', 'device_cgroup_rules', 'group_add', 'expose'];
const MAPS = ['labels', 'annotations', 'sysctls'];

function command(v: unknown, at: string): string[] | null {
  if (v === null) return null;
  if (typeof v === 'string') return shellSplit(v, at);
  return (v as unknown[]).map((x) => String(x));
}

function build(v: unknown, at: string, ctx: FileContext): BuildConfig {
  const o: Dict = typeof v === 'string' ? { context: v } : { ...(v as Dict) };
  const context = o.context === undefined ? '.' : String(o.context);
  // a context that is a URL (git, http) stays as written
  const out: BuildConfig = { ...o, context: /^[a-z]+:\/\/|^git@/.test(context) ? context : resolvePath(context, ctx.dir, ctx.home) };
  if (o.dockerfile === undefined && o.dockerfile_inline === undefined) out.dockerfile = 'Dockerfile';
  if (o.args !== undefined) out.args = toMap(o.args);
  if (o.labels !== undefined) out.labels = toStringMap(o.labels);
  if (o.ssh !== undefined) out.ssh = toMap(o.ssh);
  if (o.additional_contexts !== undefined) out.additional_contexts = toStringMap(o.additional_contexts);
  if (o.extra_hosts !== undefined) out.extra_hosts = extraHosts(o.extra_hosts);
  if (o.shm_size !== undefined) out.shm_size = toBytes(o.shm_size, `${at}.shm_size`);
  for (const k of ['no_cache', 'pull', 'privileged']) if (o[k] !== undefined) out[k] = toBool(o[k], `${at}.${k}`);
  if (o.secrets !== undefined) out.secrets = fileReferences(o.secrets, `${at}.secrets`);
  return out;
}

function extraHosts(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => String(x).replace(/^([^=:]+):(?!:)/, '$1='));
  const out: string[] = [];
  for (const [host, ip] of Object.entries(v as Dict)) for (const one of toList(ip)) out.push(`${host}=${one}`);
  return out;
}

function fileReferences(v: unknown, at: string): FileReference[] {
  return (v as unknown[]).map((x, i) => {
    if (typeof x === 'string') return { source: x };
    const o = x as Dict;
    const r: FileReference = { source: String(o.source) };
    if (o.target !== undefined) r.target = String(o.target);
    if (o.uid !== undefined) r.uid = String(o.uid);
    if (o.gid !== undefined) r.gid = String(o.gid);
    if (o.mode !== undefined) r.mode = typeof o.mode === 'number' ? o.mode : parseInt(String(o.mode), /^0[0-7]+$/.test(String(o.mode)) ? 8 : 10);
    if (r.mode !== undefined && Number.isNaN(r.mode)) fail(`${at}[${i}].mode`, `invalid mode ${JSON.stringify(o.mode)}`);
    return r;
  });
}

function healthcheck(v: Dict, at: string): Healthcheck {
  const h: Healthcheck = {};
  if (v.test !== undefined) h.test = typeof v.test === 'string' ? ['CMD-SHELL', v.test] : (v.test as unknown[]).map(String);
  for (const k of ['interval', 'timeout', 'start_period', 'start_interval'] as const) if (v[k] !== undefined) h[k] = toDuration(v[k], `${at}.${k}`);
  if (v.retries !== undefined) h.retries = toInt(v.retries, `${at}.retries`);
  if (v.disable !== undefined && toBool(v.disable, `${at}.disable`)) h.disable = true;
  if (h.test?.[0] === 'NONE') {
    delete h.test;
    h.disable = true;
  }
  return h;
}

function dependsOn(v: unknown, at: string): Record<string, Dependency> {
  const out: Record<string, Dependency> = {};
  if (Array.isArray(v)) {
    for (const name of v) out[String(name)] = { condition: 'service_started', required: true };
    return out;
  }
  for (const [name, d] of Object.entries(v as Record<string, Dict>)) {
    const dep: Dependency = { condition: d.condition as Dependency['condition'], required: d.required === undefined ? true : toBool(d.required, `${at}.${name}.required`) };
    if (d.restart !== undefined && toBool(d.restart, `${at}.${name}.restart`)) dep.restart = true;
    out[name] = dep;
  }
  return out;
}

function networks(v: unknown): Record<string, ServiceNetwork | null> {
  const out: Record<string, ServiceNetwork | null> = {};
  if (Array.isArray(v)) {
    for (const n of v) out[String(n)] = null;
    return out;
  }
  for (const [name, cfg] of Object.entries(v as Record<string, Dict | null>)) {
    if (cfg === null) {
      out[name] = null;
      continue;
    }
    const n: ServiceNetwork = { ...(cfg as ServiceNetwork) };
    if (cfg.priority !== undefined) n.priority = Number(cfg.priority);
    out[name] = n;
  }
  return out;
}

function ulimits(v: Dict, at: string): Record<string, number | { soft: number; hard: number }> {
  const out: Record<string, number | { soft: number; hard: number }> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x && typeof x === 'object') {
      const o = x as Dict;
      out[k] = { soft: toInt(o.soft, `${at}.${k}.soft`), hard: toInt(o.hard, `${at}.${k}.hard`) };
    } else out[k] = toInt(x, `${at}.${k}`);
  }
  return out;
}

function envFiles(v: unknown, ctx: FileContext, at: string): Array<{ path: string; required: boolean; format?: string }> {
  const items = Array.isArray(v) ? v : [v];
  return items.map((x, i) => {
    if (typeof x === 'string') return { path: resolvePath(x, ctx.dir, ctx.home), required: true };
    const o = x as Dict;
    return {
      path: resolvePath(String(o.path), ctx.dir, ctx.home),
      required: o.required === undefined ? true : toBool(o.required, `${at}[${i}].required`),
      ...(o.format !== undefined ? { format: String(o.format) } : {}),
    };
  });
}

function deploy(v: Dict, at: string): Service['deploy'] {
  const d: NonNullable<Service['deploy']> = { ...v };
  if (v.replicas !== undefined) d.replicas = toInt(v.replicas, `${at}.replicas`);
  if (v.labels !== undefined) d.labels = toStringMap(v.labels);
  const res = v.resources as Dict | undefined;
  if (res) {
    const r: Dict = { ...res };
    for (const kind of ['limits', 'reservations']) {
      const l = res[kind] as Dict | undefined;
      if (!l) continue;
      const o: Dict = { ...l };
      if (l.cpus !== undefined) o.cpus = toNumber(l.cpus, `${at}.resources.${kind}.cpus`);
      if (l.memory !== undefined) o.memory = toBytes(l.memory, `${at}.resources.${kind}.memory`);
      if (l.pids !== undefined) o.pids = toInt(l.pids, `${at}.resources.${kind}.pids`);
      r[kind] = o;
    }
    d.resources = r;
  }
  const rp = v.restart_policy as Dict | undefined;
  if (rp) {
    const o: Dict = { ...rp };
    if (rp.delay !== undefined) o.delay = toDuration(rp.delay, `${at}.restart_policy.delay`);
    if (rp.window !== undefined) o.window = toDuration(rp.window, `${at}.restart_policy.window`);
    if (rp.max_attempts !== undefined) o.max_attempts = toInt(rp.max_attempts, `${at}.restart_policy.max_attempts`);
    d.restart_policy = o;
  }
  return d;
}

/** Normalises one service of a file (its `extends` key kept for the loader). */
export function normalizeService(name: string, raw: Dict, ctx: FileContext): Service {
  const at = `services.${name}`;
  const s: Service = { ...raw, name } as Service;
  for (const k of BOOLEANS) if (raw[k] !== undefined) s[k] = toBool(raw[k], `${at}.${k}`);
  for (const k of INTEGERS) if (raw[k] !== undefined) s[k] = toInt(raw[k], `${at}.${k}`);
  for (const k of NUMBERS) if (raw[k] !== undefined) s[k] = toNumber(raw[k], `${at}.${k}`);
  for (const k of BYTES) if (raw[k] !== undefined) s[k] = toBytes(raw[k], `${at}.${k}`);
  for (const k of STRING_LISTS) if (raw[k] !== undefined) s[k] = toList(raw[k]);
  for (const k of STRING_ARRAYS) if (raw[k] !== undefined) s[k] = toList(raw[k]);
  for (const k of MAPS) if (raw[k] !== undefined) s[k] = toStringMap(raw[k]);
  if (raw.build !== undefined) s.build = build(raw.build, `${at}.build`, ctx);
  if (raw.command !== undefined) s.command = command(raw.command, `${at}.command`);
  if (raw.entrypoint !== undefined) s.entrypoint = command(raw.entrypoint, `${at}.entrypoint`);
  if (raw.environment !== undefined) s.environment = toMap(raw.environment);
  if (raw.env_file !== undefined) s.env_file = envFiles(raw.env_file, ctx, `${at}.env_file`);
  if (raw.ports !== undefined) s.ports = normalizePorts(raw.ports, `${at}.ports`);
  if (raw.volumes !== undefined) s.volumes = normalizeVolumes(raw.volumes, `${at}.volumes`, ctx.dir, ctx.home);
  if (raw.depends_on !== undefined) s.depends_on = dependsOn(raw.depends_on, `${at}.depends_on`);
  if (raw.networks !== undefined) s.networks = networks(raw.networks);
  if (raw.healthcheck !== undefined) s.healthcheck = healthcheck(raw.healthcheck as Dict, `${at}.healthcheck`);
  if (raw.stop_grace_period !== undefined) s.stop_grace_period = toDuration(raw.stop_grace_period, `${at}.stop_grace_period`);
  if (raw.ulimits !== undefined) s.ulimits = ulimits(raw.ulimits as Dict, `${at}.ulimits`);
  if (raw.extra_hosts !== undefined) s.extra_hosts = extraHosts(raw.extra_hosts);
  if (raw.deploy !== undefined && raw.deploy !== null) s.deploy = deploy(raw.deploy as Dict, `${at}.deploy`);
  if (raw.secrets !== undefined) s.secrets = fileReferences(raw.secrets, `${at}.secrets`);
  if (raw.configs !== undefined) s.configs = fileReferences(raw.configs, `${at}.configs`);
  if (raw.devices !== undefined) {
    s.devices = (raw.devices as unknown[]).map((d) => {
      if (typeof d !== 'string') return d as { source: string };
      const [source, target, permissions] = d.split(':') as [string, string | undefined, string | undefined];
      return { source, target: target ?? source, permissions: permissions ?? 'rwm' };
    });
  }
  if (raw.logging && typeof raw.logging === 'object') {
    const l = raw.logging as Dict;
    s.logging = { ...(l.driver !== undefined ? { driver: String(l.driver) } : {}), ...(l.options ? { options: toMap(l.options) } : {}) };
  }
  if (s.pid === null) delete s.pid;
  return s;
}
