// Image archives go both ways between minke and a real Docker engine (Debian's docker.io):
// `docker save` from one, `docker load` into the other, same image Ids and layers, and the
// loaded image runs. The real dockerd and its own containerd run in a private mount namespace
// with a tmpfs on /run, on sockets and roots under a temp dir: no system daemon, socket or
// directory is touched, and every mount they make vanishes with them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { busyboxTar, TestEngine, type RunResult } from './harness.js';

const DOCKERD = '/usr/sbin/dockerd';
const CONTAINERD = '/usr/bin/containerd';
const missing = [DOCKERD, CONTAINERD, '/usr/bin/unshare'].filter((p) => !existsSync(p));
const skip = missing.length > 0 ? `real Docker engine not installed (${missing.join(', ')}): apt-get install docker.io` : false;

/** A real dockerd (with its own containerd) for one test file, isolated under a temp dir. */
class RealDocker {
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

describe('docker save/load between minke and a real Docker engine', { concurrency: false, timeout: 300_000, skip }, () => {
  const e = new TestEngine();
  const real = new RealDocker(e);
  /** Real docker's images: the imported base and the committed two-layer image. */
  const dockerSide = { base: '', two: '', layers: [] as string[] };
  const minkeSide = { two: '', layers: [] as string[] };

  before(async () => {
    await e.start();
    await real.start();
    await e.importBusybox();
    await real.ok(['import', '--change', 'CMD ["sh"]', busyboxTar(), 'interop/base:docker']);
    await real.ok(['run', '--name', 'writer', '--network', 'none', 'interop/base:docker', 'sh', '-c', 'echo from-docker > /greeting']);
    await real.ok(['commit', 'writer', 'interop/two:docker']);
    await real.ok(['rm', 'writer']);
    const [base, two] = await Promise.all(['interop/base:docker', 'interop/two:docker'].map((r) => idAndLayers(real.ok.bind(real), r)));
    dockerSide.base = base!.id;
    dockerSide.two = two!.id;
    dockerSide.layers = two!.layers;
    assert.equal(dockerSide.layers.length, 2, 'docker commit made a second layer');
    assert.equal(dockerSide.layers[0], base!.layers[0]);
  });

  after(async () => {
    try {
      await real.destroy();
    } finally {
      await e.destroy();
    }
  });

  it('loads a docker-saved two-layer image into minke: same Id and layers, and it runs', async () => {
    const tar = join(real.dir, 'from-docker.tar');
    await real.ok(['save', '-o', tar, 'interop/two:docker']);
    const out = await e.ok(['load', '-i', tar]);
    assert.match(out, /Loaded image: interop\/two:docker/);
    const got = await idAndLayers(e.ok.bind(e), 'interop/two:docker');
    assert.equal(got.id, dockerSide.two, 'minke keeps the config digest as the image Id');
    assert.deepEqual(got.layers, dockerSide.layers, 'same RootFS diff ids');
    assert.equal(
      (await e.ok(['image', 'inspect', '-f', '{{json .Config.Cmd}}', 'interop/two:docker'])).trim(),
      (await real.ok(['image', 'inspect', '-f', '{{json .Config.Cmd}}', 'interop/two:docker'])).trim(),
    );
    assert.equal(await e.ok(['run', '--rm', 'interop/two:docker', 'cat', '/greeting']), 'from-docker\n');
    assert.equal(await e.ok(['run', '--rm', 'interop/two:docker', 'sh', '-c', 'echo $(ls /bin | wc -l)']) !== '0\n', true, 'the base layer is there too');
  });

  it('loads a minke-saved image (busybox plus a committed layer) into docker: same Id and layers, and it runs', async () => {
    await e.ok(['run', '--name', 'mwriter', 'busybox', 'sh', '-c', 'echo from-minke > /greeting']);
    await e.ok(['commit', 'mwriter', 'interop/two:minke']);
    await e.ok(['rm', 'mwriter']);
    const mine = await idAndLayers(e.ok.bind(e), 'interop/two:minke');
    assert.equal(mine.layers.length, 2);
    minkeSide.two = mine.id;
    minkeSide.layers = mine.layers;
    const tar = join(real.dir, 'from-minke.tar');
    await e.ok(['save', '-o', tar, 'interop/two:minke']);
    const out = await real.ok(['load', '-i', tar]);
    assert.match(out, /Loaded image: interop\/two:minke/);
    const got = await idAndLayers(real.ok.bind(real), 'interop/two:minke');
    assert.equal(got.id, mine.id, 'docker computes the same Id from minke\'s config');
    assert.deepEqual(got.layers, mine.layers, 'docker computes the same diff ids from minke\'s layers');
    assert.equal(await real.ok(['run', '--rm', '--network', 'none', 'interop/two:minke', 'cat', '/greeting']), 'from-minke\n');
  });

  it('saves several tags in one archive, docker to minke', async () => {
    await real.ok(['tag', 'interop/two:docker', 'interop/two:again']);
    const tar = join(real.dir, 'docker-tags.tar');
    await real.ok(['save', '-o', tar, 'interop/two:docker', 'interop/two:again', 'interop/base:docker']);
    await e.ok(['rmi', 'interop/two:docker']);
    const out = await e.ok(['load', '-i', tar]);
    for (const t of ['interop/two:docker', 'interop/two:again', 'interop/base:docker']) assert.match(out, new RegExp(`Loaded image: ${t}`));
    assert.equal((await idAndLayers(e.ok.bind(e), 'interop/two:docker')).id, dockerSide.two);
    assert.equal((await idAndLayers(e.ok.bind(e), 'interop/two:again')).id, dockerSide.two);
    const base = await idAndLayers(e.ok.bind(e), 'interop/base:docker');
    assert.equal(base.id, dockerSide.base);
    assert.deepEqual(base.layers, dockerSide.layers.slice(0, 1));
    assert.equal(await e.ok(['run', '--rm', 'interop/two:again', 'cat', '/greeting']), 'from-docker\n');
  });

  it('saves several tags in one archive, minke to docker', async () => {
    await e.ok(['tag', 'interop/two:minke', 'interop/two:minke-again']);
    const busybox = await idAndLayers(e.ok.bind(e), 'busybox:latest');
    const tar = join(real.dir, 'minke-tags.tar');
    await e.ok(['save', '-o', tar, 'interop/two:minke', 'interop/two:minke-again', 'busybox:latest']);
    await real.ok(['rmi', 'interop/two:minke']);
    const out = await real.ok(['load', '-i', tar]);
    for (const t of ['interop/two:minke', 'interop/two:minke-again', 'busybox:latest']) assert.match(out, new RegExp(`Loaded image: ${t}`));
    assert.equal((await idAndLayers(real.ok.bind(real), 'interop/two:minke')).id, minkeSide.two);
    assert.equal((await idAndLayers(real.ok.bind(real), 'interop/two:minke-again')).id, minkeSide.two);
    assert.deepEqual(await idAndLayers(real.ok.bind(real), 'busybox:latest'), busybox);
    assert.equal(await real.ok(['run', '--rm', '--network', 'none', 'interop/two:minke-again', 'cat', '/greeting']), 'from-minke\n');
  });

  it('pipes docker save | docker load through stdout and stdin, both ways', async () => {
    // docker → minke
    await e.ok(['rmi', 'interop/two:docker', 'interop/two:again']);
    const toMinke = await pipe(real.host, ['save', 'interop/two:docker'], e.host, ['load'], e.env);
    assert.equal(toMinke.save.code, 0, toMinke.save.stderr);
    assert.equal(toMinke.load.code, 0, toMinke.load.stderr);
    assert.match(toMinke.load.stdout, /Loaded image: interop\/two:docker/);
    assert.deepEqual(await idAndLayers(e.ok.bind(e), 'interop/two:docker'), { id: dockerSide.two, layers: dockerSide.layers });
    assert.equal(await e.ok(['run', '--rm', 'interop/two:docker', 'cat', '/greeting']), 'from-docker\n');
    // minke → docker
    await real.ok(['rmi', 'interop/two:minke', 'interop/two:minke-again']);
    const toDocker = await pipe(e.host, ['save', 'interop/two:minke'], real.host, ['load'], e.env);
    assert.equal(toDocker.save.code, 0, toDocker.save.stderr);
    assert.equal(toDocker.load.code, 0, toDocker.load.stderr);
    assert.match(toDocker.load.stdout, /Loaded image: interop\/two:minke/);
    assert.deepEqual(await idAndLayers(real.ok.bind(real), 'interop/two:minke'), { id: minkeSide.two, layers: minkeSide.layers });
    assert.equal(await real.ok(['run', '--rm', '--network', 'none', 'interop/two:minke', 'cat', '/greeting']), 'from-minke\n');
  });

  it('leaves no containers, mounts or processes on either side', async () => {
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '');
    assert.deepEqual(e.leftovers(), { mounts: [], conmon: [], runc: [], snapshots: [] });
    assert.equal((await real.ok(['ps', '-aq'])).trim(), '');
    assert.deepEqual(real.leftovers().mounts, [], 'dockerd\'s mounts stay in its own mount namespace');
  });
});

