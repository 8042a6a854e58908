import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PassThrough } from 'node:stream';
import { FakeEngine, frame } from './fake-engine.js';
import { runCli } from './main.js';

class Sink extends PassThrough {
  text = '';
  constructor() {
    super();
    this.on('data', (c: Buffer) => (this.text += c.toString('utf8')));
  }
}

let engine: FakeEngine;

async function minke(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink();
  const err = new Sink();
  const input = new PassThrough();
  input.end();
  const code = await runCli(argv, { out, err, in: input, env: { MINKE_HOST: engine.host } });
  await new Promise((r) => setImmediate(r));
  return { code, out: out.text, err: err.text };
}

const now = Math.floor(Date.now() / 1000);
const ID = 'f1e2d3c4b5a6978877665544332211ffeeddccbbaa0099887766554433221100';

before(async () => {
  engine = new FakeEngine();
  await engine.listen();
  engine
    .json('POST', '/containers/create', 201, { Id: ID, Warnings: [] })
    .json('POST', '/containers/create-missing', 404, {})
    .on('POST', `/containers/${ID}/start`, (_r, res) => {
      res.writeHead(204);
      res.end();
      startedAt = Date.now();
    })
    .on('POST', `/containers/${ID}/wait`, (_r, res) => {
      // docker flushes the headers at once and sends the status when the container exits
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      setTimeout(() => res.end(JSON.stringify({ StatusCode: 3, Error: null })), 30);
    })
    .upgrade('POST', `/containers/${ID}/attach`, (_r, socket) => {
      setTimeout(() => {
        socket.write(frame(1, 'hello\n'));
        socket.write(frame(2, 'oops\n'));
        socket.end();
      }, 20);
    })
    .json('GET', '/containers/json', 200, [
      {
        Id: ID,
        Names: ['/web'],
        Image: 'busybox',
        ImageID: 'sha256:abc',
        Command: 'sh -c "while true; do sleep 1; done"',
        Created: now - 125,
        Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }],
        Labels: { app: 'x' },
        State: 'running',
        Status: 'Up 2 minutes',
      },
    ])
    .json('GET', '/images/json', 200, [
      { Id: 'sha256:65ad0d468eb1c0ff2e5ffb4ea3ffa0fbbd5a2bba1ad4b1f1e4a5c3a8bbd4e6f1', RepoTags: ['busybox:latest', 'busybox:1.36'], RepoDigests: [], Created: now - 3 * 86400, Size: 4261000 },
      { Id: 'sha256:0123456789ab0000', RepoTags: null, RepoDigests: null, Created: now - 3600, Size: 2050000 },
    ])
    .json('GET', '/containers/web/json', 200, { Id: ID, Name: '/web', State: { ExitCode: 0, Running: true }, Config: { Tty: false, Labels: { 'com.x': 'y' }, Cmd: ['sh'] } })
    .json('GET', '/containers/nope/json', 404, { message: 'No such container: nope' })
    .json('GET', '/images/nope/json', 404, { message: 'No such image: nope:latest' })
    .on('GET', `/containers/${ID}/logs`, (_r, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      res.write(frame(1, 'line 1\n'));
      res.write(frame(2, 'warn\n').subarray(0, 5));
      setTimeout(() => {
        res.write(frame(2, 'warn\n').subarray(5));
        res.end(frame(1, 'line 2\n'));
      }, 5);
    })
    .json('DELETE', '/containers/nope', 404, { message: 'No such container: nope' });
});

let startedAt = 0;

void test('run -i: stdin goes to the container, its end half-closes the stream', async () => {
  const EID = 'e'.repeat(64);
  engine
    .json('POST', '/containers/create', 201, { Id: EID, Warnings: [] })
    .on('POST', `/containers/${EID}/start`, (_r, res) => {
      res.writeHead(204).end();
    })
    .on('POST', `/containers/${EID}/wait`, (_r, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      setTimeout(() => res.end(JSON.stringify({ StatusCode: 0 })), 50);
    })
    .upgrade('POST', `/containers/${EID}/attach`, (_r, socket) => {
      // a fake `cat`: echo stdin back as stdout frames, exit at EOF
      socket.on('data', (c: Buffer) => socket.write(frame(1, c.toString('utf8').toUpperCase())));
      socket.on('end', () => socket.end());
    });
  try {
    const out = new Sink();
    const err = new Sink();
    const input = new PassThrough();
    const done = runCli(['run', '-i', 'busybox', 'cat'], { out, err, in: input, env: { MINKE_HOST: engine.host } });
    input.write('abc\n');
    setTimeout(() => input.end('def\n'), 20);
    assert.equal(await done, 0);
    assert.equal(out.text, 'ABC\nDEF\n');
    const body = engine.requests.filter((q) => q.path === '/containers/create').at(-1)?.json() as Record<string, unknown>;
    assert.equal(body.OpenStdin, true);
    assert.equal(body.AttachStdin, true);
    assert.equal(body.StdinOnce, true);
  } finally {
    engine.json('POST', '/containers/create', 201, { Id: ID, Warnings: [] });
  }
});

