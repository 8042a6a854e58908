// A real Docker engine (Debian's docker.io) for interop tests: dockerd and its own containerd in a
// private mount namespace with a tmpfs on /run, on sockets and roots under a temp dir, so no
// system daemon, socket or directory is touched and every mount they make vanishes with them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult, TestEngine } from './harness.js';

const DOCKERD = '/usr/sbin/dockerd';
const CONTAINERD = '/usr/bin/containerd';
const missing = [DOCKERD, CONTAINERD, '/usr/bin/unshare'].filter((p) => !existsSync(p));
/** Why tests of a real Docker engine cannot run here (false when they can). */
export const realDockerSkip: string | false = missing.length > 0 ? `real Docker engine not installed (${missing.join(', ')}): apt-get install docker.io` : false;

/** A real dockerd (with its own containerd) for one test file, isolated under a temp dir. */
export class RealDocker {
  readonly dir = mkdtempSync('/tmp/minke-interop-');
  readonly socket = join(this.dir, 'docker.sock');
  readonly namespace = 'minke-interop';
  readonly cgroupParent = `/${this.dir.split('/').pop()!}`;
  private child: ChildProcess | undefined;
  logs = '';

  constructor(private readonly e: TestEngine) {}

  get host(): string {
    return `unix://${this.socket}`;
  }

