/**
 * The flags `run` and `create` share, and how docker's CLI turns them into the Engine API's
 * container create body (Config + HostConfig + NetworkingConfig).
 */
import type { FlagSpec, Parsed } from './flags.js';
import { parseGoDuration, parseRamBytes } from './format.js';
import { envValue, readKVFile } from './kvfile.js';
import type { NetworkAttachment, PortMapping } from './network-opts.js';
import { checkMac, endpointsConfig, exposedPorts, parseNetworkFlag, parsePortSpec, standardPortNotation, validateDNSSearch, validateExtraHost, validateIPAddress, validateLabel, validateLink } from './network-opts.js';

const path = process.getBuiltinModule('node:path');

const s = (name: string, help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, kind: 'string', help, ...extra });
const l = (name: string, help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, kind: 'list', type: 'list', help, ...extra });
const b = (name: string, help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, kind: 'bool', help, ...extra });

export const containerFlags: FlagSpec[] = [
  l('add-host', 'Add a custom host-to-IP mapping (host:ip)', { validate: validateExtraHost }),
  l('annotation', 'Add an annotation to the container (passed through to the OCI runtime)', { type: 'map', defaultText: 'map[]' }),
  l('attach', 'Attach to STDIN, STDOUT or STDERR', { short: 'a', validate: validateAttach }),
  s('blkio-weight', 'Block IO (relative weight), between 10 and 1000, or 0 to disable', { type: 'uint16' }),
  l('cap-add', 'Add Linux capabilities'),
  l('cap-drop', 'Drop Linux capabilities'),
  s('cgroup-parent', 'Optional parent cgroup for the container'),
  s('cgroupns', 'Cgroup namespace to use (host|private)'),
  s('cidfile', 'Write the container ID to the file'),
  { name: 'cpu-period', kind: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', kind: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpu-shares', short: 'c', kind: 'int', help: 'CPU shares (relative weight)' },
  s('cpus', 'Number of CPUs', { type: 'decimal' }),
  s('cpuset-cpus', 'CPUs in which to allow execution (0-3, 0,1)'),
  s('cpuset-mems', 'MEMs in which to allow execution (0-3, 0,1)'),
  l('device', 'Add a host device to the container'),
  l('dns', 'Set custom DNS servers', { validate: validateIPAddress }),
  l('dns-opt', 'Set DNS options', { hidden: true, aliasOf: 'dns-option' }),
  l('dns-option', 'Set DNS options'),
  l('dns-search', 'Set custom DNS search domains', { validate: validateDNSSearch }),
  s('domainname', 'Container NIS domain name'),
  s('entrypoint', 'Overwrite the default ENTRYPOINT of the image'),
  l('env', 'Set environment variables', { short: 'e' }),
  l('env-file', 'Read in a file of environment variables'),
  l('expose', 'Expose a port or a range of ports'),
  s('gpus', 'GPU devices to add to the container (\'all\' to pass all GPUs)', { type: 'gpu-request' }),
  l('group-add', 'Add additional groups to join'),
  s('health-cmd', 'Command to run to check health'),
  s('health-interval', 'Time between running the check (ms|s|m|h) (default 0s)', { type: 'duration' }),
  { name: 'health-retries', kind: 'int', help: 'Consecutive failures needed to report unhealthy' },
  s('health-start-interval', 'Time between running the check during the start period (ms|s|m|h) (default 0s)', { type: 'duration' }),
  s('health-start-period', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)', { type: 'duration' }),
  s('health-timeout', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)', { type: 'duration' }),
  s('hostname', 'Container host name', { short: 'h' }),
  b('init', 'Run an init inside the container that forwards signals and reaps processes'),
  b('interactive', 'Keep STDIN open even if not attached', { short: 'i' }),
  s('ip', 'IPv4 address (e.g., 172.30.100.104)'),
  s('ip6', 'IPv6 address (e.g., 2001:db8::33)'),
  s('ipc', 'IPC mode to use'),
  s('isolation', 'Container isolation technology'),
  l('label', 'Set meta data on a container', { short: 'l', validate: validateLabel }),
  l('label-file', 'Read in a line delimited file of labels'),
  l('link', 'Add link to another container', { validate: validateLink }),
  l('link-local-ip', 'Container IPv4/IPv6 link-local addresses'),
  s('log-driver', 'Logging driver for the container'),
  l('log-opt', 'Log driver options'),
  s('mac-address', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)'),
  s('memory', 'Memory limit', { short: 'm', type: 'bytes' }),
  s('memory-reservation', 'Memory soft limit', { type: 'bytes' }),
  s('memory-swap', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", { type: 'bytes' }),
  { name: 'memory-swappiness', kind: 'int', help: 'Tune container memory swappiness (0 to 100)', default: -1 },
  l('mount', 'Attach a filesystem mount to the container', { type: 'mount' }),
  s('name', 'Assign a name to the container'),
  l('net', 'Connect a container to a network', { type: 'network', hidden: true, aliasOf: 'network' }),
  l('net-alias', 'Add network-scoped alias for the container', { hidden: true, aliasOf: 'network-alias' }),
  l('network', 'Connect a container to a network', { type: 'network', validate: (v) => (parseNetworkFlag(v), v) }),
  l('network-alias', 'Add network-scoped alias for the container'),
  b('no-healthcheck', 'Disable any container-specified HEALTHCHECK'),
  b('oom-kill-disable', 'Disable OOM Killer'),
  { name: 'oom-score-adj', kind: 'int', help: "Tune host's OOM preferences (-1000 to 1000)" },
  s('pid', 'PID namespace to use'),
  { name: 'pids-limit', kind: 'int', help: 'Tune container pids limit (set -1 for unlimited)' },
  s('platform', 'Set platform if server is multi-platform capable'),
  b('privileged', 'Give extended privileges to this container'),
  l('publish', "Publish a container's port(s) to the host", { short: 'p' }),
  b('publish-all', 'Publish all exposed ports to random ports', { short: 'P' }),
  s('pull', 'Pull image before creating ("always", "missing", "never")', { default: 'missing' }),
  b('quiet', 'Suppress the pull output', { short: 'q' }),
  b('read-only', "Mount the container's root filesystem as read only"),
  s('restart', 'Restart policy to apply when a container exits', { default: 'no' }),
  b('rm', 'Automatically remove the container and its associated anonymous volumes when it exits'),
  s('runtime', 'Runtime to use for this container'),
  l('security-opt', 'Security Options'),
  s('shm-size', 'Size of /dev/shm', { type: 'bytes' }),
  s('stop-signal', 'Signal to stop the container'),
  { name: 'stop-timeout', kind: 'int', help: 'Timeout (in seconds) to stop a container' },
  l('storage-opt', 'Storage driver options for the container'),
  l('sysctl', 'Sysctl options', { type: 'map', defaultText: 'map[]', validate: validateSysctl }),
  l('tmpfs', 'Mount a tmpfs directory'),
  b('tty', 'Allocate a pseudo-TTY', { short: 't' }),
  l('ulimit', 'Ulimit options', { type: 'ulimit', defaultText: '[]' }),
  s('user', 'Username or UID (format: <name|uid>[:<group|gid>])', { short: 'u' }),
  s('userns', 'User namespace to use'),
  s('uts', 'UTS namespace to use'),
  l('volume', 'Bind mount a volume', { short: 'v' }),
  s('volume-driver', 'Optional volume driver for the container'),
  l('volumes-from', 'Mount volumes from the specified container(s)'),
  s('workdir', 'Working directory inside the container', { short: 'w' }),
];

export interface CreateRequest {
  name?: string;
  platform?: string;
  image: string;
  body: Record<string, unknown>;
}

/** A value docker's flag parser rejects ("invalid argument ... flag: ..."): shown with the usage, exit 125. */
export class FlagValueError extends Error {
  override name = 'FlagValueError';
}

/** An option docker's parse() rejects: "minke: <msg>" and the help hint, exit 125. */
export class OptionError extends Error {
  override name = 'OptionError';
}

function bad(msg: string): never {
  throw new OptionError(msg);
}

function badFlag(msg: string): never {
  throw new FlagValueError(msg);
}

export function flagBytes(p: Parsed, name: string, label: string): number | undefined {
  if (!p.has(name)) return undefined;
  const v = p.str(name);
  if (v === '-1') return -1;
  try {
    return parseRamBytes(v);
  } catch (e) {
    return badFlag(`invalid argument "${v}" for "${label}" flag: ${(e as Error).message}`);
  }
}

function nanos(p: Parsed, name: string): number | undefined {
  if (!p.has(name)) return undefined;
  try {
    return Math.round(parseGoDuration(p.str(name)) * 1e6);
  } catch (e) {
    return badFlag(`invalid argument "${p.str(name)}" for "--${name}" flag: ${(e as Error).message}`);
  }
}

/** --env-file / --label-file, a missing file being an option error. */
function readKV(file: string, env: NodeJS.ProcessEnv, fromEnv: boolean): string[] {
  try {
    return readKVFile(file, env, fromEnv);
  } catch (e) {
    return bad((e as Error).message);
  }
}

/** --mount type=bind,source=/a,target=/b,readonly */
export function parseMount(value: string): Record<string, unknown> {
  const m: Record<string, unknown> = { Type: 'volume' };
  const bind: Record<string, unknown> = {};
  const tmpfs: Record<string, unknown> = {};
  const vol: Record<string, unknown> = {};
  const driver = (): Record<string, unknown> => (vol.DriverConfig ??= {}) as Record<string, unknown>;
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const val = eq < 0 ? undefined : field.slice(eq + 1);
    const truthy = val === undefined || ['1', 'true'].includes(val.toLowerCase());
    switch (key) {
      case 'type':
        m.Type = val;
        break;
      case 'source':
      case 'src':
        m.Source = val;
        break;
      case 'target':
      case 'destination':
      case 'dst':
        m.Target = val;
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = truthy;
        break;
      case 'consistency':
        m.Consistency = val;
        break;
      case 'bind-propagation':
        bind.Propagation = val;
        break;
      case 'bind-recursive':
        break;
      case 'volume-nocopy':
        vol.NoCopy = truthy;
        break;
      case 'volume-driver':
        driver().Name = val;
        break;
      case 'volume-label':
      case 'volume-opt': {
        // opts.setValueOnMap: KEY=VALUE, a bare KEY maps to "", an empty KEY is ignored
        const kv = val ?? '';
        const i = kv.indexOf('=');
        const k = i < 0 ? kv : kv.slice(0, i);
        if (k) {
          const map = key === 'volume-label' ? ((vol.Labels ??= {}) as Record<string, string>) : ((driver().Options ??= {}) as Record<string, string>);
          map[k] = i < 0 ? '' : kv.slice(i + 1);
        }
        break;
      }
      case 'volume-subpath':
        vol.Subpath = val;
        break;
      case 'tmpfs-size':
        tmpfs.SizeBytes = parseRamBytes(val ?? '');
        break;
      case 'tmpfs-mode':
        tmpfs.Mode = parseInt(val ?? '', 8);
        break;
      default:
        badFlag(`invalid argument "${value}" for "--mount" flag: unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Target) badFlag(`invalid argument "${value}" for "--mount" flag: target is required`);
  if (Object.keys(bind).length) m.BindOptions = bind;
  if (Object.keys(tmpfs).length) m.TmpfsOptions = tmpfs;
  if (Object.keys(vol).length) m.VolumeOptions = vol;
  if (m.Type === 'bind' && typeof m.Source === 'string') m.Source = path.resolve(m.Source);
  return m;
}

/** opts.ParseRestartPolicy: only the form is checked here; the engine judges the policy. */
export function parseRestart(v: string): { Name: string; MaximumRetryCount: number } {
  if (v === '') return { Name: 'no', MaximumRetryCount: 0 };
  const colon = v.indexOf(':');
  const name = colon < 0 ? v : v.slice(0, colon);
  const count = colon < 0 ? '' : v.slice(colon + 1);
  if (colon >= 0 && name === '') bad('invalid restart policy format: no policy provided before colon');
  if (count !== '' && !/^[+-]?\d+$/.test(count)) bad('invalid restart policy format: maximum retry count must be an integer');
  return { Name: name, MaximumRetryCount: count === '' ? 0 : Number(count) };
}

const sysctlNames = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];

/** opts.ValidateSysctl: namespaced sysctls only, as KEY=VALUE. */
function validateSysctl(kv: string): string {
  const parts = kv.split('=');
  if (parts.length >= 2 && (sysctlNames.includes(parts[0]) || parts[0].startsWith('net.') || parts[0].startsWith('fs.mqueue.'))) return kv;
  throw new Error(`sysctl '${kv}' is not allowed`);
}

/** validateAttach: a stream name, in lower case. */
function validateAttach(v: string): string {
  const s = v.toLowerCase();
  if (!['stdin', 'stdout', 'stderr'].includes(s)) throw new Error('valid streams are STDIN, STDOUT and STDERR');
  return s;
}

/** opts.NanoCPUs.Set: a big.Rat ("1.5", "3/2"), a whole number of nano-CPUs. */
function parseNanoCpus(v: string): number {
  const fail = (msg: string): never => badFlag(`invalid argument "${v}" for "--cpus" flag: ${msg}`);
  let value: number;
  const frac = /^([+-]?\d+)\/(\d+)$/.exec(v);
  if (frac) value = Number(frac[1]) / Number(frac[2]);
  else if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(v)) value = Number(v);
  else return fail(`failed to parse ${v} as a rational number`);
  if (!Number.isFinite(value)) return fail(`failed to parse ${v} as a rational number`);
  const nano = value * 1e9;
  if (Math.abs(nano - Math.round(nano)) > 1e-6) fail('value is too precise');
  return Math.round(nano);
}

const soft = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/;

export function parseUlimit(v: string): { Name: string; Soft: number; Hard: number } {
  const m = soft.exec(v);
  if (!m) return badFlag(`invalid argument "${v}" for "--ulimit" flag: invalid ulimit argument: ${v}`);
  return { Name: m[1], Soft: Number(m[2]), Hard: Number(m[3] ?? m[2]) };
}

/** Host side of -v: relative paths ("./data") become absolute as docker's CLI does. */
function parseVolume(v: string, binds: string[], volumes: Record<string, object>): void {
  if (v === '') bad('invalid empty volume spec');
  const parts = v.split(':');
  if (parts.length > 3) bad(`invalid spec: ${v}: too many colons`);
  if (parts.length === 1) {
    volumes[parts[0]] = {};
    return;
  }
  const src = parts[0];
  if (src.startsWith('.') || src.startsWith('~')) parts[0] = path.resolve(src.replace(/^~/, process.env.HOME ?? '~'));
  binds.push(parts.join(':'));
}

/** Runs one of docker's parse() steps: its error is an option error. */
function option<T>(step: () => T): T {
  try {
    return step();
  } catch (e) {
    return bad((e as Error).message);
  }
}

export function buildCreate(p: Parsed, env: NodeJS.ProcessEnv): CreateRequest {
  const [image, ...cmd] = p.args;
  // attach, dns, add-host... were checked (and normalised) by their flags' validators as they were set
  const attach = p.list('attach');
  const networks: NetworkAttachment[] = p.list('network').map(parseNetworkFlag);
  const dns = p.list('dns');
  const dnsSearch = p.list('dns-search');
  const extraHosts = p.list('add-host');
  const links = p.list('link');
  option(() => checkMac(p.str('mac-address')));
  const nanoCpus = p.has('cpus') ? parseNanoCpus(p.str('cpus')) : undefined;
  const detached = p.bool('detach');
  const interactive = p.bool('interactive');
  let attachStdin = attach.includes('stdin');
  let attachStdout = attach.includes('stdout');
  let attachStderr = attach.includes('stderr');
  if (!detached && attach.length === 0) {
    attachStdout = attachStderr = true;
    attachStdin = interactive;
  }
  const restart = parseRestart(p.str('restart'));
  if (p.bool('rm') && !['no', ''].includes(restart.Name)) bad('conflicting options: cannot specify both --restart and --rm');

  const envs = [...p.list('env-file').flatMap((f) => readKV(f, env, true)), ...p.list('env').map((e) => envValue(e, env))];
  const labels: Record<string, string> = {};
  for (const line of [...p.list('label-file').flatMap((f) => readKV(f, env, false)), ...p.list('label')]) {
    const eq = line.indexOf('=');
    labels[eq < 0 ? line : line.slice(0, eq)] = eq < 0 ? '' : line.slice(eq + 1);
  }

  const exposed: Record<string, object> = {};
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  const publish = option(() => p.list('publish').map(standardPortNotation));
  for (const spec of publish) {
    const mappings: PortMapping[] = option(() => parsePortSpec(spec));
    for (const m of mappings) {
      exposed[m.port] = {};
      (portBindings[m.port] ??= []).push(m.binding);
    }
  }
  for (const e of p.list('expose')) for (const port of option(() => exposedPorts(e))) exposed[port] = {};

  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const v of p.list('volume')) parseVolume(v, binds, volumes);
  const tmpfs: Record<string, string> = {};
  for (const t of p.list('tmpfs')) {
    const colon = t.indexOf(':');
    tmpfs[colon < 0 ? t : t.slice(0, colon)] = colon < 0 ? '' : t.slice(colon + 1);
  }

  let healthcheck: Record<string, unknown> | undefined;
  if (p.bool('no-healthcheck')) healthcheck = { Test: ['NONE'] };
  else if (['health-cmd', 'health-interval', 'health-timeout', 'health-retries', 'health-start-period', 'health-start-interval'].some((f) => p.has(f))) {
    healthcheck = {
      Test: p.has('health-cmd') ? ['CMD-SHELL', p.str('health-cmd')] : undefined,
      Interval: nanos(p, 'health-interval'),
      Timeout: nanos(p, 'health-timeout'),
      StartPeriod: nanos(p, 'health-start-period'),
      StartInterval: nanos(p, 'health-start-interval'),
      Retries: p.has('health-retries') ? p.num('health-retries') : undefined,
    };
  }

  let entrypoint: string[] | undefined;
  if (p.has('entrypoint')) entrypoint = [p.str('entrypoint')];


  const sysctls: Record<string, string> = {};
  for (const kv of p.list('sysctl')) {
    const eq = kv.indexOf('=');
    sysctls[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const logConfig: Record<string, string> = {};
  for (const kv of p.list('log-opt')) {
    const eq = kv.indexOf('=');
    logConfig[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const annotations: Record<string, string> = {};
  for (const kv of p.list('annotation')) {
    const eq = kv.indexOf('=');
    annotations[kv.slice(0, eq)] = kv.slice(eq + 1);
  }

  const memory = flagBytes(p, 'memory', '-m, --memory');
  const memorySwap = flagBytes(p, 'memory-swap', '--memory-swap');

  const hostConfig: Record<string, unknown> = {
    Binds: binds.length ? binds : undefined,
    ContainerIDFile: p.str('cidfile') || undefined,
    LogConfig: p.has('log-driver') || p.list('log-opt').length ? { Type: p.str('log-driver'), Config: logConfig } : undefined,
    NetworkMode: networks[0]?.target ?? 'default',
    PortBindings: Object.keys(portBindings).length ? portBindings : undefined,
    RestartPolicy: restart,
    AutoRemove: p.bool('rm'),
    VolumeDriver: p.str('volume-driver') || undefined,
    VolumesFrom: p.list('volumes-from').length ? p.list('volumes-from') : undefined,
    Annotations: Object.keys(annotations).length ? annotations : undefined,
    CapAdd: p.list('cap-add').length ? p.list('cap-add') : undefined,
    CapDrop: p.list('cap-drop').length ? p.list('cap-drop') : undefined,
    CgroupnsMode: p.str('cgroupns') || undefined,
    Dns: dns,
    DnsOptions: p.list('dns-option'),
    DnsSearch: dnsSearch,
    ExtraHosts: extraHosts.length ? extraHosts : undefined,
    GroupAdd: p.list('group-add').length ? p.list('group-add') : undefined,
    IpcMode: p.str('ipc') || undefined,
    Links: links.length ? links : undefined,
    OomScoreAdj: p.has('oom-score-adj') ? p.num('oom-score-adj') : undefined,
    PidMode: p.str('pid') || undefined,
    Privileged: p.bool('privileged'),
    PublishAllPorts: p.bool('publish-all'),
    ReadonlyRootfs: p.bool('read-only'),
    SecurityOpt: p.list('security-opt').length ? p.list('security-opt') : undefined,
    StorageOpt: undefined,
    Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
    UTSMode: p.str('uts') || undefined,
    UsernsMode: p.str('userns') || undefined,
    ShmSize: flagBytes(p, 'shm-size', '--shm-size'),
    Sysctls: Object.keys(sysctls).length ? sysctls : undefined,
    Runtime: p.str('runtime') || undefined,
    Isolation: p.str('isolation') || undefined,
    CpuShares: p.has('cpu-shares') ? p.num('cpu-shares') : undefined,
    Memory: memory,
    NanoCpus: nanoCpus,
    CgroupParent: p.str('cgroup-parent') || undefined,
    BlkioWeight: p.has('blkio-weight') ? Number(p.str('blkio-weight')) : undefined,
    CpuPeriod: p.has('cpu-period') ? p.num('cpu-period') : undefined,
    CpuQuota: p.has('cpu-quota') ? p.num('cpu-quota') : undefined,
    CpusetCpus: p.str('cpuset-cpus') || undefined,
    CpusetMems: p.str('cpuset-mems') || undefined,
    Devices: p.list('device').map((d) => {
      const [host, ctr = host, perms = 'rwm'] = d.split(':');
      return { PathOnHost: host, PathInContainer: ctr, CgroupPermissions: perms };
    }),
    MemoryReservation: flagBytes(p, 'memory-reservation', '--memory-reservation'),
    MemorySwap: memorySwap,
    MemorySwappiness: p.has('memory-swappiness') ? p.num('memory-swappiness') : undefined,
    OomKillDisable: p.has('oom-kill-disable') ? p.bool('oom-kill-disable') : undefined,
    PidsLimit: p.has('pids-limit') ? p.num('pids-limit') : undefined,
    Ulimits: p.list('ulimit').length ? p.list('ulimit').map(parseUlimit) : undefined,
    Mounts: p.list('mount').length ? p.list('mount').map(parseMount) : undefined,
    Init: p.has('init') ? p.bool('init') : undefined,
  };

  const config: Record<string, unknown> = {
    Hostname: p.str('hostname'),
    Domainname: p.str('domainname'),
    User: p.str('user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    Tty: p.bool('tty'),
    OpenStdin: interactive,
    StdinOnce: interactive && attachStdin,
    Env: envs,
    Cmd: cmd.length ? cmd : null,
    Healthcheck: healthcheck,
    Image: image,
    Volumes: Object.keys(volumes).length ? volumes : undefined,
    WorkingDir: p.str('workdir'),
    Entrypoint: entrypoint,
    Labels: labels,
    StopSignal: p.str('stop-signal') || undefined,
    StopTimeout: p.has('stop-timeout') ? p.num('stop-timeout') : undefined,
    HostConfig: hostConfig,
    NetworkingConfig: {
      EndpointsConfig: option(() =>
        endpointsConfig(networks, {
          aliases: p.list('network-alias'),
          links,
          ipv4: p.str('ip'),
          ipv6: p.str('ip6'),
          macAddress: p.str('mac-address'),
          linkLocalIPs: p.list('link-local-ip'),
        }),
      ),
    },
  };
  return { name: p.str('name') || undefined, platform: p.str('platform') || undefined, image, body: config };
}
