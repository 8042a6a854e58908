import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlags } from './flags.js';
import { loadDaemonConfig, parseUlimit } from './daemon-config.js';
import { registryInfo, reloadAttributes, reloadedSettings, settingsOf } from './settings.js';
import { plainTcpWarnings } from '../listeners.js';

const dir = mkdtempSync('/tmp/minke-config-unit-');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** The configuration from daemon.json text and flags. */
function load(json: string | undefined, ...args: string[]) {
  const file = join(dir, `daemon-${n++}.json`);
  if (json !== undefined) writeFileSync(file, json);
  return loadDaemonConfig(parseFlags(['--config-file', file, ...args]));
}

function fails(json: string | undefined, message: string | RegExp, ...args: string[]): void {
  assert.throws(() => load(json, ...args), (err: Error) => {
    if (typeof message === 'string') assert.ok(err.message.endsWith(message), `${err.message}\n  does not end with\n${message}`);
    else assert.match(err.message, message);
    return true;
  });
}

test('a key given both as a flag and in the file is refused, in flag-name order, with both values', () => {
  fails('{"labels":["a=1"],"debug":true,"log-level":"debug"}',
    'the following directives are specified both as a flag and in the configuration file: debug: (from flag: true, from file: true), labels: (from flag: [b=2], from file: [a=1]), log-level: (from flag: info, from file: debug)',
    '--label', 'b=2', '-D', '--log-level=info');
  fails('{"hosts":"x","log-opts":{"max-size":"1m"}}',
    'hosts: (from flag: [unix:///tmp/x.sock], from file: x), log-opts: (from flag: map[max-file:2], from file: map[max-size:1m])',
    '-H', 'unix:///tmp/x.sock', '--log-opt', 'max-file=2');
});

test('keys no option knows are named, nested objects flattened as dockerd does', () => {
  fails('{"foo":1,"labels":[]}', "the following directives don't match any configuration option: foo");
  fails('{"bar":{"x":1}}', "the following directives don't match any configuration option: x");
  fails('{"default-address-pools":{"base":"10.0.0.0/8"}}', "don't match any configuration option: base");
  // Maps of values are not flattened.
  assert.deepEqual(load('{"log-opts":{"max-size":"1m"}}').logOpts, { 'max-size': '1m' });
});

test('values are checked with Go types and words', () => {
  fails('{"labels":"x"}', 'json: cannot unmarshal string into Go struct field Config.labels of type []string');
  fails('{"debug":"yes"}', 'json: cannot unmarshal string into Go struct field Config.debug of type bool');
  fails('{"log-opts":{"max-size":5}}', 'json: cannot unmarshal number into Go struct field Config.log-opts of type string');
  fails('{"default-ulimits":{"nofile":{"Name":"nofile","Hard":1.5,"Soft":1}}}', 'json: cannot unmarshal number 1.5 into Go struct field Ulimit.default-ulimits.Hard of type int64');
  fails('{"runtimes":{"r":{"path":5}}}', 'json: cannot unmarshal number into Go struct field Runtime.runtimes.path of type string');
  fails('{"runtimes":{"r":"x"}}', 'json: cannot unmarshal string into Go struct field Config.runtimes of type types.Runtime');
  fails('{"default-address-pools":[{"base":"10.0.0.0/8","size":"x"}]}', 'json: cannot unmarshal string into Go struct field Config.default-address-pools of type int');
  fails('{"labels":["a=1"],}', "invalid character '}' looking for beginning of object key string");
  fails('', 'EOF');
});

test('the merged configuration is validated as dockerd validates it', () => {
  const v = 'configuration validation from file failed: ';
  fails('{"default-runtime":"nope"}', `${v}specified default runtime 'nope' does not exist`);
  fails('{"dns":["notip"]}', `${v}notip is not an ip address`);
  fails('{"dns-search":["-bad-"]}', `${v}-bad- is not a valid domain`);
  fails('{"labels":["novalue"]}', `${v}bad attribute format: novalue`);
  fails('{"runtimes":{"runc":{"path":"/x"}}}', `${v}runtime name 'runc' is reserved`);
  fails('{"labels":["a=1","a=2"]}', 'conflict labels for a=2 and a=1');
  fails('{"log-level":"loud"}', 'unable to parse logging level: loud');
  fails('{"registry-mirrors":["ftp://x"]}', 'invalid mirror: unsupported scheme "ftp" in "ftp://x"');
  // Flags are checked as their values are set.
  fails('{}', 'invalid argument "notip" for "--dns" flag: notip is not an ip address', '--dns', 'notip');
  fails('{}', `invalid argument "runc=/x" for "--add-runtime" flag: runtime name 'runc' is reserved`, '--add-runtime', 'runc=/x');
  fails('{}', 'invalid argument "nofile=2:1" for "--default-ulimit" flag: ulimit soft limit must be less than or equal to hard limit: 2 > 1', '--default-ulimit', 'nofile=2:1');
});

test('a named file must exist; the default one may be missing', () => {
  const missing = join(dir, 'none.json');
  assert.throws(() => loadDaemonConfig(parseFlags(['--config-file', missing])), { message: `unable to configure the Docker daemon with file ${missing}: open ${missing}: no such file or directory` });
});

