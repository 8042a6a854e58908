// A build pulls the images it names and the engine lacks (FROM, COPY --from), through the engine's
// registry client, from Debian's distribution 2.8 on loopback: with docker's pull lines in the
// build's stream, every named image again with --pull (a newer base then misses the cache), and
// from a registry that needs a login, with the credentials the docker CLI sends beside the context
// (X-Registry-Config): the engine has no login of its own for it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestEngine } from './harness.js';
import { distributionSkip, startDistribution, type Distribution } from './registries.js';

describe('builds pull their bases through the registry client', { skip: distributionSkip, concurrency: false, timeout: 600_000 }, () => {
  /** Pushes the bases. */
  const pusher = new TestEngine();
  /** Builds, and has none of them until it pulls. */
  const e = new TestEngine();
  let reg: Distribution;
  let priv: Distribution;
  const ctx = mkdtempSync(join(tmpdir(), 'minke-build-pull-'));

  const build = async (dockerfile: string, ...flags: string[]): Promise<{ out: string; id: string }> => {
    const r = await e.docker(['build', ...flags, '-f', '-', ctx], { input: dockerfile, timeout: 300_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const id = /^Successfully built ([0-9a-f]{12})$/m.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    return { out: r.stdout, id };
  };
  const idOf = async (engine: TestEngine, ref: string): Promise<string> => (await engine.ok(['image', 'inspect', '-f', '{{.Id}}', ref])).trim();

  before(async () => {
    writeFileSync(join(ctx, 'f.txt'), 'context file\n');
    [reg, priv] = await Promise.all([startDistribution(), startDistribution({ auth: { username: 'bob', password: 'pw' } })]);
    await Promise.all([pusher.start(), e.start()]);
    await pusher.importBusybox('busybox:latest');
    await pusher.ok(['tag', 'busybox', `${reg.host}/base/bb:1`]);
    await pusher.ok(['push', `${reg.host}/base/bb:1`]);
  });
  after(async () => {
    await Promise.all([pusher.destroy(), e.destroy()]);
    await Promise.all([reg?.stop(), priv?.stop()]);
    rmSync(ctx, { recursive: true, force: true });
  });

  it('pulls a missing FROM image with docker\'s pull lines, then finds it without pulling', async () => {
    const base = `${reg.host}/base/bb:1`;
    assert.notEqual((await e.docker(['image', 'inspect', base])).code, 0, 'the builder starts without the base');
    const first = await build(`FROM ${base}\nCOPY f.txt /f.txt\nRUN cat /f.txt > /copy\n`);
    assert.match(first.out, new RegExp(`^Step 1/3 : FROM ${base.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.match(first.out, /^1: Pulling from base\/bb$/m);
    assert.match(first.out, /^Digest: sha256:[0-9a-f]{64}$/m);
    assert.match(first.out, new RegExp(`^Status: Downloaded newer image for ${base.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.equal(await idOf(e, base), await idOf(pusher, base), 'the pulled base is the pushed image');
    assert.match(await e.ok(['image', 'inspect', '-f', '{{json .RepoDigests}}', base]), /base\/bb@sha256:/);
    assert.equal((await e.ok(['run', '--rm', first.id, 'cat', '/copy'])).trim(), 'context file');
    const again = await build(`FROM ${base}\nCOPY f.txt /f.txt\nRUN cat /f.txt > /copy\n`);
    assert.doesNotMatch(again.out, /Pulling from/);
    assert.equal(again.id, first.id, 'cached');
  });

  it('pulls every named image again with --pull, and a newer base misses the cache', async () => {
    const base = `${reg.host}/base/bb:1`;
    const df = `FROM ${base}\nRUN echo step > /s\n`;
    const before = await build(df);
    const up = await build(df, '--pull');
    assert.match(up.out, /^1: Pulling from base\/bb$/m);
    assert.match(up.out, /Status: Image is up to date for /);
    assert.equal(up.id, before.id, 'the same base keeps the cache');
    // A newer image under the tag.
    await pusher.ok(['run', '--name', 'newer', 'busybox', 'sh', '-c', 'echo newer > /newer']);
    await pusher.ok(['commit', 'newer', base]);
    await pusher.ok(['rm', 'newer']);
    await pusher.ok(['push', base]);
    const plain = await build(df);
    assert.equal(plain.id, before.id, 'without --pull the engine\'s base is used');
    const newer = await build(df, '--pull');
    assert.match(newer.out, /Status: Downloaded newer image for /);
    assert.notEqual(newer.id, before.id);
    assert.equal((await e.ok(['run', '--rm', newer.id, 'cat', '/newer'])).trim(), 'newer');
  });

  it('pulls a COPY --from image, and fails clearly for one the registry lacks', async () => {
    await pusher.ok(['tag', 'busybox', `${reg.host}/tools/src:2`]);
    await pusher.ok(['push', `${reg.host}/tools/src:2`]);
    const r = await build(`FROM ${reg.host}/base/bb:1\nCOPY --from=${reg.host}/tools/src:2 /bin/busybox /copied\n`);
    assert.match(r.out, /^2: Pulling from tools\/src$/m);
    const bad = await e.docker(['build', '-f', '-', ctx], { input: `FROM ${reg.host}/base/none:1\n` });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`manifest for ${reg.host.replace(/[.]/g, '\\.')}/base/none:1 not found`));
    assert.equal((await e.docker(['image', 'inspect', `${reg.host}/base/none:1`])).code, 1, 'nothing recorded');
  });

  it('pulls from a registry that needs a login with the credentials the client sends (docker build and minke build)', async () => {
    const name = `${priv.host}/private/bb:1`;
    await pusher.ok(['login', '-u', 'bob', '--password-stdin', priv.host], { input: 'pw\n' });
    await pusher.ok(['tag', 'busybox', name]);
    await pusher.ok(['push', name]);
    const denied = await e.docker(['build', '-f', '-', ctx], { input: `FROM ${name}\n` });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /no basic auth credentials/);
    await e.ok(['login', '-u', 'bob', '--password-stdin', priv.host], { input: 'pw\n' });
    const r = await build(`FROM ${name}\nRUN true\n`);
    assert.match(r.out, /^1: Pulling from private\/bb$/m);
    await e.ok(['rmi', '-f', r.id, name]);
    const m = await e.minke(['build', '-q', '-f', '-', ctx], { input: `FROM ${name}\nRUN true\n` });
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
    await e.ok(['logout', priv.host]);
  });
});

