// Image archives go both ways between minke and a real Docker engine (Debian's docker.io):
// `docker save` from one, `docker load` into the other, same image Ids and layers, and the
// loaded image runs. The real dockerd and its own containerd run in a private mount namespace
// with a tmpfs on /run, on sockets and roots under a temp dir: no system daemon, socket or
// directory is touched, and every mount they make vanishes with them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxTar, TestEngine, type RunResult } from './harness.js';
import { RealDocker, realDockerSkip as skip } from './real-docker.js';

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