  async start(): Promise<void> {
    const d = this.dir;
    writeFileSync(join(d, 'containerd.toml'), [
      'version = 2',
      `root = "${d}/containerd-root"`,
      `state = "${d}/containerd-state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]', `  address = "${d}/containerd.sock"`,
      '[ttrpc]', `  address = "${d}/containerd.sock.ttrpc"`,
      '[debug]', '  address = ""',
      '[metrics]', '  address = ""',
      '[plugins."io.containerd.internal.v1.opt"]', `  path = "${d}/containerd-opt"`,
      '',
    ].join('\n'));
    // deprecated-key-path keeps dockerd 20.10 from writing /etc/docker/key.json.
    writeFileSync(join(d, 'daemon.json'), JSON.stringify({ 'deprecated-key-path': `${d}/key.json` }));
    const dockerdArgs = [
      '-H', this.host, '--data-root', `${d}/docker-data`, '--exec-root', `${d}/docker-exec`, '--pidfile', `${d}/docker.pid`,
      '--config-file', `${d}/daemon.json`, '--containerd', `${d}/containerd.sock`,
      '--containerd-namespace', this.namespace, '--containerd-plugins-namespace', `${this.namespace}-plugins`,
      '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false',
      '--cgroup-parent', this.cgroupParent, '--storage-driver', 'overlay2',
    ];
    // One shell in a new mount namespace: a tmpfs on /run (containerd's shim sockets, dockerd's
    // /run/docker), containerd in the background, then exec dockerd (so our child is dockerd).
    const script = [
      'set -e',
      'mount -n -t tmpfs -o mode=755 tmpfs /run', // -n: no utab, so not even /run/mount on the host
      `${CONTAINERD} -c "$D/containerd.toml" >"$D/containerd.log" 2>&1 &`,
      'echo $! >"$D/containerd.pid"',
      'i=0; while [ ! -S "$D/containerd.sock" ]; do i=$((i+1)); [ $i -lt 200 ] || { echo "containerd did not start" >&2; exit 1; }; sleep 0.05; done',
      `exec ${DOCKERD} "$@"`,
    ].join('\n');
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...dockerdArgs], {
      env: { ...process.env, D: d },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (b: Buffer) => { this.logs += b.toString(); });
    child.stderr!.on('data', (b: Buffer) => { this.logs += b.toString(); });
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) throw new Error(`dockerd exited ${child.exitCode}: ${this.tail()}`);
      if (existsSync(this.socket) && (await this.docker(['version', '--format', '{{.Server.Version}}'], 10_000)).code === 0) return;
      await sleep(50);
    }
    throw new Error(`dockerd did not start in 30s: ${this.tail()}`);
  }

  private tail(): string {
    let c = '';
    try {
      c = readFileSync(join(this.dir, 'containerd.log'), 'utf8');
    } catch {
      // none
    }
    return `${this.logs.slice(-3000)}\ncontainerd: ${c.slice(-2000)}`;
  }

  docker(args: string[], timeout = 60_000): Promise<RunResult> {
    return this.e.run('docker', args, { env: { DOCKER_HOST: this.host }, timeout });
  }

  async ok(args: string[], timeout = 60_000): Promise<string> {
    const r = await this.docker(args, timeout);
    if (r.code !== 0) throw new Error(`real docker ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  /** Stops dockerd, containerd and whatever they left (shims, runc state, mounts, cgroups), then removes the dir. */
  async destroy(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const ids = await this.docker(['ps', '-aq'], 15_000).catch(() => ({ stdout: '' }));
      for (const id of ids.stdout.split('\n').filter(Boolean)) await this.docker(['rm', '-f', id], 15_000).catch(() => {});
      await stopProcess(child.pid!, () => child.exitCode !== null || child.signalCode !== null, 20_000);
    }
    const containerd = Number(readText(join(this.dir, 'containerd.pid')));
    if (containerd > 0 && cmdline(containerd).includes(this.dir)) await stopProcess(containerd, () => !isRunning(containerd), 10_000);
    // Shims daemonise away from containerd; their command line names our containerd socket.
    for (const pid of pgrep(`containerd-shim.*${this.dir}`)) killPid(pid, 'SIGKILL');
    const runcRoot = join(this.dir, 'docker-exec', 'runtime-runc', this.namespace);
    if (existsSync(runcRoot)) {
      const list = spawnSync('runc', ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8' });
      for (const id of list.stdout.split('\n').filter(Boolean)) spawnSync('runc', ['--root', runcRoot, 'delete', '-f', id]);
    }
    for (let i = 0; i < 3; i++) {
      const mounts = mountsUnder(this.dir);
      if (mounts.length === 0) break;
      for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
    }
    removeCgroup(this.cgroupParent);
    await rm(this.dir, { recursive: true, force: true });
  }

  /** What is still there: processes naming the dir, mounts under it, the cgroup parent. */
  leftovers(): { processes: string[]; mounts: string[]; cgroups: string[] } {
    const processes = spawnSync('pgrep', ['-a', '-f', this.dir], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    const cgroups = cgroupDirs(this.cgroupParent).filter((p) => existsSync(p));
    return { processes, mounts: mountsUnder(this.dir), cgroups };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function cmdline(pid: number): string {
  return readText(`/proc/${pid}/cmdline`).replace(/\0/g, ' ');
}

function isRunning(pid: number): boolean {
  // A zombie (exited, not yet reaped by its parent) counts as gone.
  const stat = readText(`/proc/${pid}/stat`);
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}

function killPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL when it has not exited within ms. */
async function stopProcess(pid: number, exited: () => boolean, ms: number): Promise<void> {
  killPid(pid, 'SIGTERM');
  const end = Date.now() + ms;
  while (!exited() && Date.now() < end) await sleep(50);
  if (exited()) return;
  killPid(pid, 'SIGKILL');
  const hard = Date.now() + 5000;
  while (!exited() && Date.now() < hard) await sleep(50);
}

function pgrep(pattern: string): number[] {
  return spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number).filter((p) => p !== process.pid);
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** The cgroup directory `path` in every mounted hierarchy (v1 controllers or the v2 root). */
function cgroupDirs(path: string): string[] {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return [join('/sys/fs/cgroup', path)];
  return readdirSync('/sys/fs/cgroup').map((c) => join('/sys/fs/cgroup', c, path)).filter((p) => !p.includes('/unified/') || existsSync(p));
}

/** Removes a cgroup and its (empty) children, deepest first. */
function removeCgroup(path: string): void {
  const rmTree = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const ent of readdirSync(dir, { withFileTypes: true })) if (ent.isDirectory()) rmTree(join(dir, ent.name));
    try {
      rmdirSync(dir);
    } catch {
      // busy or gone
    }
  };
  for (const d of cgroupDirs(path)) rmTree(d);
}