// The cleanup itself is checked once the suite's after() ran.
describe('real Docker engine cleanup', { skip }, () => {
  it('a started and destroyed RealDocker leaves no process, mount, cgroup or directory', async () => {
    const e = new TestEngine();
    const real = new RealDocker(e);
    const hostPaths = ['/run/docker', '/run/containerd', '/etc/docker', '/var/lib/docker', '/var/lib/containerd', '/opt/containerd'];
    const before = hostPaths.filter((p) => existsSync(p));
    try {
      await real.start();
      await real.ok(['import', busyboxTar(), 'probe:1']);
      await real.ok(['run', '-d', '--name', 'sleeper', '--network', 'none', 'probe:1', 'sleep', '1000']);
    } finally {
      await real.destroy();
      await e.destroy();
    }
    assert.deepEqual(real.leftovers(), { processes: [], mounts: [], cgroups: [] });
    assert.equal(existsSync(real.dir), false);
    assert.deepEqual(hostPaths.filter((p) => existsSync(p)), before, 'no system directory of docker or containerd created');
  });
});

async function idAndLayers(ok: (args: string[]) => Promise<string>, ref: string): Promise<{ id: string; layers: string[] }> {
  const out = await ok(['image', 'inspect', '-f', '{{.Id}} {{json .RootFS.Layers}}', ref]);
  const i = out.indexOf(' ');
  return { id: out.slice(0, i), layers: JSON.parse(out.slice(i + 1)) as string[] };
}

