// The other compose commands against a minke engine: up attached (--abort-on-container-exit,
// --exit-code-from), run (one-off, ports off by default), exec, cp, top, port, images, ls,
// stop/start, pause/unpause, logs, events, config from stdin, configs and secrets as files.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { minkeCmd, TestEngine, waitFor } from './harness.js';
import { compose, composeOk, freePort, installPlugin, leftovers } from './compose-harness.js';

describe('compose commands', () => {
  const e = new TestEngine();
  const dir = join(e.dir, 'cmds');
  const file = join(dir, 'compose.yaml');
  let port = 0;
  const sleeper = 'init: true\n    command: ["sh", "-c", "echo started $$HOSTNAME; trap \'exit 0\' TERM; while :; do sleep 1 & wait $$!; done"]';

  before(async () => {
    await e.start();
    await e.importBusybox();
    installPlugin(e);
    mkdirSync(dir, { recursive: true });
    port = await freePort();
    writeFileSync(join(dir, 'app.env'), 'FROM_FILE=yes\n');
    writeFileSync(join(dir, 'secret.txt'), 's3cret\n');
    writeFileSync(file, `services:
  web:
    image: busybox
    ${sleeper}
    ports: ["127.0.0.1:${port}:80"]
    env_file: [app.env]
    configs:
      - source: greeting
        target: /etc/greeting
    secrets: [token, inline]
  db:
    image: busybox
    ${sleeper}
configs:
  greeting: {content: "hello config"}
secrets:
  token: {file: ./secret.txt}
  inline: {environment: INLINE_SECRET}
`);
  });
  after(() => e.destroy());
  const args = (...more: string[]): string[] => ['-f', file, '-p', 'cmds', ...more];
  const env = { INLINE_SECRET: 'from-env' };

  it('runs up -d, then exec, cp, top, port, images, ls, ps --format json', async () => {
    await composeOk(e, 'minke', args('up', '-d'), { env });
    assert.equal((await composeOk(e, 'minke', args('exec', '-T', 'web', 'sh', '-c', 'echo $FROM_FILE; cat /etc/greeting; echo; cat /run/secrets/token /run/secrets/inline'), { env })).stdout, 'yes\nhello config\ns3cret\nfrom-env');
    await composeOk(e, 'minke', args('cp', 'web:/etc/greeting', join(dir, 'copied')), { env });
    assert.equal(readFileSync(join(dir, 'copied'), 'utf8'), 'hello config');
    assert.match((await composeOk(e, 'minke', args('top', 'db'), { env })).stdout, /^cmds-db-1\nUID +PID +PPID/);
    assert.equal((await composeOk(e, 'minke', args('port', 'web', '80'), { env })).stdout, `127.0.0.1:${port}\n`);
    assert.match((await composeOk(e, 'minke', args('images'), { env })).stdout, /CONTAINER +REPOSITORY +TAG +IMAGE ID +SIZE\ncmds-db-1 +busybox +latest/);
    assert.match((await composeOk(e, 'minke', ['ls'])).stdout, /cmds +running\(2\) +.*compose\.yaml/);
    const rows = (await composeOk(e, 'minke', args('ps', '--format', 'json'), { env })).stdout.trim().split('\n').map((l) => JSON.parse(l) as { Name: string; Service: string; State: string; Publishers: Array<{ PublishedPort: number }> });
    assert.deepEqual(rows.map((r) => [r.Name, r.Service, r.State]), [['cmds-db-1', 'db', 'running'], ['cmds-web-1', 'web', 'running']]);
    assert.ok(rows[1]!.Publishers.some((x) => x.PublishedPort === port));
  });

  it('stops, starts, pauses and unpauses, logs with a tail and timestamps', async () => {
    const stop = await composeOk(e, 'minke', args('stop', 'db'), { env });
    assert.match(stop.stderr, / Container cmds-db-1 {2}Stopped/);
    assert.equal((await composeOk(e, 'minke', args('ps', '--status', 'exited', '--services'), { env })).stdout, 'db\n');
    await composeOk(e, 'minke', args('start', 'db'), { env });
    await composeOk(e, 'minke', args('pause', 'web'), { env });
    assert.match((await composeOk(e, 'minke', args('ps', '--format', '{{.Service}} {{.State}}', 'web'), { env })).stdout, /web paused/);
    await composeOk(e, 'minke', args('unpause', 'web'), { env });
    const logs = (await composeOk(e, 'minke', args('logs', '--tail', '1', '-t', 'db'), { env })).stdout;
    assert.match(logs, /^db-1 +\| \d{4}-\d\d-\d\dT\S+ started /);
    assert.equal(logs.trim().split('\n').length, 1);
  });

  it('runs one-off containers: no ports unless asked, -e, --rm, the exit code', async () => {
    const r = await composeOk(e, 'minke', args('run', '--rm', '-T', '-e', 'X=42', 'web', 'sh', '-c', 'echo x=$X'), { env });
    assert.equal(r.stdout, 'x=42\n');
    const code = await compose(e, 'minke', args('run', '--rm', '-T', 'db', 'sh', '-c', 'exit 7'), { env });
    assert.equal(code.code, 7);
    const name = (await composeOk(e, 'minke', args('run', '-d', 'web'), { env })).stdout.trim();
    assert.match(name, /^cmds-web-run-[0-9a-f]{12}$/);
    assert.equal((await e.ok(['port', name])).trim(), '');
    assert.equal((await e.ok(['inspect', '-f', '{{index .Config.Labels "com.docker.compose.oneoff"}}', name])).trim(), 'True');
    await e.ok(['rm', '-f', name]);
    const other = await freePort();
    const sp = (await composeOk(e, 'minke', args('run', '-d', '-p', `127.0.0.1:${other}:80`, 'db'), { env })).stdout.trim();
    assert.match(await e.ok(['port', sp]), new RegExp(`127\\.0\\.0\\.1:${other}`));
    await e.ok(['rm', '-f', sp]);
  });

  it('prints events of the project as they happen', async () => {
    const p = spawn(minkeCmd, ['compose', ...args('events', '--json')], { env: { ...e.env, ...env } });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      await new Promise((r) => setTimeout(r, 500));
      await composeOk(e, 'minke', args('restart', 'db'), { env });
      await waitFor(() => /"action":"start".*"service":"db"/.test(out), 'a start event of db', 20_000);
    } finally {
      p.kill();
    }
  });

  it('stops everything when a container exits with --abort-on-container-exit, and returns its code', async () => {
    const f = join(dir, 'abort.yaml');
    writeFileSync(f, `services:\n  long:\n    image: busybox\n    ${sleeper}\n  short:\n    image: busybox\n    command: sh -c "echo done; exit 3"\n`);
    const r = await compose(e, 'minke', ['-f', f, '-p', 'abort', 'up', '--exit-code-from', 'short']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /Attaching to /);
    assert.match(r.stdout, /short-1 +\| done/);
    assert.match(r.stdout, /short-1 exited with code 3/);
    assert.match(r.stdout, /Aborting on container exit/);
    assert.match((await e.ok(['ps', '-a', '--filter', 'name=abort-long-1', '--format', '{{.State}}'])).trim(), /exited/);
    await composeOk(e, 'minke', ['-f', f, '-p', 'abort', 'down']);
  });

  it('reads the file from standard input with -f -, and names files when asked', async () => {
    const r = await composeOk(e, 'minke', ['-f', '-', '-p', 'stdin', 'config', '--services'], { input: 'services: {b: {image: x}, a: {image: y}}\n' });
    assert.equal(r.stdout, 'a\nb\n');
    const viaDocker = await composeOk(e, 'docker', ['-f', '-', 'config', '--format', 'json'], { input: 'name: fromstdin\nservices: {a: {image: y}}\n' });
    assert.equal((JSON.parse(viaDocker.stdout) as { name: string }).name, 'fromstdin');
  });

  it('takes it all down', async () => {
    await composeOk(e, 'minke', args('down', '-v', '-t', '1'), { env });
    assert.deepEqual(await leftovers(e, 'cmds'), { containers: [], networks: [], volumes: [] });
  });
});
