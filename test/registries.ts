// Registries for tests, on loopback only: Debian's distribution 2.8 (`docker-registry`), started
// with a config of the test's own (filesystem storage in a temp dir, a port of its own, htpasswd
// auth with bcrypt entries when asked), and a free-port helper.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { SLOWDOWN } from './harness.js';

export const DOCKER_REGISTRY = '/usr/bin/docker-registry';
/** Why distribution tests cannot run (false when they can). */
export const distributionSkip: string | false = existsSync(DOCKER_REGISTRY) ? false : 'docker-registry (Debian package docker-registry, distribution 2.8) is not installed';

/** A TCP port free on loopback now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

export interface Distribution {
  /** host:port as images name it (`localhost:PORT`: insecure by default, as for docker). */
  host: string;
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  root: string;
  user?: { username: string; password: string };
  logs(): string;
  stop(): Promise<void>;
}

/** Starts a distribution registry; with `auth`, htpasswd auth with that one user. */
export async function startDistribution(opts: { auth?: { username: string; password: string } } = {}): Promise<Distribution> {
  const root = mkdtempSync('/tmp/minke-registry-');
  let logs = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const lines = [
      'version: 0.1',
      'log:', '  level: warn', '  accesslog:', '    disabled: true',
      'storage:', '  filesystem:', `    rootdirectory: ${root}/data`, '  delete:', '    enabled: true',
      'http:', `  addr: 127.0.0.1:${port}`,
    ];
    if (opts.auth) {
      writeFileSync(join(root, 'htpasswd'), `${opts.auth.username}:${bcrypt.hashSync(opts.auth.password, 5)}\n`);
      lines.push('auth:', '  htpasswd:', '    realm: minke-test', `    path: ${root}/htpasswd`);
    }
    writeFileSync(join(root, 'config.yml'), lines.join('\n') + '\n');
    const c = spawn(DOCKER_REGISTRY, ['serve', join(root, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (d: Buffer) => { logs += d.toString(); });
    c.stderr!.on('data', (d: Buffer) => { logs += d.toString(); });
    const end = Date.now() + 10_000 * SLOWDOWN;
    while (Date.now() < end && c.exitCode === null && !(await connects(port))) await new Promise((r) => setTimeout(r, 30));
    if (c.exitCode === null && await connects(port)) {
      const stop = async (): Promise<void> => {
        if (c.exitCode === null) {
          const exited = new Promise((r) => c.once('exit', r));
          c.kill('SIGTERM');
          await exited;
        }
        await rm(root, { recursive: true, force: true });
      };
      return { host: `localhost:${port}`, port, url: `http://127.0.0.1:${port}`, root, ...(opts.auth ? { user: opts.auth } : {}), logs: () => logs, stop };
    }
    c.kill('SIGKILL'); // the port was taken meanwhile: another one
  }
  await rm(root, { recursive: true, force: true });
  throw new Error(`docker-registry did not start: ${logs}`);
}
