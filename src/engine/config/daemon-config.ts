/**
 * The engine's configuration as dockerd builds it (cmd/dockerd/daemon.go loadDaemonCliConfig,
 * daemon/config MergeDaemonConfigurations): defaults, then daemon.json, then flags. A key may come
 * from the file or from a flag, never both; keys the file names that no option knows are refused;
 * values are decoded with Go's types and checked with dockerd's words.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { validateDNSSearch } from '../../cli/network-opts.js';
import { DAEMON_FLAGS, type FlagSpec, type GivenFlags } from './flags.js';
import { DecodeError, GoSyntaxError, goPlain, parseGoJson, goArray, goBool, goFormat, goInt, goObject, goString, goStringList, goStringMap, goField, goOpenError } from './go-json.js';
import { normalizeHost, normalizeHosts } from './hosts.js';
import { STOCK_RUNTIME, type RuntimeConfig } from '../runtime/runtimes.js';

export const DEFAULT_CONFIG_FILE = '/etc/minke/daemon.json';
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;

export interface UlimitConfig {
  Name: string;
  Hard: number;
  Soft: number;
}

export interface DaemonConfig {
  /** Listen addresses, normalized (`unix:///path`, `tcp://host:port`). */
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile?: string;
  bridge: string;
  bip: string;
  /** `base=CIDR,size=N`, the flag's form. */
  defaultAddressPools: string[];
  labels: string[];
  debug: boolean;
  logLevel: string;
  logDriver: string;
  logOpts: Record<string, string>;
  /** The containers' parent cgroups' real-time budget (--cpu-rt-period, --cpu-rt-runtime), in µs. */
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  defaultUlimits: Record<string, UlimitConfig>;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  insecureRegistries: string[];
  registryMirrors: string[];
  /** Runtimes besides the stock one (daemon.json "runtimes", --add-runtime). */
  runtimes: Record<string, RuntimeConfig>;
  defaultRuntime: string;
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert: string;
  tlsCert: string;
  tlsKey: string;
  /** The file read ('' when the default file is missing). */
  configFile: string;
  /** The keys the file set: a reload replaces only those (dockerd's IsValueSet). */
  fileKeys: ReadonlySet<string>;
}

export class ConfigError extends Error {}

/** An error in a flag's value, worded as pflag reports it. */
function flagError(name: string, value: string, err: unknown): ConfigError {
  return new ConfigError(`invalid argument "${value}" for "--${name}" flag: ${(err as Error).message}`);
}

// dockerd's validators (opts/opts.go, the daemon's own, older than the CLI's).
function validateIP(v: string): string {
  if (isIP(v.trim()) === 0) throw new Error(`${v} is not an ip address`);
  return v.trim();
}

function validateLabel(v: string): string {
  if (!v.includes('=')) throw new Error(`bad attribute format: ${v}`);
  return v;
}

const ULIMIT_NAMES = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

