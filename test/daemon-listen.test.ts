/**
 * The engine reached as dockerd is: several -H at once, TCP with TLS and mutual TLS, driven by the
 * real docker CLI (flags, DOCKER_TLS_VERIFY + DOCKER_CERT_PATH, a context) and docker-py's TLS client.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { createServer } from 'node:net';
import { TestEngine, minkeBin, waitFor } from './harness.js';
import { makeCerts, type CertSet } from './tls-certs.js';

const PYTHON = '/usr/bin/python3';
const hasDockerPy = spawnSync(PYTHON, ['-c', 'import docker'], { stdio: 'ignore' }).status === 0;

/** The TCP port the engine bound for `-H tcp://127.0.0.1:0`, from its "API listen on" line. */
async function tcpPort(e: TestEngine): Promise<number> {
  let port = 0;
  await waitFor(() => {
    port = Number(/API listen on 127\.0\.0\.1:(\d+)/.exec(e.logs)?.[1] ?? 0);
    return port > 0;
  }, 'the TCP listener');
  return port;
}

/** Whether a TLS handshake (and a request) with this client certificate gets an answer. */
function tlsPing(port: number, certs: CertSet, client?: { cert: string; key: string }): Promise<string> {
  return new Promise((resolve) => {
    const s = tlsConnect({
      host: '127.0.0.1', port, ca: readPem(certs.ca), servername: 'localhost',
      ...(client ? { cert: readPem(client.cert), key: readPem(client.key) } : {}),
    });
    let out = '';
    s.on('secureConnect', () => s.write('GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    s.on('data', (d: Buffer) => { out += d.toString(); });
    s.on('error', (err) => resolve(`error: ${err.message}`));
    s.on('close', () => resolve(out));
  });
}

function readPem(path: string): Buffer {
  return readFileSync(path);
}

describe('mutual TLS (--tlsverify) beside the unix socket', () => {
  let e: TestEngine;
  let certs: CertSet;
  let port: number;
  let host: string;
  before(async () => {
    const dir = new TestEngine().dir;
    certs = makeCerts(join(dir, 'certs'));
    e = new TestEngine({ args: ['-H', 'tcp://127.0.0.1:0', '--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey] });
    await e.start();
    await e.importBusybox();
    port = await tcpPort(e);
    host = `tcp://127.0.0.1:${port}`;
  });
  after(async () => {
    await e?.destroy();
    if (certs) spawnSync('rm', ['-rf', join(certs.dir, '..')]);
  });

  test('the docker CLI with -H and --tlsverify, and the unix socket still', async () => {
    const r = await e.docker(['-H', host, '--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.clientCert, '--tlskey', certs.clientKey, 'version', '--format', '{{.Server.APIVersion}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^1\.\d+/);
    assert.match(await e.ok(['version', '--format', '{{.Server.APIVersion}}']), /^1\.\d+/);
    // Mutual TLS: no warning about plain TCP.
    assert.doesNotMatch(e.logs, /without --tlsverify/);
  });

  test('DOCKER_HOST + DOCKER_TLS_VERIFY + DOCKER_CERT_PATH: a container runs and attaches over TLS', async () => {
    const env = { DOCKER_HOST: host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs.clientDir };
    const r = await e.run('docker', ['run', '--rm', 'busybox', 'echo', 'hello over tls'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello over tls\n');
    const i = await e.run('docker', ['run', '--rm', '-i', 'busybox', 'cat'], { env, input: 'typed in\n' });
    assert.equal(i.stdout, 'typed in\n', i.stderr);
  });

  test('a docker context with the TLS material', async () => {
    const name = `minke-tls-${port}`;
    const c = await e.docker(['context', 'create', name, '--docker', `host=${host},ca=${certs.ca},cert=${certs.clientCert},key=${certs.clientKey}`]);
    assert.equal(c.code, 0, c.stderr);
    // The context is the only thing naming the engine: no DOCKER_HOST.
    const r = await e.run('docker', ['--context', name, 'info', '--format', '{{.DockerRootDir}}'], { env: { DOCKER_HOST: '' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), e.dataRoot);
  });

  test("docker-py's TLS client", { skip: hasDockerPy ? false : `${PYTHON} has no docker module` }, async () => {
    const script = [
      'import docker, sys',
      `tls = docker.tls.TLSConfig(client_cert=(${JSON.stringify(certs.clientCert)}, ${JSON.stringify(certs.clientKey)}), ca_cert=${JSON.stringify(certs.ca)}, verify=True)`,
      `c = docker.DockerClient(base_url=${JSON.stringify(`https://127.0.0.1:${port}`)}, tls=tls)`,
      'assert c.ping()',
      "print(c.containers.run('busybox', ['echo', 'py over tls'], remove=True).decode(), end='')",
    ].join('\n');
    // requests takes a CA bundle from the environment over the client's own (REQUESTS_CA_BUNDLE wins).
    const r = await e.run(PYTHON, ['-c', script], { env: { REQUESTS_CA_BUNDLE: '', CURL_CA_BUNDLE: '' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'py over tls\n');
  });

  test('a client without a certificate, or with one another CA signed, is refused', async () => {
    const noCert = await e.docker(['-H', host, '--tlsverify', '--tlscacert', certs.ca, 'version']);
    assert.notEqual(noCert.code, 0);
    assert.match(noCert.stderr, /certificate|tls|handshake|connection reset|EOF/i);
    const rogue = await e.docker(['-H', host, '--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.rogueCert, '--tlskey', certs.rogueKey, 'version', '--format', '{{.Server.Version}}']);
    assert.notEqual(rogue.code, 0);
    assert.equal(rogue.stdout.trim(), '');
    // The same handshake from Node: no answer to a rogue client, one to a signed one.
    assert.doesNotMatch(await tlsPing(port, certs, { cert: certs.rogueCert, key: certs.rogueKey }), /200 OK/);
    assert.match(await tlsPing(port, certs, { cert: certs.clientCert, key: certs.clientKey }), /200 OK[\s\S]*OK$/);
    // Plain HTTP on the TLS port gets no API answer.
    const plain = await e.docker(['-H', host, 'version', '--format', '{{.Server.Version}}']);
    assert.notEqual(plain.code, 0);
  });
});

describe('TLS without client verification, and plain TCP', () => {
  let certs: CertSet;
  const engines: TestEngine[] = [];
  before(() => {
    const e = new TestEngine();
    engines.push(e);
    certs = makeCerts(join(e.dir, 'certs'));
  });
  after(async () => {
    for (const e of engines) await e.destroy();
  });

  test('--tls serves any client over TLS, and warns as a listener without --tlsverify', async () => {
    const e = new TestEngine({ args: ['-H', 'tcp://127.0.0.1:0', '--tls', '--tlscert', certs.serverCert, '--tlskey', certs.serverKey] });
    engines.push(e);
    await e.start();
    const port = await tcpPort(e);
    // Clients without a certificate of their own, checking the engine's against the CA.
    assert.match(await tlsPing(port, certs), /200 OK[\s\S]*OK$/);
    const v = await e.docker(['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', certs.ca, 'version', '--format', '{{.Server.APIVersion}}']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(e.logs, /level=warning msg="Binding to IP address without --tlsverify is insecure/);
  });

  test("plain TCP on loopback serves and warns with dockerd's words", async () => {
    const e = new TestEngine({ args: ['-H', 'tcp://127.0.0.1:0'] });
    engines.push(e);
    await e.start();
    const port = await tcpPort(e);
    const r = await e.run('docker', ['info', '--format', '{{.DockerRootDir}}'], { env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
    assert.equal(r.stdout.trim(), e.dataRoot, r.stderr);
    const host = `host="tcp://127.0.0.1:0"`;
    assert.ok(e.logs.includes(`level=warning msg="Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network." ${host}`), e.logs);
    assert.ok(e.logs.includes(`level=warning msg="Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!" ${host}`), e.logs);
    // Beyond loopback dockerd says more; loopback gets only these two.
    assert.doesNotMatch(e.logs, /is deprecated/);
  });

  test('a port in use fails the start with the address, and leaves no socket', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    try {
      const e = new TestEngine({ args: ['-H', `tcp://127.0.0.1:${port}`] });
      engines.push(e);
      await assert.rejects(e.start(), new RegExp(`failed to load listeners: listen tcp 127\\.0\\.0\\.1:${port}: bind: address already in use`));
      assert.equal(spawnSync('test', ['-e', e.socket]).status, 1, 'the unix socket was removed');
    } finally {
      holder.close();
    }
  });

  test('--tlsverify without certificates fails as dockerd does', () => {
    const home = new TestEngine();
    engines.push(home);
    const r = spawnSync(process.execPath, [minkeBin, 'daemon', '--tlsverify', '-H', `unix://${home.socket}`, '--config-file', '/dev/null/none', '--validate'], { encoding: 'utf8' });
    // A missing named config file is refused first.
    assert.match(r.stderr, /unable to configure the Docker daemon with file \/dev\/null\/none: open \/dev\/null\/none: not a directory/);
    const empty = join(home.dir, 'empty.json');
    writeFileSync(empty, '{}');
    const t = spawnSync(process.execPath, [minkeBin, 'daemon', '--tlsverify', '-H', `unix://${home.socket}`, '--data-root', home.dataRoot, '--exec-root', home.execRoot, '--config-file', empty], {
      encoding: 'utf8', env: { ...process.env, HOME: home.dir, DOCKER_CERT_PATH: '' },
    });
    assert.equal(t.status, 1);
    assert.match(t.stderr, /failed to create API server: Could not load X509 key pair \(cert: "", key: ""\): open : no such file or directory/);
  });
});
