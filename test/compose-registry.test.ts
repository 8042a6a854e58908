// compose push and pull through the engine (POST /images/{name}/push, POST /images/create),
// against a registry of the test's own on loopback (Debian's docker-registry), and what compose
// reports for an image no registry has.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEngine } from './harness.js';
import { compose, composeOk } from './compose-harness.js';
import { distributionSkip, startDistribution, type Distribution } from './registries.js';

describe('compose pull and push', () => {
  const e = new TestEngine();
  const dir = join(e.dir, 'reg');
  let reg: Distribution | undefined;

  before(async () => {
    await e.start();
    await e.importBusybox();
    mkdirSync(join(dir, 'app'), { recursive: true });
    writeFileSync(join(dir, 'app', 'Dockerfile'), 'FROM busybox\nRUN echo pushed > /marker\n');
  });
  after(async () => {
    await reg?.stop();
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

  it('pushes a built image and pulls it back', { skip: distributionSkip }, async () => {
    reg = await startDistribution();
    const image = `${reg.host}/compose/app:1`;
    writeFileSync(join(dir, 'compose.yaml'), `services:\n  app:\n    build: ./app\n    image: ${image}\n`);
    const f = ['-f', join(dir, 'compose.yaml')];
    await composeOk(e, 'minke', [...f, 'build']);
    await composeOk(e, 'minke', [...f, 'push']);
    await e.ok(['rmi', image]);
    const pulled = await composeOk(e, 'minke', [...f, 'pull']);
    assert.match(pulled.stderr, /app {2}Pulled/);
    assert.equal((await e.ok(['run', '--rm', image, 'cat', '/marker'])).trim(), 'pushed');
    // up pulls what is missing, as compose v2 does (pull_policy missing)
    await e.ok(['rmi', image]);
    writeFileSync(join(dir, 'pull.yaml'), `services:\n  app:\n    image: ${image}\n    command: ["cat", "/marker"]\n`);
    const up = await composeOk(e, 'minke', ['-f', join(dir, 'pull.yaml'), 'up', '--abort-on-container-exit']);
    assert.match(up.stdout, /pushed/);
    await composeOk(e, 'minke', ['-f', join(dir, 'pull.yaml'), 'down']);
  });
});
