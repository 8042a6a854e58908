/**
 * The engine configured as dockerd is: daemon.json's keys reach `docker info` and containers
 * (runtimes, default ulimits, DNS), refusals read as dockerd's, and SIGHUP reloads what dockerd
 * reloads, with its `daemon reload` event.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { TestEngine, minkeBin, waitFor } from './harness.js';

/** One Engine API request over the engine's unix socket. */
function api(e: TestEngine, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath: e.socket, method, path, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} }, (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { out += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

interface Info {
  Labels: string[];
  Debug: boolean;
  DockerRootDir: string;
  Runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
  DefaultRuntime: string;
  LoggingDriver: string;
  RegistryConfig: { InsecureRegistryCIDRs: string[]; IndexConfigs: Record<string, { Name: string; Mirrors: string[]; Secure: boolean; Official: boolean }>; Mirrors: string[] };
}

async function info(e: TestEngine): Promise<Info> {
  return JSON.parse(await e.ok(['info', '--format', '{{json .}}'])) as Info;
}

describe('daemon.json', () => {
  let e: TestEngine;
  let file: string;
  let wrapperLog: string;
  let wrapper: string;
  before(async () => {
    const dir = new TestEngine().dir;
    file = join(dir, 'daemon.json');
    wrapperLog = join(dir, 'wrapper.log');
    wrapper = join(dir, 'runc-wrapper');
    // A runc-compatible runtime of the test's own: it notes how it was called, then is runc.
    writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> ${wrapperLog}\nexec /usr/sbin/runc "$@"\n`);
    chmodSync(wrapper, 0o755);
    writeFileSync(file, JSON.stringify({
      labels: ['tier=test', 'owner=minke'],
      runtimes: { wrapped: { path: wrapper, runtimeArgs: ['--rootless=false'] } },
      'insecure-registries': ['myreg:5000', '10.1.0.0/16'],
      'registry-mirrors': ['https://mirror.example.com'],
      dns: ['192.0.2.53'],
      'dns-search': ['example.com'],
      'dns-opts': ['ndots:2'],
      'default-ulimits': { nofile: { Name: 'nofile', Hard: 2048, Soft: 1024 } },
      'log-driver': 'json-file',
    }));
    e = new TestEngine({ args: ['--config-file', file] });
    await e.start();
    await e.importBusybox();
  });
  after(async () => {
    await e?.destroy();
  });

  test('docker info shows the configured values', async () => {
    const i = await info(e);
    assert.deepEqual(i.Labels, ['tier=test', 'owner=minke']);
    assert.equal(i.Debug, false);
    assert.equal(i.DockerRootDir, e.dataRoot);
    assert.deepEqual(i.Runtimes, { runc: { path: 'runc' }, wrapped: { path: wrapper, runtimeArgs: ['--rootless=false'] } });
    assert.equal(i.DefaultRuntime, 'runc');
    assert.equal(i.LoggingDriver, 'json-file');
    assert.deepEqual(i.RegistryConfig.InsecureRegistryCIDRs, ['10.1.0.0/16', '127.0.0.0/8']);
    assert.deepEqual(i.RegistryConfig.IndexConfigs['myreg:5000'], { Name: 'myreg:5000', Mirrors: [], Secure: false, Official: false });
    assert.deepEqual(i.RegistryConfig.Mirrors, ['https://mirror.example.com/']);
    // The CLI's own rendering.
    const text = await e.ok(['info']);
    assert.match(text, /Insecure Registries:\n\s+myreg:5000\n\s+10\.1\.0\.0\/16\n\s+127\.0\.0\.0\/8/);
    assert.match(text, /Registry Mirrors:\n\s+https:\/\/mirror\.example\.com\//);
  });

  test('a container naming a configured runtime runs with it; the others with runc', async () => {
    const out = await e.ok(['run', '--name', 'rt-wrapped', '--runtime', 'wrapped', 'busybox', 'echo', 'wrapped']);
    assert.equal(out, 'wrapped\n');
    assert.equal((await e.ok(['inspect', '--format', '{{.HostConfig.Runtime}}', 'rt-wrapped'])).trim(), 'wrapped');
    const calls = readFileSync(wrapperLog, 'utf8');
    assert.match(calls, /^--rootless=false --root=\S+ create /m);
    await e.ok(['rm', 'rt-wrapped']);
    // A running one is driven through the same runtime (pause, kill).
    await e.ok(['run', '-d', '--name', 'rt-running', '--runtime', 'wrapped', 'busybox', 'sleep', '600']);
    await e.ok(['pause', 'rt-running']);
    await e.ok(['unpause', 'rt-running']);
    await e.ok(['kill', 'rt-running']);
    for (const op of ['pause', 'resume', 'kill']) assert.match(readFileSync(wrapperLog, 'utf8'), new RegExp(`^--rootless=false --root=\\S+ ${op} `, 'm'), op);
    await e.ok(['rm', '-f', 'rt-running']);
    const before = readFileSync(wrapperLog, 'utf8');
    await e.ok(['run', '--name', 'rt-default', 'busybox', 'true']);
    assert.equal((await e.ok(['inspect', '--format', '{{.HostConfig.Runtime}}', 'rt-default'])).trim(), 'runc');
    assert.equal(readFileSync(wrapperLog, 'utf8'), before, 'the default runtime is not the wrapper');
    await e.ok(['rm', 'rt-default']);
  });

  test('an unknown runtime is refused at create with 400, leaving no container', async () => {
    const r = await api(e, 'POST', '/containers/create?name=rt-unknown', { Image: 'busybox', Cmd: ['true'], HostConfig: { Runtime: 'foobar' } });
    assert.equal(r.status, 400);
    assert.deepEqual(JSON.parse(r.body), { message: 'Unknown runtime specified foobar' });
    const cli = await e.docker(['create', '--runtime', 'foobar', 'busybox']);
    assert.match(cli.stderr, /Unknown runtime specified foobar/);
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '');
  });

  test('default ulimits and DNS settings apply where the container sets none', async () => {
    assert.equal((await e.ok(['run', '--rm', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn'])), '1024\n2048\n');
    assert.equal((await e.ok(['run', '--rm', '--ulimit', 'nofile=512:512', 'busybox', 'sh', '-c', 'ulimit -n'])), '512\n');
    const resolv = await e.ok(['run', '--rm', 'busybox', 'cat', '/etc/resolv.conf']);
    assert.match(resolv, /^nameserver 192\.0\.2\.53$/m);
    assert.match(resolv, /^search example\.com$/m);
    assert.match(resolv, /^options ndots:2$/m);
    const own = await e.ok(['run', '--rm', '--dns', '192.0.2.54', 'busybox', 'cat', '/etc/resolv.conf']);
    assert.match(own, /^nameserver 192\.0\.2\.54$/m);
    assert.doesNotMatch(own, /192\.0\.2\.53/);
    assert.match(own, /^search example\.com$/m, 'the search domains are the engine\'s still');
  });

  test('SIGHUP reloads labels, debug, registries and runtimes, and says so in a daemon reload event', async () => {
    const events = spawn('docker', ['events', '--filter', 'type=daemon', '--format', '{{json .}}'], { env: e.env });
    let seen = '';
    events.stdout.on('data', (d: Buffer) => { seen += d.toString(); });
    try {
      await waitFor(async () => Number(await e.ok(['info', '--format', '{{.NEventsListener}}'])) > 0, 'the events listener');
      const conf = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({
        ...conf, labels: ['tier=reloaded'], debug: true, 'registry-mirrors': ['https://m2.example.com'],
        runtimes: { other: { path: wrapper } }, 'default-runtime': 'other',
      }));
      e.signal('SIGHUP');
      await waitFor(() => seen.includes('"reload"'), 'the daemon reload event');
      const ev = JSON.parse(seen.trim().split('\n')[0]!) as { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } };
      assert.equal(ev.Type, 'daemon');
      assert.equal(ev.Action, 'reload');
      assert.equal(ev.Actor.Attributes.labels, '["tier=reloaded"]');
      assert.equal(ev.Actor.Attributes.debug, 'true');
      assert.equal(ev.Actor.Attributes['default-runtime'], 'other');
      assert.equal(ev.Actor.Attributes.runtimes, `other:${wrapper} runc:runc`);
      assert.equal(ev.Actor.Attributes['registry-mirrors'], '["https://m2.example.com"]');
    } finally {
      events.kill();
    }
    const i = await info(e);
    assert.deepEqual(i.Labels, ['tier=reloaded']);
    assert.equal(i.Debug, true);
    assert.equal(i.DefaultRuntime, 'other');
    assert.deepEqual(Object.keys(i.Runtimes).sort(), ['other', 'runc']);
    assert.deepEqual(i.RegistryConfig.Mirrors, ['https://m2.example.com/']);
    // The insecure registries stay: the file still sets them, to the same.
    assert.ok(i.RegistryConfig.IndexConfigs['myreg:5000']);
    // New containers take the new default runtime.
    await e.ok(['create', '--name', 'rt-after-reload', 'busybox', 'true']);
    assert.equal((await e.ok(['inspect', '--format', '{{.HostConfig.Runtime}}', 'rt-after-reload'])).trim(), 'other');
    await e.ok(['rm', 'rt-after-reload']);
    // Debug: the engine logs each call.
    await waitFor(() => /level=debug msg="Calling GET \/v[\d.]+\/info"/.test(e.logs), 'debug logging');

    // A file that does not decode changes nothing, and the engine says why.
    writeFileSync(file, '{"labels": "x"}');
    e.signal('SIGHUP');
    await waitFor(() => e.logs.includes('level=error msg="unable to configure the Docker daemon with file'), 'the reload error');
    assert.match(e.logs, /json: cannot unmarshal string into Go struct field Config\.labels of type \[\]string/);
    assert.deepEqual((await info(e)).Labels, ['tier=reloaded']);
  });
});

describe('SIGHUP: the log level and default ulimits', () => {
  const e = new TestEngine();
  const file = join(e.dir, 'daemon.json');
  before(async () => {
    writeFileSync(file, JSON.stringify({ 'default-ulimits': { nofile: { Name: 'nofile', Hard: 2048, Soft: 1024 } } }));
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());

  test('a reload sets the engine\'s log level and the ulimits of containers started from then on', async () => {
    assert.equal(await e.ok(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ulimit -n']), '1024\n');
    assert.doesNotMatch(e.logs, /level=debug/);
    writeFileSync(file, JSON.stringify({ 'log-level': 'debug', 'default-ulimits': { nofile: { Name: 'nofile', Hard: 4096, Soft: 3000 } } }));
    e.signal('SIGHUP');
    await waitFor(() => e.logs.includes('Reloaded configuration'), 'the reload');
    await e.ok(['info', '--format', '{{.ID}}']);
    await waitFor(() => /level=debug msg="Calling GET \/v[\d.]+\/info"/.test(e.logs), 'debug logging');
    assert.equal(await e.ok(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn']), '3000\n4096\n');
  });
});

describe('refusals at start', () => {
  const engines: TestEngine[] = [];
  after(async () => {
    for (const e of engines) await e.destroy();
  });

  /** Starts an engine on a daemon.json; resolves with what it said when it refused. */
  async function refused(conf: string, extra: string[] = []): Promise<string> {
    const e = new TestEngine();
    engines.push(e);
    const file = join(e.dir, 'daemon.json');
    writeFileSync(file, conf);
    const r = spawnSync(process.execPath, [minkeBin, 'daemon', '-H', e.host, '--data-root', e.dataRoot, '--exec-root', e.execRoot, '--bridge', e.bridge, '--config-file', file, ...extra], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, `the engine started: ${r.stderr}`);
    assert.equal(existsSync(e.socket), false, 'no socket is left');
    assert.equal(existsSync(e.dataRoot), false, 'the data root is not touched');
    return r.stderr;
  }

  test('a key set by a flag and the file, and keys no option knows', async () => {
    const out = await refused('{"bridge": "x", "labels": ["a=1"]}', ['--label', 'b=2']);
    assert.match(out, /the following directives are specified both as a flag and in the configuration file: bridge: \(from flag: mkt\w+, from file: x\), labels: \(from flag: \[b=2\], from file: \[a=1\]\)/);
    const unknown = await refused('{"storage-driver": "overlay2", "iptables": false}');
    assert.match(unknown, /the following directives don't match any configuration option: storage-driver, iptables/);
  });

  test('type errors and validation, in Go and dockerd words', async () => {
    assert.match(await refused('{"labels": "x"}'), /json: cannot unmarshal string into Go struct field Config\.labels of type \[\]string/);
    assert.match(await refused('{"default-runtime": "nope"}'), /configuration validation from file failed: specified default runtime 'nope' does not exist/);
    assert.match(await refused('{"dns": ["notip"]}'), /configuration validation from file failed: notip is not an ip address/);
  });

  test('--validate checks the configuration and exits', () => {
    const e = new TestEngine();
    engines.push(e);
    const file = join(e.dir, 'daemon.json');
    writeFileSync(file, '{"labels": ["a=1"], "debug": true}');
    const ok = spawnSync(process.execPath, [minkeBin, 'daemon', '--config-file', file, '--validate'], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stderr, 'configuration OK\n');
    writeFileSync(file, '{"debug": "yes"}');
    const bad = spawnSync(process.execPath, [minkeBin, 'daemon', '--config-file', file, '--validate'], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /json: cannot unmarshal string into Go struct field Config\.debug of type bool/);
  });

  test('the default file may be missing', { skip: existsSync('/etc/minke/daemon.json') ? 'this host has an /etc/minke/daemon.json' : false }, () => {
    const r = spawnSync(process.execPath, [minkeBin, 'daemon', '--validate'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
});
