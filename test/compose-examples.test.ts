// The examples/ applications brought up by `docker compose` (minke's plugin) and `minke compose`
// against a minke engine, checked to work (traffic to loopback and to their own containers
// only), recreated only where their configuration changed, and taken down to nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { httpGet, TestEngine, waitFor } from './harness.js';
import { compose, composeOk, examplesDir, freePort, installPlugin, leftovers } from './compose-harness.js';

describe('compose examples', () => {
  const e = new TestEngine();
  const file = (name: string): string => join(examplesDir, name, 'compose.yaml');

  before(async () => {
    await e.start();
    await e.importBusybox();
    installPlugin(e);
  });
  after(() => e.destroy());

  it('docker compose runs minke through the plugin protocol', async () => {
    const meta = JSON.parse((await e.run(join(examplesDir, '..', 'bin', 'minke'), ['docker-cli-plugin-metadata'])).stdout) as Record<string, string>;
    assert.equal(meta.SchemaVersion, '0.1.0');
    assert.equal(meta.Vendor, 'minke');
    assert.ok(meta.Version && meta.ShortDescription);
    assert.match((await e.docker(['--help'])).stdout, /compose\*?\s+Docker Compose/);
    assert.match((await composeOk(e, 'docker', ['version'])).stdout, /^Docker Compose version v/);
    // -H picks the engine as for docker: a wrong one fails to connect
    const wrong = await e.run('docker', ['-H', 'unix:///nonexistent.sock', 'compose', '-f', file('counter'), 'ps']);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /nonexistent\.sock/);
  });

  it('counter: web, worker and db by service name, state kept in a volume', async () => {
    const port = await freePort();
    const env = { WEB_PORT: String(port) };
    const args = ['-f', file('counter')];
    const up = await composeOk(e, 'docker', [...args, 'up', '-d', '--build'], { env });
    assert.match(up.stderr, / Network counter_default {2}Created/);
    assert.match(up.stderr, / Volume "counter_data" {2}Created/);
    assert.match(up.stderr, / Container counter-web-1 {2}Started/);
    const count = async (): Promise<number> => {
      const r = await httpGet(`http://127.0.0.1:${port}/cgi-bin/status`).catch(() => ({ status: 0, body: '' }));
      const m = /count=(\d+)/.exec(r.body);
      return m ? Number(m[1]) : -1;
    };
    await waitFor(async () => (await count()) >= 2, 'the worker to count through the db', 30_000);
    const ps = await composeOk(e, 'docker', [...args, 'ps', '--format', '{{.Service}} {{.State}}']);
    assert.deepEqual(ps.stdout.trim().split('\n').sort(), ['db running', 'web running', 'worker running']);
    assert.match((await composeOk(e, 'docker', [...args, 'logs', 'worker'])).stdout, /worker-1 +\| worker: count is now \d+/);

    // nothing changed: nothing recreated
    const again = await composeOk(e, 'minke', [...args, 'up', '-d'], { env });
    assert.doesNotMatch(again.stderr, /Recreate/);
    assert.match(again.stderr, / Container counter-db-1 {2}Running/);
    // the worker's configuration changed: only the worker is recreated
    const changed = await composeOk(e, 'minke', [...args, 'up', '-d'], { env: { ...env, INTERVAL: '2' } });
    assert.match(changed.stderr, / Container counter-worker-1 {2}Recreated/);
    assert.doesNotMatch(changed.stderr, /counter-(web|db)-1 {2}Recreate/);

    // down without -v keeps the count; up again goes on from it
    const before = await count();
    const down = await composeOk(e, 'minke', [...args, 'down']);
    assert.match(down.stderr, / Container counter-web-1 {2}Removed/);
    assert.match(down.stderr, / Network counter_default {2}Removed/);
    assert.deepEqual(await leftovers(e, 'counter'), { containers: [], networks: [], volumes: ['counter_data'] });
    await composeOk(e, 'minke', [...args, 'up', '-d'], { env });
    await waitFor(async () => (await count()) > before, 'the count to go on from where it was', 30_000);
    await composeOk(e, 'docker', [...args, 'down', '-v']);
    assert.deepEqual(await leftovers(e, 'counter'), { containers: [], networks: [], volumes: [] });
  });

  it('health-gated: the client starts once the api is healthy', async () => {
    const args = ['-f', file('health-gated')];
    const up = await composeOk(e, 'minke', [...args, 'up', '-d', '--build']);
    const order = up.stderr.split('\n');
    const healthy = order.findIndex((l) => / Container health-gated-api-1 {2}Healthy/.test(l));
    const started = order.findIndex((l) => / Container health-gated-client-1 {2}Started/.test(l));
    assert.ok(healthy >= 0 && started > healthy, up.stderr);
    await waitFor(async () => /api was ready/.test((await compose(e, 'minke', [...args, 'logs', 'client'])).stdout), 'the client to report', 20_000);
    assert.doesNotMatch((await composeOk(e, 'minke', [...args, 'logs', 'client'])).stdout, /NOT ready/);
    await composeOk(e, 'minke', [...args, 'down', '-v']);
    assert.deepEqual(await leftovers(e, 'health-gated'), { containers: [], networks: [], volumes: [] });
  });

  it('scaled: three replicas behind one alias', async () => {
    const args = ['-f', file('scaled')];
    await composeOk(e, 'docker', [...args, 'up', '-d', '--build', '--wait']);
    const ps = await composeOk(e, 'docker', [...args, 'ps', '--format', '{{.Name}}']);
    assert.deepEqual(ps.stdout.trim().split('\n'), ['scaled-backend-1', 'scaled-backend-2', 'scaled-backend-3', 'scaled-client-1']);
    const answers = (await composeOk(e, 'docker', [...args, 'exec', '-T', 'client', '/ask.sh'])).stdout.trim().split('\n');
    assert.equal(answers.length, 4, answers.join(','));
    assert.equal(new Set(answers.slice(0, 3)).size, 3, `three replicas answer: ${answers.join(',')}`);
    // scaled down to one by --scale; the highest numbers go
    const down1 = await composeOk(e, 'minke', [...args, 'up', '-d', '--scale', 'backend=1']);
    assert.match(down1.stderr, /Container scaled-backend-3 {2}Removed/);
    assert.deepEqual((await composeOk(e, 'minke', [...args, 'ps', '--services'])).stdout.split('\n').filter(Boolean), ['backend', 'client']);
    assert.equal((await composeOk(e, 'minke', [...args, 'ps', '-q', 'backend'])).stdout.trim().split('\n').length, 1);
    await composeOk(e, 'docker', [...args, 'down']);
    assert.deepEqual(await leftovers(e, 'scaled'), { containers: [], networks: [], volumes: [] });
  });
});
