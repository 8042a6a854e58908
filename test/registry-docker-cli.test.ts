// The real docker CLI pushes, pulls, logs in and runs through a minke engine against Debian's
// distribution 2.8 on loopback: docker's progress lines, layers found again or mounted from a
// sibling repository, --all-tags, the repo digest recorded, `docker run` of an image not pulled
// yet, and logins kept in the docker config as the docker CLI keeps them (shared with minke's CLI).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { TestEngine } from './harness.js';
import { distributionSkip, startDistribution, type Distribution } from './registries.js';

async function tagsOf(reg: Distribution, repo: string): Promise<string[]> {
  const res = await fetch(`${reg.url}/v2/${repo}/tags/list`);
  return ((await res.json()) as { tags?: string[] }).tags ?? [];
}

describe('docker push and pull through a minke engine', { skip: distributionSkip, concurrency: false, timeout: 600_000 }, () => {
  const e = new TestEngine();
  /** An engine that never had the image: its pulls download everything. */
  const fresh = new TestEngine();
  let reg: Distribution;
  let imageId = '';

  before(async () => {
    reg = await startDistribution();
    await Promise.all([e.start(), fresh.start()]);
    await e.importBusybox('busybox:latest');
    imageId = (await e.ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).trim();
  });
  after(async () => {
    await e.destroy();
    await fresh.destroy();
    await reg?.stop();
  });

  it('pushes the layers, finds them again on the next push, and mounts them into a sibling repository', async () => {
    const name = `${reg.host}/team/bb`;
    await e.ok(['tag', 'busybox', `${name}:1`]);
    const first = await e.ok(['push', `${name}:1`]);
    assert.match(first, new RegExp(`^The push refers to repository \\[${name}\\]$`, 'm'));
    assert.match(first, /^[0-9a-f]{12}: Pushed$/m);
    const digest = /^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(first)?.[1];
    assert.ok(digest, first);
    const again = await e.ok(['push', `${name}:1`]);
    assert.match(again, /^[0-9a-f]{12}: Layer already exists$/m);
    assert.match(again, new RegExp(`^1: digest: ${digest} size: \\d+$`, 'm'), 'the same manifest');
    await e.ok(['tag', 'busybox', `${reg.host}/other/bb:1`]);
    assert.match(await e.ok(['push', `${reg.host}/other/bb:1`]), /^[0-9a-f]{12}: Mounted from team\/bb$/m);
    assert.deepEqual(await tagsOf(reg, 'team/bb'), ['1']);
    const inspect = JSON.parse(await e.ok(['image', 'inspect', `${name}:1`])) as Array<{ RepoDigests: string[] }>;
    assert.ok(inspect[0]!.RepoDigests.includes(`${name}@${digest}`), JSON.stringify(inspect[0]!.RepoDigests));
  });

  it('pushes every tag of a repository with --all-tags', async () => {
    const name = `${reg.host}/team/all`;
    for (const t of ['a', 'b', 'c']) await e.ok(['tag', 'busybox', `${name}:${t}`]);
    const out = await e.ok(['image', 'push', '--all-tags', name]);
    for (const t of ['a', 'b', 'c']) assert.match(out, new RegExp(`^${t}: digest: sha256:[0-9a-f]{64} size: \\d+$`, 'm'));
    assert.deepEqual((await tagsOf(reg, 'team/all')).sort(), ['a', 'b', 'c']);
  });

  it('pulls with docker\'s progress lines, keeps the image ID and repo digest, and says when it is up to date', async () => {
    const name = `${reg.host}/team/bb`;
    const digest = /sha256:[0-9a-f]{64}/.exec(await e.ok(['push', `${name}:1`]))![0];
    const out = await fresh.ok(['pull', `${name}:1`]);
    const lines = out.trim().split('\n');
    assert.equal(lines[0], '1: Pulling from team/bb');
    const layer = /^([0-9a-f]{12}): Pulling fs layer$/m.exec(out)?.[1];
    assert.ok(layer, out);
    const steps = lines.filter((l) => l.startsWith(`${layer}: `)).map((l) => l.slice(14));
    assert.deepEqual(steps, ['Pulling fs layer', 'Verifying Checksum', 'Download complete', 'Pull complete']);
    assert.deepEqual(lines.slice(-3), [`Digest: ${digest}`, `Status: Downloaded newer image for ${name}:1`, `${name}:1`]);
    assert.equal((await fresh.ok(['image', 'inspect', '-f', '{{.Id}} {{json .RepoDigests}}', `${name}:1`])).trim(), `${imageId} ["${name}@${digest}"]`);
    const again = await fresh.ok(['pull', `${name}:1`]);
    assert.deepEqual(again.trim().split('\n'), ['1: Pulling from team/bb', `Digest: ${digest}`, `Status: Image is up to date for ${name}:1`, `${name}:1`]);
    // By digest, and every tag of a repository.
    const byDigest = await fresh.ok(['pull', `${name}@${digest}`]);
    assert.match(byDigest, new RegExp(`^Status: Image is up to date for ${name}@${digest}$`, 'm'));
    const all = await fresh.ok(['pull', '--all-tags', `${reg.host}/team/all`]);
    for (const t of ['a', 'b', 'c']) assert.match(all, new RegExp(`^${t}: Pulling from team/all$`, 'm'));
    assert.match(all, new RegExp(`^Status: Downloaded newer image for ${reg.host}/team/all$`, 'm'));
    assert.deepEqual((await fresh.ok(['images', '--format', '{{.Repository}}:{{.Tag}}', `${reg.host}/team/all`])).trim().split('\n').sort(), ['a', 'b', 'c'].map((t) => `${reg.host}/team/all:${t}`));
  });

  it('docker run pulls an image it does not have yet', async () => {
    const name = `${reg.host}/team/bb:1`;
    await fresh.ok(['rmi', '-f', name]);
    const r = await fresh.docker(['run', '--rm', '--network', 'none', name, 'echo', 'pulled-and-ran'], { timeout: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^Unable to find image '${name}' locally$`, 'm'));
    assert.match(r.stderr, /^Status: Downloaded newer image for /m);
    assert.equal(r.stdout.trim(), 'pulled-and-ran');
  });

  it('minke run pulls an image it does not have yet, as docker\'s run does', async () => {
    const name = `${reg.host}/team/bb:1`;
    await fresh.ok(['rmi', '-f', name]);
    const r = await fresh.minke(['run', '--rm', '--network', 'none', name, 'echo', 'minke-ran'], { timeout: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^Unable to find image '${name}' locally$`, 'm'));
    assert.equal(r.stdout.trim(), 'minke-ran');
  });

  it('answers GET /distribution/{name}/json with the descriptor and platforms, as dockerd', async () => {
    const name = `${reg.host}/team/bb:1`;
    const digest = (await e.ok(['image', 'inspect', '-f', '{{index .RepoDigests 0}}', name])).trim().split('@')[1];
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ socketPath: e.socket, path: `/v1.45/distribution/${name}/json` }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => { b += d.toString(); });
        res.on('end', () => resolve(b));
      });
      req.on('error', reject);
      req.end();
    });
    const got = JSON.parse(body) as { Descriptor: { mediaType: string; digest: string; size: number }; Platforms: Array<{ os: string; architecture: string }> };
    assert.equal(got.Descriptor.digest, digest);
    assert.equal(got.Descriptor.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.deepEqual(got.Platforms, [{ architecture: 'amd64', os: 'linux' }]);
  });
});

