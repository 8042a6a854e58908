import { sys } from '../core/native.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Duplex } from 'node:stream';
import { API_VERSION } from './api/router.js';
import { ENGINE_VERSION } from './version.js';
import { Engine } from './engine.js';
import { parseFlags, type GivenFlags } from './config/flags.js';
import { DEFAULT_CONFIG_FILE, LOG_LEVELS, loadDaemonConfig, type DaemonConfig } from './config/daemon-config.js';
import { reloadedSettings, registryInfo } from './config/settings.js';
import { checkSocketsFree, loadTls, openListeners, type Listener } from './listeners.js';

const USAGE = `Usage:  minke daemon [OPTIONS]

A container engine serving the Docker Engine API

Options:
      --add-runtime runtime                   Register an additional OCI compatible runtime (name=path)
  -b, --bridge string                         Attach containers to a network bridge (default "minke0")
      --bip string                            Specify default-bridge IP (default "10.88.0.1/16")
      --cpu-rt-period int                     Limit the CPU real-time period in microseconds for the parent cgroup for all containers (not supported with cgroups v2)
      --cpu-rt-runtime int                    Limit the CPU real-time runtime in microseconds for the parent cgroup for all containers (not supported with cgroups v2)
      --config-file string                    Daemon configuration file (default "${DEFAULT_CONFIG_FILE}")
      --data-root string                      Root directory of persistent state (default "/var/lib/minke")
  -D, --debug                                 Enable debug mode
      --default-address-pool pool-options     Default address pools for node specific local networks (default base=10.89.0.0/16,size=24)
      --default-runtime string                Default OCI runtime for containers (default "runc")
      --default-ulimit ulimit                 Default ulimits for containers (name=soft[:hard])
      --dns list                              DNS server to use
      --dns-opt list                          DNS options to use
      --dns-search list                       DNS search domains to use
      --exec-root string                      Root directory for execution state files (default "/run/minke")
  -H, --host list                             Daemon socket(s) to connect to (unix:///path, tcp://host:port; default "unix:///run/minke/minke.sock")
      --insecure-registry list                Enable insecure registry communication
      --label list                            Set key=value labels to the daemon
      --log-driver string                     Default driver for container logs (default "json-file")
  -l, --log-level string                      Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
      --log-opt map                           Default log driver options for containers (default map[])
  -p, --pidfile string                        Path to use for daemon PID file
      --registry string                       Also serve an OCI registry on this address (host:port), its content under the data root
      --registry-mirror list                  Preferred registry mirror
      --root string                           Alias of --data-root
      --runtime string                        Alias of --default-runtime
      --tls                                   Use TLS; implied by --tlsverify
      --tlscacert string                      Trust certs signed only by this CA (default "~/.docker/ca.pem")
      --tlscert string                        Path to TLS certificate file (default "~/.docker/cert.pem")
      --tlskey string                         Path to TLS key file (default "~/.docker/key.pem")
      --tlsverify                             Use TLS and verify the remote
      --validate                              Validate daemon configuration and exit
`;

type LogFn = (level: string, msg: string, fields?: Record<string, string>) => void;

/** logrus's text format, as dockerd writes its log; `level()` is read on each line (a reload may change it). */
function logger(level: () => string): LogFn {
  const quote = (v: string): string => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return (lvl, msg, fields = {}) => {
    if (LOG_LEVELS.indexOf(lvl as (typeof LOG_LEVELS)[number]) < LOG_LEVELS.indexOf(level() as (typeof LOG_LEVELS)[number])) return;
    const extra = Object.entries(fields).map(([k, v]) => ` ${k}=${quote(v)}`).join('');
    process.stderr.write(`time="${new Date().toISOString()}" level=${lvl === 'warn' ? 'warning' : lvl} msg=${quote(msg)}${extra}\n`);
  };
}

/** --tls=false or --tlsverify=false, as a flag or in the file: the operator chose plain TCP. */
function explicitlyInsecure(flags: GivenFlags, c: DaemonConfig): boolean {
  return flags.bool('tls') === false || flags.bool('tlsverify') === false || (c.fileKeys.has('tls') && !c.tls) || (c.fileKeys.has('tlsverify') && !c.tlsVerify);
}

/** The reloaded configuration as dockerd logs it (its daemon.json keys). */
function configJson(c: DaemonConfig, s: ReturnType<typeof reloadedSettings>): string {
  return JSON.stringify({
    hosts: c.hosts, 'data-root': c.dataRoot, 'exec-root': c.execRoot, ...(c.pidfile ? { pidfile: c.pidfile } : {}), bridge: c.bridge, bip: c.bip,
    labels: s.labels, debug: s.debug, 'log-level': c.logLevel, 'log-driver': c.logDriver, 'log-opts': c.logOpts, 'default-ulimits': c.defaultUlimits,
    dns: c.dns, 'dns-search': c.dnsSearch, 'dns-opts': c.dnsOptions, 'insecure-registries': s.insecureRegistries, 'registry-mirrors': s.registryMirrors,
    runtimes: { runc: { path: 'runc' }, ...s.runtimes }, 'default-runtime': s.defaultRuntime,
  });
}

