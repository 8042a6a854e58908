/** `minke server`: the cluster server's command line (its own process, like `minke daemon`). */
import { parseArgs } from 'node:util';
import { startApiServer } from './server.js';

const USAGE = `Usage:  minke server [OPTIONS]

Run the Kubernetes API server (a one-node cluster's control plane)

Options:
      --bind-address string         Address to serve HTTPS on (default "0.0.0.0")
      --secure-port int             Port to serve HTTPS on (default 6443)
      --data-dir string             Directory for the server's state and certificates (default "/var/lib/minke/server")
      --write-kubeconfig string     Write the admin kubeconfig here, mode 0600 (default "/etc/minke/minke.yaml")
      --datastore-endpoint string   etcd URL(s) (http://host:2379, comma-separated) or sqlite://PATH (default: SQLite under the data dir)
      --token-auth-file string      Static bearer tokens: CSV lines token,user,uid,"group1,group2"
      --service-account-issuer string
                                    Issuer (iss) of service-account tokens, also their audience (default "https://kubernetes.default.svc.cluster.local")
  -h, --help                        Show this help
`;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'bind-address': { type: 'string', default: '0.0.0.0' },
        'secure-port': { type: 'string', default: '6443' },
        'data-dir': { type: 'string', default: '/var/lib/minke/server' },
        'write-kubeconfig': { type: 'string', default: '/etc/minke/minke.yaml' },
        'datastore-endpoint': { type: 'string' },
        'token-auth-file': { type: 'string' },
        'service-account-issuer': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 125;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = Number(values['secure-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid --secure-port ${JSON.stringify(values['secure-port'])}\n`);
    return 125;
  }
  const log = (m: string): void => { process.stderr.write(`${new Date().toISOString()} ${m}\n`); };
  const started = performance.now();
  const server = await startApiServer({
    bindAddress: values['bind-address'], securePort: port, dataDir: values['data-dir'],
    writeKubeconfig: values['write-kubeconfig'], datastoreEndpoint: values['datastore-endpoint'],
    tokenAuthFile: values['token-auth-file'], serviceAccountIssuer: values['service-account-issuer'], log,
  });
  log(`serving the Kubernetes API on ${server.url} (ready in ${Math.round(performance.now() - started)} ms); kubeconfig ${values['write-kubeconfig']}`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

/** bin/minke.js's entry: run, then exit with its code. */
export async function main(argv: string[]): Promise<void> {
  process.exit(await run(argv));
}
