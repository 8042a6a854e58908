// Bad compose files fail clearly and make nothing; a failed `up` (a port in use) leaves only
// what `down` removes; dependents of a recreated service are recreated; Debian's
// docker-compose 1.29 runs the examples against a minke engine.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { TestEngine, waitFor } from './harness.js';
import { compose, composeOk, examplesDir, freePort, hasComposeV1, leftovers } from './compose-harness.js';

describe('compose failures', () => {
  const e = new TestEngine();
  const dir = join(e.dir, 'projects');
  const project = (name: string, text: string): string => {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'compose.yaml'), text);
    return join(d, 'compose.yaml');
  };

  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());

  const bad: Array<[string, string, RegExp]> = [
    ['schema', 'services:\n  web:\n    image: busybox\n    restart_policy: always\n', /validating .*compose\.yaml: services\.web: additional property 'restart_policy' is not allowed/],
    ['port', 'services:\n  web:\n    image: busybox\n    ports: ["80:80:80"]\n', /services\.web\.ports\[0\]: invalid port "80:80:80"/],
    ['cycle', 'services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: [a]}\n', /dependency cycle detected: a -> b -> a/],
    ['required', 'services:\n  web:\n    image: "busybox:${TAG:?set TAG to the release}"\n', /required variable TAG is missing a value: set TAG to the release/],
    ['unknown', 'services:\n  web: {image: busybox, depends_on: [database]}\n', /service "web" depends on undefined service "database"/],
  ];
  for (const [name, text, message] of bad) {
    it(`refuses a bad file (${name}) before making anything`, async () => {
      const f = project(`bad-${name}`, text);
      const r = await compose(e, 'minke', ['-f', f, 'up', '-d']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, message);
      assert.deepEqual(await leftovers(e, `bad-${name}`), { containers: [], networks: [], volumes: [] });
    });
  }

  it('a port in use fails up; down removes what it made', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(port, '127.0.0.1', r));
    try {
      const f = project('busyport', `services:\n  db:\n    image: busybox\n    command: sleep 600\n    init: true\n    volumes: [data:/data]\n  web:\n    image: busybox\n    command: sleep 600\n    init: true\n    depends_on: [db]\n    ports: ["127.0.0.1:${port}:80"]\nvolumes: {data: {}}\n`);
      const r = await compose(e, 'minke', ['-f', f, 'up', '-d']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`${port}`));
      assert.match(r.stderr, / Container busyport-web-1 {2}Error/);
      const left = await leftovers(e, 'busyport');
      assert.ok(left.containers.length > 0, 'up made containers before it failed');
      await composeOk(e, 'minke', ['-f', f, 'down', '-v']);
      assert.deepEqual(await leftovers(e, 'busyport'), { containers: [], networks: [], volumes: [] });
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it('recreates the dependents of a recreated service, and only those', async () => {
    const text = (v: string): string => `services:\n  db:\n    image: busybox\n    command: sleep 600\n    init: true\n    environment: {V: "${v}"}\n  web:\n    image: busybox\n    command: sleep 600\n    init: true\n    depends_on: [db]\n  lone:\n    image: busybox\n    command: sleep 600\n    init: true\n`;
    const f = project('deps', text('1'));
    await composeOk(e, 'minke', ['-f', f, 'up', '-d']);
    writeFileSync(f, text('2'));
    const r = await composeOk(e, 'minke', ['-f', f, 'up', '-d']);
    assert.match(r.stderr, / Container deps-db-1 {2}Recreated/);
    assert.match(r.stderr, / Container deps-web-1 {2}Recreated/);
    assert.match(r.stderr, / Container deps-lone-1 {2}Running/);
    assert.equal((await e.ok(['exec', 'deps-db-1', 'sh', '-c', 'echo $V'])).trim(), '2');
    const forced = await composeOk(e, 'minke', ['-f', f, 'up', '-d', '--force-recreate', 'lone']);
    assert.match(forced.stderr, / Container deps-lone-1 {2}Recreated/);
    assert.doesNotMatch(forced.stderr, /deps-db-1 {2}Recreate/);
    await composeOk(e, 'minke', ['-f', f, 'down', '-t', '1']);
    assert.deepEqual(await leftovers(e, 'deps'), { containers: [], networks: [], volumes: [] });
  });

  it('down works from -p alone once the file is gone', async () => {
    const f = project('gone', 'services:\n  a: {image: busybox, command: sleep 600, init: true}\n');
    await composeOk(e, 'minke', ['-f', f, 'up', '-d']);
    const r = await composeOk(e, 'minke', ['-p', 'gone', 'down']);
    assert.match(r.stderr, / Container gone-a-1 {2}Removed/);
    assert.deepEqual(await leftovers(e, 'gone'), { containers: [], networks: [], volumes: [] });
  });

  describe('Debian\'s docker-compose 1.29 with the examples', { skip: hasComposeV1 ? false : 'docker-compose is not installed (scripts/setup.sh installs it)' }, () => {
    for (const example of ['counter', 'health-gated']) {
      it(`runs up -d, ps, logs and down of ${example}`, async () => {
        const env = { WEB_PORT: String(await freePort()) };
        const args = ['-f', join(examplesDir, example, 'compose.yaml'), '-p', `v1${example.replace('-', '')}`];
        const up = await composeOk(e, 'v1', [...args, 'up', '-d', '--build'], { env });
        assert.match(up.stderr, /Creating v1\w+_\w+_1 \.\.\. done/);
        await waitFor(async () => (await compose(e, 'v1', [...args, 'ps'], { env })).stdout.includes(' Up'), 'the containers to run', 20_000);
        const ps = await composeOk(e, 'v1', [...args, 'ps'], { env });
        assert.match(ps.stdout, /v1\w+_\w+_1 .* Up/);
        const logs = await composeOk(e, 'v1', [...args, 'logs', '--no-color'], { env });
        assert.match(logs.stdout, example === 'counter' ? /worker_1 .*\| worker: count is now/ : /api_1 .*\| api: warming up/);
        await composeOk(e, 'v1', [...args, 'down', '-v'], { env });
        assert.deepEqual(await leftovers(e, args[3]!), { containers: [], networks: [], volumes: [] });
      });
    }
  });
});
