// The peers the benchmarks compare with, started on their own sockets and roots: Debian's
// dockerd (installed when missing) and podman.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function pidsOf(pattern: string): number[] {
  const r = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

/** Installs a Debian package when `bin` is missing; false when that failed. */
export function aptEnsure(bin: string, pkg: string): boolean {
  if (['/usr/bin', '/usr/sbin'].some((d) => existsSync(join(d, bin)))) return true;
  console.log(`installing ${pkg} (Debian) for the comparison...`);
  const r = spawnSync('bash', ['-c', `DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${pkg} >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${pkg} >/dev/null)`], { stdio: 'inherit' });
  return r.status === 0;
}

/**
 * A dockerd of the benchmark's own (socket, data and exec roots in dir, its own containerd
 * namespace), with no bridge and no iptables rules: containers run with --network none.
 */
export async function dockerDaemon(dir: string): Promise<{ host: string; stop: () => Promise<void>; pids: () => number[] } | undefined> {
  if (!aptEnsure('dockerd', 'docker.io')) return undefined;
  const sock = join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  const child = spawn('dockerd', ['-H', host, '--data-root', join(dir, 'docker-data'), '--exec-root', join(dir, 'docker-exec'),
    '--pidfile', join(dir, 'docker.pid'), '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--containerd-namespace', 'minkebench',
    '--containerd-plugins-namespace', 'minkebench-plugins'], { stdio: ['ignore', 'ignore', 'ignore'], detached: false });
  for (let i = 0; i < 200; i++) {
    if (spawnSync('docker', ['-H', host, 'version'], { stdio: 'ignore' }).status === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async (): Promise<void> => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    spawnSync('bash', ['-c', `grep ' ${dir}' /proc/mounts | awk '{print $2}' | sort -r | xargs -r umount -l`]);
  };
  return { host, stop, pids: () => [child.pid!, ...pidsOf(`containerd.*${dir}`)] };
}
