// Images travel between minke and the ecosystem's other registry clients through Debian's
// distribution 2.8 on loopback: skopeo copies what minke pushed, minke pulls what skopeo pushed
// (an archive from minke's own `docker save`), and a real Docker engine (Debian's docker.io, on
// its own socket and roots) pulls what minke pushed and pushes what minke pulls — the same image
// IDs on both sides, and the images run.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TestEngine, type RunResult } from './harness.js';
import { RealDocker, realDockerSkip } from './real-docker.js';
import { distributionSkip, startDistribution, type Distribution } from './registries.js';

const skopeoSkip = existsSync('/usr/bin/skopeo') ? false : 'skopeo is not installed (Debian package skopeo)';

function skopeo(args: string[]): RunResult {
  const r = spawnSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const idOf = async (ok: (args: string[]) => Promise<string>, ref: string): Promise<string> => (await ok(['image', 'inspect', '-f', '{{.Id}}', ref])).trim();

describe('skopeo and minke through distribution', { skip: distributionSkip || skopeoSkip, concurrency: false, timeout: 600_000 }, () => {
  const e = new TestEngine();
  const fresh = new TestEngine();
  let reg: Distribution;
  const tmp = mkdtempSync('/tmp/minke-skopeo-');

  before(async () => {
    reg = await startDistribution();
    await Promise.all([e.start(), fresh.start()]);
    await e.importBusybox('busybox:latest');
  });
  after(async () => {
    await e.destroy();
    await fresh.destroy();
    await reg?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it('skopeo copies what minke pushed, byte for byte', async () => {
    const name = `${reg.host}/minke/bb:1`;
    await e.ok(['tag', 'busybox', name]);
    const digest = /1: digest: (sha256:[0-9a-f]{64})/.exec(await e.ok(['push', name]))![1]!;
    const copy = skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${name}`, `docker://${reg.host}/skopeo/copied:1`]);
    assert.equal(copy.code, 0, copy.stderr);
    const dir = join(tmp, 'dir');
    const toDir = skopeo(['copy', '--src-tls-verify=false', `docker://${reg.host}/skopeo/copied:1`, `dir:${dir}`]);
    assert.equal(toDir.code, 0, toDir.stderr);
    const manifest = readFileSync(join(dir, 'manifest.json'));
    assert.equal(`sha256:${(await import('node:crypto')).createHash('sha256').update(manifest).digest('hex')}`, digest, 'the manifest minke pushed, unchanged');
    const config = (JSON.parse(manifest.toString()) as { config: { digest: string } }).config.digest;
    assert.equal(config, await idOf((a) => e.ok(a), 'busybox'));
  });

  it('minke pulls what skopeo pushed from an archive minke saved, with the same image ID', async () => {
    const tar = join(tmp, 'bb.tar');
    await e.ok(['save', '-o', tar, 'busybox']);
    const name = `${reg.host}/skopeo/archive:1`;
    const push = skopeo(['copy', '--dest-tls-verify=false', `docker-archive:${tar}`, `docker://${name}`]);
    assert.equal(push.code, 0, push.stderr);
    const out = await fresh.ok(['pull', name]);
    assert.match(out, /Pull complete/);
    assert.equal(await idOf((a) => fresh.ok(a), name), await idOf((a) => e.ok(a), 'busybox'));
    assert.equal((await fresh.ok(['run', '--rm', '--network', 'none', name, 'echo', 'from-skopeo'])).trim(), 'from-skopeo');
  });
});

describe('a real Docker engine and minke through distribution', { skip: distributionSkip || realDockerSkip, concurrency: false, timeout: 600_000 }, () => {
  const e = new TestEngine();
  const real = new RealDocker(e);
  let reg: Distribution;
  let started: string | false = false;

  before(async () => {
    reg = await startDistribution();
    await e.start();
    try {
      await real.start();
    } catch (err) {
      started = `the real Docker engine did not start here: ${(err as Error).message.split('\n')[0]}`;
    }
    await e.importBusybox('busybox:latest');
  });
  after(async () => {
    await real.destroy();
    await e.destroy();
    await reg?.stop();
  });

  it('Docker pulls and runs what minke pushed, with the same image ID', async (t) => {
    if (started) return t.skip(started);
    await e.ok(['run', '--name', 'writer', '--network', 'none', 'busybox', 'sh', '-c', 'echo from-minke > /greeting']);
    const name = `${reg.host}/interop/minke:1`;
    await e.ok(['commit', 'writer', name]);
    await e.ok(['rm', 'writer']);
    const digest = /1: digest: (sha256:[0-9a-f]{64})/.exec(await e.ok(['push', name]))![1]!;
    const pulled = await real.ok(['pull', name]);
    assert.match(pulled, new RegExp(`Digest: ${digest}`));
    assert.equal(await idOf((a) => real.ok(a), name), await idOf((a) => e.ok(a), name));
    assert.equal((await real.ok(['run', '--rm', '--network', 'none', name, 'cat', '/greeting'])).trim(), 'from-minke');
  });

  it('minke pulls and runs what Docker pushed, with the same image ID', async (t) => {
    if (started) return t.skip(started);
    const base = `${reg.host}/interop/minke:1`;
    await real.ok(['run', '--name', 'writer', '--network', 'none', base, 'sh', '-c', 'echo from-docker > /greeting']);
    const name = `${reg.host}/interop/docker:1`;
    await real.ok(['commit', 'writer', name]);
    await real.ok(['rm', 'writer']);
    const digest = /1: digest: (sha256:[0-9a-f]{64})/.exec(await real.ok(['push', name]))![1]!;
    const pulled = await e.ok(['pull', name]);
    assert.match(pulled, /Already exists/, 'the base layers minke has are not fetched again');
    assert.match(pulled, new RegExp(`Digest: ${digest}`));
    assert.equal(await idOf((a) => e.ok(a), name), await idOf((a) => real.ok(a), name));
    assert.equal((await e.ok(['run', '--rm', '--network', 'none', name, 'cat', '/greeting'])).trim(), 'from-docker');
    // And back again: minke pushes the pulled image as it was (the same manifest digest).
    const again = await e.ok(['push', name]);
    assert.match(again, new RegExp(`1: digest: ${digest} size: \\d+`));
  });
});
