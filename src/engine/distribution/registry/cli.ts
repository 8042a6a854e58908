/**
 * `minke registry serve` and `minke registry gc`: the registry's own command line (it runs in its
 * own process like `minke daemon`, without the engine).
 */
import { parseArgs } from 'node:util';
import type { Log, LogLevel } from './context.js';
import { collectGarbage, parseDuration } from './gc.js';
import { startRegistry } from './server.js';

const USAGE = `Usage:  minke registry COMMAND

Serve and maintain an OCI registry (the distribution specification)

Commands:
  serve       Serve a registry
  gc          Remove blobs no manifest refers to

Run 'minke registry COMMAND --help' for more information on a command.
`;

const SERVE_USAGE = `Usage:  minke registry serve [OPTIONS]

Serve an OCI registry (the distribution specification v1.1) over HTTP or HTTPS

Options:
      --listen string           Address to listen on (default "0.0.0.0:5000")
      --root string             Root directory of the registry's content (default "/var/lib/minke/registry")
      --tls-cert string         TLS certificate (PEM): serve HTTPS
      --tls-key string          TLS key (PEM)
      --htpasswd string         htpasswd file of bcrypt entries: require Basic authentication
      --realm string            Realm of the Basic challenge (default "minke registry")
      --token-realm string      Require Bearer tokens, issued by this server at this URL (or path, e.g. /token) to the htpasswd users
      --token-service string    Service the tokens are for (default "minke-registry")
      --token-ttl int           Lifetime of a token in seconds (default 300)
      --read-only               Refuse every write (UNSUPPORTED)
      --max-uploads int         Uploads in progress at once; more are refused (TOOMANYREQUESTS) (default 10000)
      --proxy-remote string     Pull-through cache of the registry at this URL
      --proxy-username string   User on the remote registry
      --proxy-password string   Password on the remote registry
  -l, --log-level string        Logging level ("debug", "info", "warn", "error") (default "info")
`;

const GC_USAGE = `Usage:  minke registry gc [OPTIONS]

Remove blobs that no manifest refers to (a dry run unless --delete is given)

Options:
      --root string             Root directory of the registry's content (default "/var/lib/minke/registry")
      --delete                  Delete what is eligible (without it, only list it)
  -m, --delete-untagged         Also remove manifests that no tag reaches
      --grace string            Spare blobs written or mounted less than this long ago (default "1h")
`;

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

function logger(level: LogLevel): Log {
  return (lvl, msg) => {
    if (LEVELS.indexOf(lvl) < LEVELS.indexOf(level)) return;
    process.stderr.write(`time="${new Date().toISOString()}" level=${lvl === 'warn' ? 'warning' : lvl} msg=${JSON.stringify(msg)}\n`);
  };
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string', default: '0.0.0.0:5000' },
      root: { type: 'string', default: '/var/lib/minke/registry' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      htpasswd: { type: 'string' },
      realm: { type: 'string' },
      'token-realm': { type: 'string' },
      'token-service': { type: 'string' },
      'token-ttl': { type: 'string' },
      'read-only': { type: 'boolean', default: false },
      'max-uploads': { type: 'string' },
      'proxy-remote': { type: 'string' },
      'proxy-username': { type: 'string' },
      'proxy-password': { type: 'string' },
      'log-level': { type: 'string', short: 'l', default: 'info' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  const level = values['log-level'] as LogLevel;
  if (!LEVELS.includes(level)) throw new Error(`invalid log level ${JSON.stringify(level)}`);
  const log = logger(level);
  const ttl = values['token-ttl'] === undefined ? undefined : Number(values['token-ttl']);
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) throw new Error('--token-ttl must be a positive number of seconds');
  const maxUploads = values['max-uploads'] === undefined ? undefined : Number(values['max-uploads']);
  if (maxUploads !== undefined && !(Number.isInteger(maxUploads) && maxUploads > 0)) throw new Error('--max-uploads must be a positive number');
  const reg = await startRegistry({
    listen: values.listen,
    root: values.root,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    htpasswd: values.htpasswd,
    realm: values.realm,
    tokenRealm: values['token-realm'],
    tokenService: values['token-service'],
    tokenTtlSeconds: ttl,
    readOnly: values['read-only'],
    maxUploads,
    proxy: values['proxy-remote'] ? { remote: values['proxy-remote'], username: values['proxy-username'], password: values['proxy-password'] } : undefined,
    log,
  });
  log('info', `listening on ${reg.url}`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      log('info', `Processing signal '${sig}'`);
      void reg.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('terminated'));
    process.once('SIGINT', () => stop('interrupt'));
  });
  return 0;
}

async function gc(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      root: { type: 'string', default: '/var/lib/minke/registry' },
      delete: { type: 'boolean', default: false },
      'delete-untagged': { type: 'boolean', short: 'm', default: false },
      grace: { type: 'string', default: '1h' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(GC_USAGE);
    return 0;
  }
  await collectGarbage({
    root: values.root,
    dryRun: !values.delete,
    deleteUntagged: values['delete-untagged'],
    graceMs: parseDuration(values.grace),
    out: (line) => process.stdout.write(`${line}\n`),
  });
  return 0;
}

/** Runs `minke registry ...`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'serve') return await serve(rest);
    if (sub === 'gc' || sub === 'garbage-collect') return await gc(rest);
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      (sub === undefined ? process.stderr : process.stdout).write(USAGE);
      return 0;
    }
    process.stderr.write(`minke: unknown command: minke registry ${sub}\n\n${USAGE}`);
    return 1;
  } catch (err) {
    process.stderr.write(`minke registry ${sub}: ${(err as Error).message}\n`);
    return (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 125 : 1;
  }
}

export async function main(argv: string[]): Promise<void> {
  process.exit(await run(argv));
}