describe('docker login, logout and pulls with credentials through a minke engine', { skip: distributionSkip, concurrency: false, timeout: 600_000 }, () => {
  const e = new TestEngine();
  let reg: Distribution;
  const configFile = (): string => join(e.dir, 'docker-config', 'config.json');
  const auths = (): Record<string, { auth?: string }> => (existsSync(configFile()) ? (JSON.parse(readFileSync(configFile(), 'utf8')) as { auths?: Record<string, { auth?: string }> }).auths ?? {} : {});

  before(async () => {
    reg = await startDistribution({ auth: { username: 'alice', password: 'secret' } });
    await e.start();
    await e.importBusybox('busybox:latest');
  });
  after(async () => {
    await e.destroy();
    await reg?.stop();
  });

  it('refuses to push or pull without a login, and refuses a wrong password with dockerd\'s words', async () => {
    const name = `${reg.host}/private/bb:1`;
    await e.ok(['tag', 'busybox', name]);
    const push = await e.docker(['push', name]);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /no basic auth credentials/);
    const pull = await e.docker(['pull', `${reg.host}/private/none:1`], { input: '' });
    assert.match(pull.stderr, new RegExp(`Error response from daemon: Head "http://${reg.host}/v2/private/none/manifests/1": no basic auth credentials`));
    const bad = await e.docker(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 'wrong\n' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`Error response from daemon: login attempt to http://${reg.host}/v2/ failed with status: 401 Unauthorized`));
    assert.deepEqual(auths(), {});
  });

  it('logs in, keeps the login in the docker config, pushes and pulls with it, and logs out', async () => {
    const name = `${reg.host}/private/bb:1`;
    const login = await e.docker(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 'secret\n' });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);
    assert.equal(auths()[reg.host]?.auth, Buffer.from('alice:secret').toString('base64'));
    assert.match(await e.ok(['push', name]), /^1: digest: sha256:/m);
    await e.ok(['rmi', name]);
    assert.match(await e.ok(['pull', name]), /Status: Downloaded newer image/);
    // minke's own CLI reads the same login.
    await e.ok(['rmi', name]);
    const minkePull = await e.minke(['pull', name]);
    assert.equal(minkePull.code, 0, minkePull.stderr);
    assert.match(minkePull.stdout, new RegExp(`^Status: Downloaded newer image for ${name}$`, 'm'));
    const out = await e.ok(['logout', reg.host]);
    assert.match(out, new RegExp(`Removing login credentials for ${reg.host}`));
    assert.deepEqual(auths(), {});
    const after = await e.docker(['pull', `${reg.host}/private/bb:2`], { input: '' });
    assert.match(after.stderr, /no basic auth credentials/);
  });

  it('minke login and logout keep the login where docker reads it', async () => {
    const bad = await e.minke(['login', '-u', 'alice', '-p', 'wrong', reg.host]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /login attempt to .* failed with status: 401 Unauthorized/);
    const ok = await e.minke(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 'secret' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'Login Succeeded');
    assert.equal(auths()[reg.host]?.auth, Buffer.from('alice:secret').toString('base64'));
    const push = await e.docker(['push', `${reg.host}/private/bb:1`]);
    assert.equal(push.code, 0, push.stderr);
    assert.equal((await e.minke(['logout', reg.host])).stdout.trim(), `Removing login credentials for ${reg.host}`);
    assert.deepEqual(auths(), {});
  });
});

