// compose push and pull through the engine (POST /images/{name}/push, POST /images/create),
// against a registry of the test's own on loopback (Debian's docker-registry). Until the
// engine pulls and pushes, the tests check that compose reports the engine's answer, and skip
// the round trip with the reason.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet, TestEngine, waitFor } from './harness.js';
import { compose, composeOk, freePort } from './compose-harness.js';

const REGISTRY = '/usr/bin/docker-registry';

describe('compose pull and push', () => {
  const e = new TestEngine();
  const dir = join(e.dir, 'reg');
  let registry: ChildProcess | undefined;
  let port = 0;

  before(async () => {
    await e.start();
    await e.importBusybox();
    mkdirSync(join(dir, 'app'), { recursive: true });
    writeFileSync(join(dir, 'app', 'Dockerfile'), 'FROM busybox\nRUN echo pushed > /marker\n');
  });
  after(async () => {
    registry?.kill();
    await e.destroy();
  });

  it('reports what the engine answers for an image no registry has', async () => {
    writeFileSync(join(dir, 'missing.yaml'), 'services:\n  a: {image: "127.0.0.1:1/not/there:1"}\n');
    const pull = await compose(e, 'minke', ['-f', join(dir, 'missing.yaml'), 'pull']);
    assert.equal(pull.code, 1, pull.stderr);
    assert.match(pull.stderr, /a {2}.*(pull access denied|connection refused|no registry)/i);
    const up = await compose(e, 'minke', ['-f', join(dir, 'missing.yaml'), 'up', '-d']);
    assert.equal(up.code, 1);
    assert.match(up.stderr, /Image 127\.0\.0\.1:1\/not\/there:1 {2}Error/);
  });

  it('pushes a built image and pulls it back', async (t) => {
    const probe = await e.run('docker', ['pull', '127.0.0.1:1/probe:1']);
    if (/no registry support/.test(probe.stderr)) return t.skip('the engine does not pull from registries yet');
    if (!existsSync(REGISTRY)) return t.skip('docker-registry is not installed');
    port = await freePort();
    writeFileSync(join(dir, 'registry.yml'), `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'registry-data')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    registry = spawn(REGISTRY, ['serve', join(dir, 'registry.yml')], { stdio: 'ignore' });
    await waitFor(async () => (await httpGet(`http://127.0.0.1:${port}/v2/`).catch(() => ({ status: 0 }))).status === 200, 'the registry', 20_000);
    const image = `127.0.0.1:${port}/compose/app:1`;
    writeFileSync(join(dir, 'compose.yaml'), `services:\n  app:\n    build: ./app\n    image: ${image}\n`);
    const f = ['-f', join(dir, 'compose.yaml')];
    await composeOk(e, 'minke', [...f, 'build']);
    await composeOk(e, 'minke', [...f, 'push']);
    await e.ok(['rmi', image]);
    const pulled = await composeOk(e, 'minke', [...f, 'pull']);
    assert.match(pulled.stderr, /app {2}Pulled/);
    assert.equal((await e.ok(['run', '--rm', image, 'cat', '/marker'])).trim(), 'pushed');
  });
});