void test('exec: create, hijacked start, exit code from exec inspect', async () => {
  engine
    .json('POST', '/containers/web/exec', 201, { Id: 'x1' })
    .upgrade('POST', '/exec/x1/start', (_r, socket) => {
      socket.end(frame(1, 'from exec\n'));
    })
    .json('GET', '/exec/x1/json', 200, { ExitCode: 7, Running: false });
  const r = await minke('exec', '-e', 'K=V', '-w', '/tmp', 'web', 'ls', '-l');
  assert.equal(r.code, 7);
  assert.equal(r.out, 'from exec\n');
  const body = engine.find('POST', '/containers/web/exec')?.json() as Record<string, unknown>;
  assert.deepEqual(body.Cmd, ['ls', '-l']);
  assert.deepEqual(body.Env, ['K=V']);
  assert.equal(body.WorkingDir, '/tmp');
});

after(async () => {
  await engine.close();
});

void test('run: create → attach → wait → start, demuxed output, container exit code', async () => {
  const r = await minke('run', '--rm', '-e', 'A=1', '-m', '64m', '--cpus', '1.5', '-p', '8080:80', '--name', 'web', 'busybox', 'sh', '-c', 'echo hi');
  assert.equal(r.code, 3);
  assert.equal(r.out, 'hello\n');
  assert.equal(r.err, 'oops\n');
  const create = engine.find('POST', '/containers/create');
  assert.ok(create);
  assert.equal(create.query.get('name'), 'web');
  const body = create.json() as Record<string, unknown> & { HostConfig: Record<string, unknown> };
  assert.equal(body.Image, 'busybox');
  assert.deepEqual(body.Cmd, ['sh', '-c', 'echo hi']);
  assert.deepEqual(body.Env, ['A=1']);
  assert.equal(body.AttachStdout, true);
  assert.equal(body.HostConfig.Memory, 64 * 1024 * 1024);
  assert.equal(body.HostConfig.NanoCpus, 1.5e9);
  assert.equal(body.HostConfig.AutoRemove, true);
  assert.deepEqual(body.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
  assert.deepEqual(body.ExposedPorts, { '80/tcp': {} });
  const order = engine.requests.map((q) => `${q.method} ${q.path}`).filter((s) => s.startsWith('POST /containers/'));
  assert.deepEqual(order.slice(order.lastIndexOf('POST /containers/create'), order.lastIndexOf('POST /containers/create') + 4), ['POST /containers/create', `POST /containers/${ID}/attach`, `POST /containers/${ID}/wait`, `POST /containers/${ID}/start`]);
  assert.equal(engine.find('POST', `/containers/${ID}/wait`)?.query.get('condition'), 'removed');
  assert.equal(engine.find('POST', `/containers/${ID}/attach`)?.headers.upgrade, 'tcp');
  assert.ok(startedAt > 0);
});

void test('run -d prints the container ID', async () => {
  const r = await minke('run', '-d', 'busybox', 'sleep', '9');
  assert.equal(r.code, 0);
  assert.equal(r.out, `${ID}\n`);
});

void test('run: missing image says so and fails with 125', async () => {
  engine.json('POST', '/containers/create', 404, { message: 'No such image: nope:latest' });
  engine.json('POST', '/images/create', 404, { message: "pull access denied for nope, repository does not exist or may require 'docker login'" });
  try {
    const r = await minke('run', 'nope');
    assert.equal(r.code, 125);
    assert.equal(
      r.err,
      "Unable to find image 'nope:latest' locally\nminke: Error response from daemon: pull access denied for nope, repository does not exist or may require 'docker login'\n\nRun 'minke run --help' for more information\n",
    );
    const never = await minke('run', '--pull=never', 'nope');
    assert.equal(never.code, 125);
    assert.match(never.err, /^minke: Error response from daemon: No such image: nope:latest\n/);
  } finally {
    engine.json('POST', '/containers/create', 201, { Id: ID, Warnings: [] });
  }
});

void test('ps: docker table layout', async () => {
  const r = await minke('ps');
  assert.equal(r.code, 0);
  assert.equal(
    r.out,
    'CONTAINER ID   IMAGE     COMMAND                   CREATED         STATUS         PORTS                  NAMES\n' +
      'f1e2d3c4b5a6   busybox   "sh -c \\"while true; …"   2 minutes ago   Up 2 minutes   0.0.0.0:8080->80/tcp   web\n',
  );
  assert.equal((await minke('ps', '-q')).out, 'f1e2d3c4b5a6\n');
  assert.equal((await minke('ps', '--format', '{{.Names}} {{.Label "app"}}')).out, 'web x\n');
  assert.equal((await minke('ps', '--format', 'table {{.ID}}\\t{{.State}}')).out, 'CONTAINER ID   STATE\nf1e2d3c4b5a6   running\n');
  const j = JSON.parse((await minke('ps', '--format', 'json')).out) as Record<string, string>;
  assert.equal(j.Names, 'web');
  assert.deepEqual(Object.keys(j), [...Object.keys(j)].sort());
  await minke('ps', '-a', '--filter', 'status=exited', '-n', '2');
  const q = engine.requests.filter((x) => x.path === '/containers/json').at(-1);
  assert.equal(q?.query.get('filters'), '{"status":{"exited":true}}');
  assert.equal(q?.query.get('limit'), '2');
});

void test('images: one row per tag, dangling as <none>', async () => {
  const r = await minke('images');
  assert.equal(
    r.out,
    'REPOSITORY   TAG       IMAGE ID       CREATED             SIZE\n' +
      'busybox      latest    65ad0d468eb1   3 days ago          4.26MB\n' +
      'busybox      1.36      65ad0d468eb1   3 days ago          4.26MB\n' +
      '<none>       <none>    0123456789ab   About an hour ago   2.05MB\n',
  );
});

void test('inspect: JSON array, -f templates, missing objects', async () => {
  const r = await minke('inspect', 'web');
  assert.equal(r.code, 0);
  assert.ok(r.out.startsWith('[\n    {\n        "Id": '));
  assert.equal((await minke('inspect', '-f', '{{.State.ExitCode}}', 'web')).out, '0\n');
  assert.equal((await minke('inspect', '-f', '{{json .Config.Labels}}', 'web')).out, '{"com.x":"y"}\n');
  assert.equal((await minke('inspect', '-f', '{{index .Config.Labels "com.x"}}', 'web')).out, 'y\n');
  const missing = await minke('inspect', 'nope');
  assert.equal(missing.code, 1);
  assert.equal(missing.out, '[]\n');
  assert.equal(missing.err, 'Error: No such object: nope\n');
});

void test('logs: frames split across chunks are demuxed', async () => {
  const r = await minke('logs', '--tail', '10', '-t', 'web');
  assert.equal(r.code, 0);
  assert.equal(r.out, 'line 1\nline 2\n');
  assert.equal(r.err, 'warn\n');
  const q = engine.requests.filter((x) => x.path === `/containers/${ID}/logs`).at(-1);
  assert.equal(q?.query.get('tail'), '10');
  assert.equal(q?.query.get('timestamps'), '1');
});

void test('errors: daemon messages, exit codes, unreachable engine', async () => {
  const rm = await minke('rm', 'nope');
  assert.equal(rm.code, 1);
  assert.equal(rm.err, 'Error response from daemon: No such container: nope\n');
  const bad = await minke('ps', '--bogus');
  assert.equal(bad.code, 125);
  assert.match(bad.err, /^unknown flag: --bogus\n/);
  const out = new Sink();
  const err = new Sink();
  const code = await runCli(['ps'], { out, err, env: { MINKE_HOST: 'unix:///nonexistent/minke.sock' } });
  assert.equal(code, 1);
  assert.equal(err.text, 'Cannot connect to the minke daemon at unix:///nonexistent/minke.sock. Is the minke daemon running?\n');
  const help = await minke('container', 'ls', '--help');
  assert.match(help.out, /^Usage:  minke container ls \[OPTIONS\]/);
});