/** `DOCKER_HOST=a docker <saveArgs> | DOCKER_HOST=b docker <loadArgs>`, bounded in time. */
function pipe(fromHost: string, saveArgs: string[], toHost: string, loadArgs: string[], env: NodeJS.ProcessEnv, ms = 60_000): Promise<{ save: RunResult; load: RunResult }> {
  return new Promise((resolve, reject) => {
    const save = spawn('docker', saveArgs, { env: { ...env, DOCKER_HOST: fromHost }, stdio: ['ignore', 'pipe', 'pipe'] });
    const load = spawn('docker', loadArgs, { env: { ...env, DOCKER_HOST: toHost }, stdio: ['pipe', 'pipe', 'pipe'] });
    save.stdout.pipe(load.stdin);
    load.stdin.on('error', () => {});
    const res = { save: { code: -1, stdout: '', stderr: '' }, load: { code: -1, stdout: '', stderr: '' } };
    save.stderr.on('data', (b: Buffer) => { res.save.stderr += b.toString(); });
    load.stdout.on('data', (b: Buffer) => { res.load.stdout += b.toString(); });
    load.stderr.on('data', (b: Buffer) => { res.load.stderr += b.toString(); });
    let closed = 0;
    const timer = setTimeout(() => {
      save.kill('SIGKILL');
      load.kill('SIGKILL');
      reject(new Error(`docker save | docker load timed out\n${JSON.stringify(res)}`));
    }, ms);
    const done = (which: 'save' | 'load') => (code: number | null): void => {
      res[which].code = code ?? -1;
      if (++closed === 2) {
        clearTimeout(timer);
        resolve(res);
      }
    };
    save.on('error', reject);
    load.on('error', reject);
    save.on('close', done('save'));
    load.on('close', done('load'));
  });
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