/** go-units ParseUlimit: name=soft[:hard]. */
export function parseUlimit(v: string): UlimitConfig {
  const eq = v.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${v}`);
  const name = v.slice(0, eq);
  if (!ULIMIT_NAMES.includes(name)) throw new Error(`invalid ulimit type: ${name}`);
  const parts = v.slice(eq + 1).split(':');
  if (parts.length > 2) throw new Error(`too many limit value arguments - ${v.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const int = (s: string): number => {
    if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
    return Number(s);
  };
  const soft = int(parts[0]!);
  const hard = parts.length === 2 ? int(parts[1]!) : soft;
  if (hard !== -1 && soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Hard: hard, Soft: soft };
}

/** registry.ValidateMirror: an http(s) URL without path, query or fragment, kept with a trailing slash. */
export function validateMirror(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error(`invalid mirror: no scheme specified for "${v}": must use either 'https://' or 'http://'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`invalid mirror: unsupported scheme "${u.protocol.slice(0, -1)}" in "${v}"`);
  if ((u.pathname !== '' && u.pathname !== '/') || u.search || u.hash) throw new Error(`invalid mirror: path, query, or fragment at end of the URI "${v}"`);
  return `${u.protocol}//${u.host}/`;
}

function addRuntime(into: Record<string, RuntimeConfig>, v: string): void {
  const eq = v.indexOf('=');
  const name = (eq < 0 ? '' : v.slice(0, eq)).trim().toLowerCase();
  const path = eq < 0 ? '' : v.slice(eq + 1).trim();
  if (name === '' || path === '') throw new Error(`invalid runtime argument: ${v}`);
  if (name === STOCK_RUNTIME) throw new Error(`runtime name '${STOCK_RUNTIME}' is reserved`);
  if (into[name]) throw new Error(`runtime '${name}' was already defined`);
  into[name] = { path };
}

type Settable = Partial<Omit<DaemonConfig, 'fileKeys' | 'configFile'>>;

/** Each daemon.json key: how Go decodes it into the Config struct, and where it lands. */
const FILE_KEYS: Record<string, (v: unknown, into: Settable) => void> = {
  hosts: (v, c) => { c.hosts = goStringList(v, 'Config.hosts'); },
  'data-root': (v, c) => { c.dataRoot = goString(v, 'Config.data-root'); },
  'exec-root': (v, c) => { c.execRoot = goString(v, 'Config.exec-root'); },
  pidfile: (v, c) => { c.pidfile = goString(v, 'Config.pidfile'); },
  bridge: (v, c) => { c.bridge = goString(v, 'Config.bridge'); },
  bip: (v, c) => { c.bip = goString(v, 'Config.bip'); },
  'default-address-pools': (v, c) => {
    c.defaultAddressPools = goArray(v, 'Config.default-address-pools', '[]*ipamutils.NetworkToSplit').map((p) => {
      const o = goObject(p, 'Config.default-address-pools', 'ipamutils.NetworkToSplit');
      const base = goField(o, 'base');
      const size = goField(o, 'size');
      return `base=${base == null ? '' : goString(base, 'Config.default-address-pools')},size=${size == null ? 0 : goInt(size, 'Config.default-address-pools', 'int')}`;
    });
  },
  labels: (v, c) => { c.labels = goStringList(v, 'Config.labels'); },
  debug: (v, c) => { c.debug = goBool(v, 'Config.debug'); },
  'log-level': (v, c) => { c.logLevel = goString(v, 'Config.log-level'); },
  'log-driver': (v, c) => { c.logDriver = goString(v, 'Config.log-driver'); },
  'log-opts': (v, c) => { c.logOpts = goStringMap(v, 'Config.log-opts'); },
  'cpu-rt-period': (v, c) => { c.cpuRtPeriod = goInt(v, 'Config.cpu-rt-period'); },
  'cpu-rt-runtime': (v, c) => { c.cpuRtRuntime = goInt(v, 'Config.cpu-rt-runtime'); },
  'default-ulimits': (v, c) => {
    const o = goObject(v, 'Config.default-ulimits', 'map[string]*units.Ulimit');
    c.defaultUlimits = Object.fromEntries(Object.entries(o).filter(([, u]) => u !== null).map(([k, u]) => {
      const f = goObject(u, 'Config.default-ulimits', 'units.Ulimit');
      const num = (name: string): number => {
        const x = goField(f, name);
        return x == null ? 0 : goInt(x, `Ulimit.default-ulimits.${name}`);
      };
      const name = goField(f, 'Name');
      return [k, { Name: name == null ? '' : goString(name, 'Ulimit.default-ulimits.Name'), Hard: num('Hard'), Soft: num('Soft') }];
    }));
  },
  dns: (v, c) => { c.dns = goStringList(v, 'Config.dns'); },
  'dns-search': (v, c) => { c.dnsSearch = goStringList(v, 'Config.dns-search'); },
  'dns-opts': (v, c) => { c.dnsOptions = goStringList(v, 'Config.dns-opts'); },
  'insecure-registries': (v, c) => { c.insecureRegistries = goStringList(v, 'Config.insecure-registries'); },
  'registry-mirrors': (v, c) => { c.registryMirrors = goStringList(v, 'Config.registry-mirrors'); },
  runtimes: (v, c) => {
    const o = goObject(v, 'Config.runtimes', 'map[string]types.Runtime');
    c.runtimes = Object.fromEntries(Object.entries(o).filter(([, r]) => r !== null).map(([k, r]) => {
      const f = goObject(r, 'Config.runtimes', 'types.Runtime');
      const path = goField(f, 'path');
      const args = goField(f, 'runtimeArgs');
      const rt: RuntimeConfig = { path: path == null ? '' : goString(path, 'Runtime.runtimes.path') };
      if (args != null) rt.runtimeArgs = goStringList(args, 'Runtime.runtimes.runtimeArgs');
      return [k, rt];
    }));
  },
  'default-runtime': (v, c) => { c.defaultRuntime = goString(v, 'Config.default-runtime'); },
  tls: (v, c) => { c.tls = goBool(v, 'Config.tls'); },
  tlsverify: (v, c) => { c.tlsVerify = goBool(v, 'Config.tlsverify'); },
  tlscacert: (v, c) => { c.tlsCaCert = goString(v, 'Config.tlscacert'); },
  tlscert: (v, c) => { c.tlsCert = goString(v, 'Config.tlscert'); },
  tlskey: (v, c) => { c.tlsKey = goString(v, 'Config.tlskey'); },
};

/** Maps whose entries are values, not options: everything else nested is flattened, as dockerd does. */
const FLAT_OPTIONS = new Set(['log-opts', 'runtimes', 'default-ulimits']);

/** The flags' values, checked as each flag's Set does, over the defaults. */
function fromFlags(f: GivenFlags): Settable {
  const c: Settable = {};
  const each = (name: string, check: (v: string) => string): string[] | undefined => {
    const vs = f.list(name);
    return vs?.map((v) => {
      try {
        return check(v);
      } catch (err) {
        throw flagError(name, v, err);
      }
    });
  };
  const id = (v: string): string => v;
  const hosts = each('host', (v) => {
    normalizeHost(v, false);
    return v;
  });
  if (hosts) c.hosts = hosts;
  const str = (name: string): string | undefined => f.str(name);
  const set = <K extends keyof Settable>(key: K, v: Settable[K] | undefined): void => {
    if (v !== undefined) c[key] = v;
  };
  set('dataRoot', str('data-root') ?? str('root'));
  set('execRoot', str('exec-root'));
  set('pidfile', str('pidfile'));
  set('bridge', str('bridge'));
  set('bip', str('bip'));
  set('defaultAddressPools', f.list('default-address-pool'));
  set('labels', each('label', validateLabel));
  set('debug', f.bool('debug'));
  set('logLevel', str('log-level'));
  set('logDriver', str('log-driver'));
  const logOpts = f.list('log-opt');
  if (logOpts) {
    c.logOpts = Object.fromEntries(logOpts.map((kv) => {
      const eq = kv.indexOf('=');
      // pflag's map flag, as dockerd's --log-opt: KEY=VALUE only
      if (eq <= 0) throw new Error(`invalid argument "${kv}" for "--log-opt" flag: invalid key value pair format in log-opt`);
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    }));
  }
  const int = (name: string): number | undefined => {
    const v = str(name);
    if (v === undefined) return undefined;
    // pflag's int64 flag (strconv.ParseInt)
    if (!/^[-+]?\d+$/.test(v)) throw new Error(`invalid argument "${v}" for "--${name}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
    return Number(v);
  };
  set('cpuRtPeriod', int('cpu-rt-period'));
  set('cpuRtRuntime', int('cpu-rt-runtime'));
  const ulimits = f.list('default-ulimit');
  if (ulimits) {
    c.defaultUlimits = {};
    for (const v of ulimits) {
      try {
        const u = parseUlimit(v);
        c.defaultUlimits[u.Name] = u;
      } catch (err) {
        throw flagError('default-ulimit', v, err);
      }
    }
  }
  set('dns', each('dns', validateIP));
  set('dnsSearch', each('dns-search', validateDNSSearch));
  set('dnsOptions', each('dns-opt', id));
  set('insecureRegistries', f.list('insecure-registry'));
  set('registryMirrors', each('registry-mirror', validateMirror));
  const runtimes = f.list('add-runtime');
  if (runtimes) {
    c.runtimes = {};
    for (const v of runtimes) {
      try {
        addRuntime(c.runtimes, v);
      } catch (err) {
        throw flagError('add-runtime', v, err);
      }
    }
  }
  set('defaultRuntime', str('default-runtime') ?? str('runtime'));
  set('tls', f.bool('tls'));
  set('tlsVerify', f.bool('tlsverify'));
  set('tlsCaCert', str('tlscacert'));
  set('tlsCert', str('tlscert'));
  set('tlsKey', str('tlskey'));
  return c;
}

/** daemon.json's keys as dockerd sees them for its checks: nested objects flattened one level. */
function flatten(json: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(json)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && !FLAT_OPTIONS.has(k)) {
      for (const [km, vm] of Object.entries(v)) out.set(km, vm);
    } else out.set(k, v);
  }
  return out;
}

/** Unknown keys first, then keys a flag also sets (in flag-name order, as pflag visits them). */
function findConflicts(keys: Map<string, unknown>, flags: GivenFlags, specs: readonly FlagSpec[]): void {
  const known = new Set(specs.filter((s) => s.key).flatMap((s) => [s.key!, s.name]));
  const unknown = [...keys.keys()].filter((k) => !known.has(k));
  if (unknown.length) throw new ConfigError(`the following directives don't match any configuration option: ${unknown.join(', ')}`);
  const conflicts = specs
    .filter((s) => s.key && flags.has(s.name) && keys.has(s.key))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((s) => `${s.key}: (from flag: ${flags.printed(s.name)}, from file: ${goFormat(keys.get(s.key!))})`);
  if (conflicts.length) throw new ConfigError(`the following directives are specified both as a flag and in the configuration file: ${conflicts.join(', ')}`);
}

/** Reads and decodes daemon.json; keys it sets, and their values. */
export function readConfigFile(path: string, flags: GivenFlags, specs: readonly FlagSpec[] = DAEMON_FLAGS): { values: Settable; keys: Set<string> } {
  const prefix = `unable to configure the Docker daemon with file ${path}`;
  try {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(goOpenError(path, err));
    }
    let json: unknown;
    try {
      // As dockerd 20.10: the file's first value, read by json.Decoder (what follows it is not read).
      json = goPlain(parseGoJson(Buffer.from(text)).value);
    } catch (err) {
      if (err instanceof GoSyntaxError) throw new ConfigError(err.message);
      throw err;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new ConfigError(`json: cannot unmarshal ${Array.isArray(json) ? 'array' : typeof json === 'string' ? 'string' : typeof json} into Go value of type map[string]interface {}`);
    }
    const obj = json as Record<string, unknown>;
    findConflicts(flatten(obj), flags, specs);
    const values: Settable = {};
    for (const [k, v] of Object.entries(obj)) {
      // null leaves a Go field as it was; a flag's name as a key is known but sets nothing (as dockerd).
      if (v !== null) FILE_KEYS[k]?.(v, values);
    }
    return { values, keys: new Set(Object.keys(obj)) };
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DecodeError) throw new ConfigError(`${prefix}: ${err.message}`);
    throw err;
  }
}

/** config.Validate: what the merged configuration must hold. */
function validate(c: DaemonConfig): void {
  for (const l of c.labels) validateLabel(l);
  for (const d of c.dns) validateIP(d);
  for (const d of c.dnsSearch) validateDNSSearch(d);
  if (c.runtimes[STOCK_RUNTIME]) throw new Error(`runtime name '${STOCK_RUNTIME}' is reserved`);
  if (c.defaultRuntime !== STOCK_RUNTIME && !c.runtimes[c.defaultRuntime]) throw new Error(`specified default runtime '${c.defaultRuntime}' does not exist`);
}

/** GetConflictFreeLabels: the same key twice with two values is refused; repeats are dropped. */
function conflictFreeLabels(labels: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const l of labels) {
    const eq = l.indexOf('=');
    const [k, v] = eq < 0 ? [l, ''] : [l.slice(0, eq), l.slice(eq + 1)];
    const prev = seen.get(k);
    if (prev !== undefined && prev !== v) throw new ConfigError(`conflict labels for ${k}=${v} and ${k}=${prev}`);
    seen.set(k, v);
  }
  return [...seen].map(([k, v]) => `${k}=${v}`);
}

/** Where dockerd looks for certificates not named: $DOCKER_CERT_PATH, else ~/.docker. */
function certDir(): string {
  return process.env.DOCKER_CERT_PATH || join(homedir(), '.docker');
}

const DEFAULTS: Omit<DaemonConfig, 'configFile' | 'fileKeys' | 'tlsCaCert' | 'tlsCert' | 'tlsKey'> = {
  hosts: [],
  dataRoot: '/var/lib/minke',
  execRoot: '/run/minke',
  bridge: 'minke0',
  bip: '10.88.0.1/16',
  defaultAddressPools: ['base=10.89.0.0/16,size=24'],
  labels: [],
  debug: false,
  logLevel: 'info',
  logDriver: 'json-file',
  logOpts: {},
  defaultUlimits: {},
  dns: [],
  dnsSearch: [],
  dnsOptions: [],
  insecureRegistries: [],
  registryMirrors: [],
  runtimes: {},
  defaultRuntime: STOCK_RUNTIME,
  tls: false,
  tlsVerify: false,
};

/**
 * The configuration from the flags and the config file (--config-file, else the default one if
 * it exists). Throws ConfigError with dockerd's message.
 */
export function loadDaemonConfig(flags: GivenFlags): DaemonConfig {
  const named = flags.str('config-file');
  const path = named ?? DEFAULT_CONFIG_FILE;
  const fromFile = named !== undefined || existsSync(path) ? readConfigFile(path, flags) : undefined;
  const flagValues = fromFlags(flags);
  const dir = certDir();
  // Certificates not named: the default files, the key pair only where they exist (as dockerd).
  const existing = (file: string): string => (existsSync(join(dir, file)) ? join(dir, file) : '');
  const c: DaemonConfig = {
    ...DEFAULTS,
    tlsCaCert: join(dir, 'ca.pem'),
    tlsCert: existing('cert.pem'),
    tlsKey: existing('key.pem'),
    ...fromFile?.values,
    ...flagValues,
    configFile: fromFile ? path : '',
    fileKeys: fromFile?.keys ?? new Set(),
  };
  // Set at all, even to false, --tlsverify asks for TLS.
  if (flags.has('tlsverify') || fromFile?.keys.has('tlsverify')) c.tls = true;
  try {
    validate(c);
  } catch (err) {
    const msg = (err as Error).message;
    throw new ConfigError(fromFile ? `unable to configure the Docker daemon with file ${path}: configuration validation from file failed: ${msg}` : msg);
  }
  c.labels = conflictFreeLabels(c.labels);
  for (const m of c.registryMirrors) {
    try {
      validateMirror(m);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  if (!(LOG_LEVELS as readonly string[]).includes(c.logLevel)) throw new ConfigError(`unable to parse logging level: ${c.logLevel}`);
  try {
    c.hosts = normalizeHosts(c.hosts, c.tls);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return c;
}