test('values land where the engine reads them; flags and file combine', () => {
  const c = load(JSON.stringify({
    labels: ['a=1', 'a=1'], runtimes: { myrt: { path: '/bin/rt', runtimeArgs: ['--x'] } }, 'default-runtime': 'myrt',
    'default-ulimits': { nofile: { Name: 'nofile', Hard: 2048, Soft: 1024 } }, 'default-address-pools': [{ base: '10.9.0.0/16', size: 24 }],
    dns: ['1.1.1.1'], 'log-driver': 'json-file', hosts: ['tcp://127.0.0.1:2375', 'unix:///tmp/a.sock'],
  }), '--data-root', '/tmp/d');
  assert.deepEqual(c.labels, ['a=1']);
  assert.deepEqual(c.runtimes, { myrt: { path: '/bin/rt', runtimeArgs: ['--x'] } });
  assert.equal(c.defaultRuntime, 'myrt');
  assert.deepEqual(c.defaultUlimits, { nofile: { Name: 'nofile', Hard: 2048, Soft: 1024 } });
  assert.deepEqual(c.defaultAddressPools, ['base=10.9.0.0/16,size=24']);
  assert.deepEqual(c.hosts, ['tcp://127.0.0.1:2375', 'unix:///tmp/a.sock']);
  assert.equal(c.dataRoot, '/tmp/d');
  assert.ok(c.fileKeys.has('labels') && !c.fileKeys.has('data-root'));
  // null leaves the default, as Go's decoder does.
  assert.deepEqual(load('{"labels":null}').labels, []);
});

test('--tlsverify asks for TLS, even set to false; certificates default to DOCKER_CERT_PATH', () => {
  const certs = mkdtempSync(join(dir, 'certs-'));
  writeFileSync(join(certs, 'cert.pem'), '');
  const before = process.env.DOCKER_CERT_PATH;
  process.env.DOCKER_CERT_PATH = certs;
  try {
    const c = load('{}', '--tlsverify=false');
    assert.equal(c.tls, true);
    assert.equal(c.tlsVerify, false);
    assert.equal(c.tlsCert, join(certs, 'cert.pem'));
    // A default key pair file that does not exist is not named (dockerd then fails loading "").
    assert.equal(c.tlsKey, '');
    assert.equal(c.tlsCaCert, join(certs, 'ca.pem'));
    assert.deepEqual(c.hosts, ['tcp://localhost:2376']);
    assert.equal(load('{"tlsverify":true}').tls, true);
    assert.equal(load('{}').tls, false);
  } finally {
    if (before === undefined) delete process.env.DOCKER_CERT_PATH;
    else process.env.DOCKER_CERT_PATH = before;
  }
});

test('ulimits as go-units parses them', () => {
  assert.deepEqual(parseUlimit('nofile=1024:2048'), { Name: 'nofile', Soft: 1024, Hard: 2048 });
  assert.deepEqual(parseUlimit('core=-1'), { Name: 'core', Soft: -1, Hard: -1 });
  assert.throws(() => parseUlimit('bogus=1'), { message: 'invalid ulimit type: bogus' });
  assert.throws(() => parseUlimit('nofile'), { message: 'invalid ulimit argument: nofile' });
});

test('a reload replaces what the file sets and keeps the rest', () => {
  const start = settingsOf(load('{"labels":["a=1"],"insecure-registries":["r:5000"]}'));
  const next = reloadedSettings(start, load('{"debug":true,"runtimes":{"x":{"path":"/bin/x"}},"default-runtime":"x"}'));
  assert.deepEqual(next.labels, ['a=1']);
  assert.deepEqual(next.insecureRegistries, ['r:5000']);
  assert.equal(next.debug, true);
  assert.equal(next.defaultRuntime, 'x');
  assert.deepEqual(reloadAttributes(next, 'host1'), {
    debug: 'true', 'default-runtime': 'x', 'insecure-registries': '["r:5000"]', labels: '["a=1"]', 'live-restore': 'true',
    name: 'host1', 'registry-mirrors': '[]', runtimes: 'runc:runc x:/bin/x',
  });
});

test("docker info's RegistryConfig as dockerd's registry service builds it", () => {
  const warnings: string[] = [];
  const r = registryInfo(['myreg:5000', '10.1.2.3/16', 'http://plain:80'], ['https://mirror.example.com'], (m) => warnings.push(m));
  assert.deepEqual(r.InsecureRegistryCIDRs, ['10.1.0.0/16', '127.0.0.0/8']);
  assert.deepEqual(Object.keys(r.IndexConfigs).sort(), ['docker.io', 'myreg:5000', 'plain:80']);
  assert.deepEqual(r.IndexConfigs['docker.io'], { Name: 'docker.io', Mirrors: ['https://mirror.example.com/'], Secure: true, Official: true });
  assert.deepEqual(r.Mirrors, ['https://mirror.example.com/']);
  assert.match(warnings[0]!, /insecure registry http:\/\/plain:80 should not contain 'http:\/\/'/);
});

test('plain TCP warnings: every listener without mutual TLS, more beyond loopback unless TLS was turned off explicitly', () => {
  assert.equal(plainTcpWarnings(true, false).length, 2);
  assert.match(plainTcpWarnings(true, false)[0]!, /^Binding to IP address without --tlsverify is insecure/);
  assert.equal(plainTcpWarnings(false, false).length, 6);
  assert.match(plainTcpWarnings(false, false)[2]!, /is deprecated\. Startup is intentionally being slowed down/);
  assert.equal(plainTcpWarnings(false, true).length, 2);
});
