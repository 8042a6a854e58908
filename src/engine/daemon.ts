import { sys } from '../core/native.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Duplex } from 'node:stream';
import { API_VERSION } from './api/router.js';
import { ENGINE_VERSION } from './version.js';
import { Engine } from './engine.js';

export interface DaemonOptions {
  host: string;
  dataRoot: string;
  execRoot: string;
  logLevel: string;
  runtime: string;
  /** The default bridge network's Linux bridge and its gateway address (CIDR). */
  bridge: string;
  bip: string;
  /** Pools subnets of new networks are taken from, `base=CIDR,size=N`. */
  defaultAddressPools: string[];
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
}

const USAGE = `Usage:  minke daemon [OPTIONS]

A container engine serving the Docker Engine API

Options:
  -b, --bridge string      Attach containers to a network bridge (default "minke0")
      --bip string         Specify default-bridge IP (default "10.88.0.1/16")
      --cpu-rt-period int  Limit the CPU real-time period in microseconds for the parent cgroup for all containers (not supported with cgroups v2)
      --cpu-rt-runtime int Limit the CPU real-time runtime in microseconds for the parent cgroup for all containers (not supported with cgroups v2)
      --data-root string   Root directory of persistent state (default "/var/lib/minke")
      --default-address-pool pool-options
                           Default address pools for node specific local networks (default base=10.89.0.0/16,size=24)
      --exec-root string   Root directory for execution state files (default "/run/minke")
  -H, --host string        Daemon socket to listen on (default "unix:///run/minke/minke.sock")
  -l, --log-level string   Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
  -p, --pidfile string     Path to use for daemon PID file
      --root string        Alias of --data-root
      --runtime string     Default OCI runtime (default "runc")
`;

export function parseDaemonArgs(argv: string[]): DaemonOptions & { pidfile?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', short: 'H' },
      'data-root': { type: 'string' },
      root: { type: 'string' },
      'exec-root': { type: 'string' },
      'log-level': { type: 'string', short: 'l' },
      runtime: { type: 'string' },
      'default-runtime': { type: 'string' },
      pidfile: { type: 'string', short: 'p' },
      bridge: { type: 'string', short: 'b' },
      bip: { type: 'string' },
      'default-address-pool': { type: 'string', multiple: true },
      'cpu-rt-period': { type: 'string' },
      'cpu-rt-runtime': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const level = values['log-level'] ?? 'info';
  if (!['debug', 'info', 'warn', 'error', 'fatal'].includes(level)) {
    throw new Error(`unable to parse logging level: ${level}`);
  }
  return {
    host: values.host ?? 'unix:///run/minke/minke.sock',
    dataRoot: values['data-root'] ?? values.root ?? '/var/lib/minke',
    execRoot: values['exec-root'] ?? '/run/minke',
    logLevel: level,
    runtime: values['default-runtime'] ?? values.runtime ?? 'runc',
    pidfile: values.pidfile,
    bridge: values.bridge ?? 'minke0',
    bip: values.bip ?? '10.88.0.1/16',
    defaultAddressPools: values['default-address-pool'] ?? ['base=10.89.0.0/16,size=24'],
    cpuRtPeriod: intFlag('cpu-rt-period', values['cpu-rt-period']),
    cpuRtRuntime: intFlag('cpu-rt-runtime', values['cpu-rt-runtime']),
  };
}

/** An integer flag as Go's flag package reads it. */
function intFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new Error(`invalid argument "${v}" for "--${name}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

function socketPath(host: string): string {
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  if (host.startsWith('/')) return host;
  throw new Error(`unsupported host ${host}: only unix:// sockets are served`);
}

/** True when something already answers on the socket (another engine): never steal it. */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
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
  let opts;
  try {
    opts = parseDaemonArgs(argv);
  } catch (err) {
    process.stderr.write(`minke daemon: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(125);
  }
  const path = socketPath(opts.host);
  if (await socketInUse(path)) {
    process.stderr.write(`minke daemon: ${path} is in use by another engine\n`);
    process.exit(1);
  }
  const log = (level: string, msg: string): void => {
    const order = ['debug', 'info', 'warn', 'error', 'fatal'];
    if (order.indexOf(level) >= order.indexOf(opts.logLevel)) {
      process.stderr.write(`time="${new Date().toISOString()}" level=${level} msg="${msg.replace(/"/g, '\\"')}"\n`);
    }
  };
  const engine = await Engine.open({ ...opts, log });
  const router = engine.router;

  const server = createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 });
  const common = (res: ServerResponse): void => {
    res.setHeader('Api-Version', API_VERSION);
    res.setHeader('Docker-Experimental', 'false');
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', `Docker/${ENGINE_VERSION} (linux)`);
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    collectWhenIdle();
    common(res);
    if (opts.logLevel === 'debug') log('debug', `Calling ${req.method} ${req.url}`);
    void router.handle(req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (opts.logLevel === 'debug') log('debug', `Calling ${req.method} ${req.url} (upgrade)`);
    socket.on('error', () => {});
    void router.handle(req, undefined, { socket, head });
  });
  server.on('clientError', (_err, socket) => {
    if (!socket.destroyed) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });

  await mkdir(dirname(path), { recursive: true });
  await rm(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  if (opts.pidfile) await writeFile(opts.pidfile, `${process.pid}\n`);
  log('info', `API listen on ${path}`);

  let closing = false;
  const shutdown = (sig: string): void => {
    if (closing) return;
    closing = true;
    log('info', `Processing signal '${sig}'`);
    // Containers keep running: conmon holds them; the next engine adopts them.
    server.close();
    server.closeAllConnections();
    void engine.close().finally(async () => {
      await rm(path, { force: true });
      if (opts.pidfile) await rm(opts.pidfile, { force: true });
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('terminated'));
  process.on('SIGINT', () => shutdown('interrupt'));
}
