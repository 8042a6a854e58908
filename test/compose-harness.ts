/**
 * Running compose against a test engine: `minke compose`, `docker compose` through minke's
 * plugin (installed in the test's own DOCKER_CONFIG, so the host's plugins do not matter), and
 * Debian's docker-compose 1.29; what a project leaves on the engine.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../src/core/native.js';
import { minkeCmd, type RunResult, type TestEngine } from './harness.js';

export const examplesDir = join(projectRoot, 'examples');
export const COMPOSE_V1 = '/usr/bin/docker-compose';
export const hasComposeV1 = existsSync(COMPOSE_V1);

export type Via = 'minke' | 'docker' | 'v1';

/** Installs minke's compose plugin into the engine's DOCKER_CONFIG (docker looks there first). */
export function installPlugin(e: TestEngine): void {
  const dir = join(e.env.DOCKER_CONFIG!, 'cli-plugins');
  mkdirSync(dir, { recursive: true });
  const plugin = join(dir, 'docker-compose');
  writeFileSync(plugin, `#!/bin/sh\nexec '${minkeCmd}' "$@"\n`);
  chmodSync(plugin, 0o755);
}

/** Runs compose one of three ways with the same arguments (global flags first). */
export function compose(e: TestEngine, via: Via, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeout?: number } = {}): Promise<RunResult> {
  const o = { timeout: 180_000, ...opts };
  if (via === 'minke') return e.run(minkeCmd, ['compose', ...args], o);
  if (via === 'docker') return e.run('docker', ['compose', ...args], o);
  return e.run(COMPOSE_V1, args, o);
}

/** compose, failing with its output when it does not exit 0. */
export async function composeOk(e: TestEngine, via: Via, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  const r = await compose(e, via, args, opts);
  if (r.code !== 0) throw new Error(`${via} compose ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

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

/** What a project left on the engine: its containers, networks and volumes (by compose's label). */
export async function leftovers(e: TestEngine, project: string): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const label = `label=com.docker.compose.project=${project}`;
  const lines = (s: string): string[] => s.split('\n').filter(Boolean);
  const [containers, networks, volumes] = await Promise.all([
    e.ok(['ps', '-a', '--filter', label, '--format', '{{.Names}}']),
    e.ok(['network', 'ls', '--filter', label, '--format', '{{.Name}}']),
    e.ok(['volume', 'ls', '--filter', label, '--format', '{{.Name}}']),
  ]);
  const byName = lines(await e.ok(['network', 'ls', '--format', '{{.Name}}'])).filter((n) => n.startsWith(`${project}_`));
  return { containers: lines(containers), networks: [...new Set([...lines(networks), ...byName])], volumes: lines(volumes) };
}