describe('a registry mirror serves docker.io names (--registry-mirror)', { skip: distributionSkip, concurrency: false, timeout: 300_000 }, () => {
  let mirror: Distribution;
  let pusher: TestEngine;
  let e: TestEngine;

  before(async () => {
    mirror = await startDistribution();
    pusher = new TestEngine();
    // Insecure because it is on loopback; the mirror flag names it with its scheme, as dockerd's.
    e = new TestEngine({ args: ['--registry-mirror', `http://${mirror.host}`] });
    await Promise.all([pusher.start(), e.start()]);
    await pusher.importBusybox(`${mirror.host}/library/mirrored:1`);
    await pusher.ok(['push', `${mirror.host}/library/mirrored:1`]);
  });
  after(async () => {
    await pusher?.destroy();
    await e?.destroy();
    await mirror?.stop();
  });

  it('pulls an official image from the mirror, recorded under its docker.io name', async () => {
    const info = JSON.parse(await e.ok(['info', '--format', '{{json .RegistryConfig.Mirrors}}'])) as string[];
    assert.deepEqual(info, [`http://${mirror.host}/`]);
    const out = await e.ok(['pull', 'mirrored:1']);
    assert.match(out, /^1: Pulling from library\/mirrored$/m);
    assert.match(out, /^Status: Downloaded newer image for mirrored:1$/m);
    assert.match(out, /^docker.io\/library\/mirrored:1$/m);
    assert.equal((await e.ok(['images', '--format', '{{.Repository}}:{{.Tag}}'])).trim(), 'mirrored:1');
  });
});
