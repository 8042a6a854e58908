// Debian's docker-compose 1.29 (docker-py underneath, negotiating the engine's newest API version)
// against a minke engine: a project brought up, a service recreated when its configuration
// changes (compose reads the image's ContainerConfig then), and brought down to nothing.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEngine } from './harness.js';

const COMPOSE = '/usr/bin/docker-compose';

describe('docker-compose 1.29', { skip: existsSync(COMPOSE) ? false : 'docker-compose is not installed (scripts/setup.sh installs it)' }, () => {
  const e = new TestEngine();
  const dir = join(e.dir, 'app');
  const file = join(dir, 'docker-compose.yml');
  const compose = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    e.run(COMPOSE, ['-f', file, '-p', 'app', ...args], { timeout: 120_000 });
  const project = (x: string): string => `version: "3.7"
services:
  db:
    image: busybox
    command: sh -c "sleep 1000"
    stop_grace_period: 1s
  web:
    image: busybox
    command: sh -c "sleep 1000"
    stop_grace_period: 1s
    depends_on: [db]
    environment:
      X: "${x}"
`;

  before(async () => {
    await e.start();
    await e.importBusybox();
    mkdirSync(dir, { recursive: true });
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

  it('brings a project up, recreates a changed service, and brings it down', async () => {
    writeFileSync(file, project('1'));
    const up = await compose(['up', '-d']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /Creating app_web_1 \.\.\. done/);
    writeFileSync(file, project('2'));
    const again = await compose(['up', '-d']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /app_db_1 is up-to-date/);
    assert.match(again.stderr, /Recreating app_web_1 \.\.\. done/);
    assert.equal(await e.ok(['exec', 'app_web_1', 'sh', '-c', 'echo $X']), '2\n');
    const ps = await compose(['ps']);
    assert.match(ps.stdout, /app_db_1 .* Up/);
    assert.match(ps.stdout, /app_web_1 .* Up/);
    const down = await compose(['down']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await e.ok(['ps', '-aq']), '');
    assert.doesNotMatch(await e.ok(['network', 'ls', '--format', '{{.Name}}']), /app_default/);
  });
});
