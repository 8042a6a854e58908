/**
 * The settings a running engine can change on SIGHUP, as dockerd's Reload (daemon/reload.go):
 * labels, debug, insecure registries, registry mirrors, runtimes and the default runtime, and
 * the default ulimits of containers started from then on (the log level is the daemon's own:
 * see daemon.ts). Only the keys the file sets replace the current values (dockerd's IsValueSet).
 */
import type { RuntimeConfig } from '../runtime/runtimes.js';
import { validateMirror, type DaemonConfig } from './daemon-config.js';

export interface EngineSettings {
  labels: string[];
  debug: boolean;
  insecureRegistries: string[];
  registryMirrors: string[];
  runtimes: Record<string, RuntimeConfig>;
  defaultRuntime: string;
  defaultUlimits: DaemonConfig['defaultUlimits'];
}

export function settingsOf(c: DaemonConfig): EngineSettings {
  return { labels: c.labels, debug: c.debug, insecureRegistries: c.insecureRegistries, registryMirrors: c.registryMirrors, runtimes: c.runtimes, defaultRuntime: c.defaultRuntime, defaultUlimits: c.defaultUlimits };
}

/** The settings after a reload from `next` (the configuration read again). */
export function reloadedSettings(current: EngineSettings, next: DaemonConfig): EngineSettings {
  const set = (key: string): boolean => next.fileKeys.has(key);
  return {
    labels: set('labels') ? next.labels : current.labels,
    debug: set('debug') ? next.debug : current.debug,
    insecureRegistries: set('insecure-registries') ? next.insecureRegistries : current.insecureRegistries,
    registryMirrors: set('registry-mirrors') ? next.registryMirrors : current.registryMirrors,
    runtimes: set('runtimes') ? next.runtimes : current.runtimes,
    // As dockerd: the merged value (the flag's, the file's, else the default) always.
    defaultRuntime: next.defaultRuntime,
    defaultUlimits: set('default-ulimits') ? next.defaultUlimits : current.defaultUlimits,
  };
}

/** The attributes of the `daemon reload` event: the values now in force, printed as dockerd prints them. */
export function reloadAttributes(s: EngineSettings, name: string): Record<string, string> {
  const runtimes = Object.entries({ runc: { path: 'runc' }, ...s.runtimes }).map(([n, r]) => `${n}:${r.path}`).sort();
  return {
    debug: String(s.debug),
    'default-runtime': s.defaultRuntime,
    'insecure-registries': JSON.stringify(s.insecureRegistries),
    labels: JSON.stringify(s.labels),
    // Containers always outlive the engine (conmon holds them), as dockerd's live restore.
    'live-restore': 'true',
    name,
    'registry-mirrors': JSON.stringify(s.registryMirrors),
    runtimes: runtimes.join(' '),
  };
}

interface IndexInfo {
  Name: string;
  Mirrors: string[];
  Secure: boolean;
  Official: boolean;
}

export interface RegistryInfo {
  AllowNondistributableArtifactsCIDRs: string[];
  AllowNondistributableArtifactsHostnames: string[];
  InsecureRegistryCIDRs: string[];
  IndexConfigs: Record<string, IndexInfo>;
  Mirrors: string[];
}

/** A CIDR as Go's net.ParseCIDR accepts it (IPv4 here), printed as the network it names. */
function ipv4Cidr(s: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const n = octets.reduce((a, o) => a * 256 + o, 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const base = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((sh) => (base >>> sh) & 255).join('.')}/${bits}`;
}

/**
 * `docker info`'s RegistryConfig as dockerd's registry service builds it (LoadInsecureRegistries,
 * LoadMirrors): CIDRs apart, other names as insecure index entries, 127.0.0.0/8 always insecure,
 * and docker.io with the mirrors. `warn` hears what dockerd warns about (a scheme given).
 */
export function registryInfo(insecure: readonly string[], mirrors: readonly string[], warn: (msg: string) => void = () => {}): RegistryInfo {
  const cidrs: string[] = [];
  const index: Record<string, IndexInfo> = {};
  for (const raw of [...insecure, '127.0.0.0/8']) {
    let r = raw;
    const scheme = /^(https?):\/\//i.exec(r);
    if (scheme) {
      warn(`insecure registry ${raw} should not contain '${scheme[0]}' and '${scheme[0]}' has been removed from the insecure registry config`);
      r = r.slice(scheme[0].length);
    }
    const cidr = ipv4Cidr(r);
    if (cidr) {
      if (!cidrs.includes(cidr)) cidrs.push(cidr);
    } else index[r] = { Name: r, Mirrors: [], Secure: false, Official: false };
  }
  const normalized = mirrors.map(validateMirror);
  index['docker.io'] = { Name: 'docker.io', Mirrors: normalized, Secure: true, Official: true };
  return { AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [], InsecureRegistryCIDRs: cidrs, IndexConfigs: index, Mirrors: normalized };
}