export async function main(argv: string[]): Promise<void> {
  // An engine is long-lived and mostly idle: a small young generation keeps its memory down
  // (the default 16 MB semi-spaces are sized for throughput).
  setFlagsFromString('--max-semi-space-size=1');
  // ...and a full collection once it goes quiet gives back what a burst of requests grew.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let idleTimer: NodeJS.Timeout | undefined;
  const collectWhenIdle = (): void => {
    if (idleTimer) idleTimer.refresh();
    else {
      idleTimer = setTimeout(() => {
        idleTimer = undefined;
        gc();
        sys().mallocTrim();
      }, 2000).unref();
    }
  };
  let flags: GivenFlags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`minke daemon: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(125);
  }
  if (flags.bool('help')) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const fail = (msg: string, code = 1): never => {
    process.stderr.write(`minke daemon: ${msg}\n`);
    process.exit(code);
  };
  let config: DaemonConfig;
  try {
    config = loadDaemonConfig(flags);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (flags.bool('validate')) {
    process.stderr.write('configuration OK\n');
    process.exit(0);
  }
  let level = config.debug ? 'debug' : config.logLevel;
  const log = logger(() => level);
  let tls;
  try {
    tls = loadTls(config);
  } catch (err) {
    return fail(`failed to create API server: ${(err as Error).message}`);
  }
  try {
    await checkSocketsFree(config.hosts);
  } catch (err) {
    return fail((err as Error).message);
  }
  // Warned at start as dockerd warns (the values are used once a registry client needs them).
  registryInfo(config.insecureRegistries, config.registryMirrors, (m) => log('warn', m));
  let engine: Engine;
  try {
    engine = await Engine.open({
      dataRoot: config.dataRoot, execRoot: config.execRoot, runtime: config.defaultRuntime, runtimes: config.runtimes,
      bridge: config.bridge, bip: config.bip, defaultAddressPools: config.defaultAddressPools,
      labels: config.labels, debug: config.debug, insecureRegistries: config.insecureRegistries, registryMirrors: config.registryMirrors,
      logDriver: config.logDriver, logOpts: config.logOpts, defaultUlimits: config.defaultUlimits,
      cpuRtPeriod: config.cpuRtPeriod, cpuRtRuntime: config.cpuRtRuntime,
      dns: config.dns, dnsSearch: config.dnsSearch, dnsOptions: config.dnsOptions,
      log: (lvl, msg) => log(lvl, msg),
    });
  } catch (err) {
    // As dockerd: a configuration the engine refuses (default log options...) stops it, in a line.
    process.stderr.write(`failed to start daemon: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const router = engine.router;

  const common = (res: ServerResponse): void => {
    res.setHeader('Api-Version', API_VERSION);
    res.setHeader('Docker-Experimental', 'false');
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', `Docker/${ENGINE_VERSION} (linux)`);
  };
  const serve = (server: Server): void => {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      collectWhenIdle();
      common(res);
      if (level === 'debug') log('debug', `Calling ${req.method} ${req.url}`);
      void router.handle(req, res);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (level === 'debug') log('debug', `Calling ${req.method} ${req.url} (upgrade)`);
      socket.on('error', () => {});
      void router.handle(req, undefined, { socket, head });
    });
    server.on('clientError', (_err, socket) => {
      if (!socket.destroyed) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    // A client without a certificate the CA signed never gets past the handshake.
    server.on('tlsClientError', (err: Error) => log('debug', `http: TLS handshake error: ${err.message}`));
  };

  let listeners: Listener[];
  try {
    listeners = await openListeners(config.hosts, tls, serve, (msg, host) => log('warn', msg, { host }), explicitlyInsecure(flags, config));
  } catch (err) {
    await engine.close();
    return fail((err as Error).message);
  }
  let registry: { url: string; close(): Promise<void> } | undefined;
  const registryAddr = flags.str('registry');
  if (registryAddr) {
    try {
      const { startRegistry } = await import('./distribution/registry/server.js');
      registry = await startRegistry({ listen: registryAddr, root: join(config.dataRoot, 'registry'), log: (lvl, msg) => log(lvl, `registry: ${msg}`) });
    } catch (err) {
      await Promise.all(listeners.map((l) => l.close()));
      await engine.close();
      return fail(`failed to start the registry: ${(err as Error).message}`);
    }
  }
  if (config.pidfile) await writeFile(config.pidfile, `${process.pid}\n`);
  for (const l of listeners) log('info', `API listen on ${l.address.replace(/^(unix|tcp):\/\//, '')}`);
  if (registry) log('info', `Registry listen on ${registry.url}`);

  // SIGHUP: read the configuration again and apply what dockerd reloads (config/settings.ts).
  const configFile = flags.str('config-file') ?? DEFAULT_CONFIG_FILE;
  process.on('SIGHUP', () => {
    log('info', `Got signal to reload configuration, reloading from: ${configFile}`);
    let next: DaemonConfig;
    try {
      next = loadDaemonConfig(flags);
    } catch (err) {
      log('error', (err as Error).message);
      return;
    }
    const settings = reloadedSettings(engine.current, next);
    registryInfo(settings.insecureRegistries, settings.registryMirrors, (m) => log('warn', m));
    engine.reload(settings);
    // As dockerd's debug.Enable/Disable: debug on is the debug level, debug turned off is info.
    if (next.fileKeys.has('debug')) level = settings.debug ? 'debug' : level === 'debug' ? 'info' : level;
    // The file's log-level, unless debug is on (debug is the debug level).
    if (next.fileKeys.has('log-level') && !settings.debug) level = next.logLevel;
    log('info', `Reloaded configuration: ${configJson(next, settings)}`);
  });

  let closing = false;
  const shutdown = (sig: string): void => {
    if (closing) return;
    closing = true;
    log('info', `Processing signal '${sig}'`);
    // Containers keep running: conmon holds them; the next engine adopts them.
    const closed = Promise.all([...listeners.map((l) => l.close()), registry?.close()]);
    void engine.close().finally(async () => {
      await closed;
      if (config.pidfile) await rm(config.pidfile, { force: true });
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('terminated'));
  process.on('SIGINT', () => shutdown('interrupt'));
}
