// Engine API bodies checked by type as dockerd's decoder does (the words checked against dockerd
// 20.10, the struct names and statuses of current moby), field names in any case, through raw
// requests on the socket and the docker CLI.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestEngine } from './harness.js';

describe('Engine API: request bodies decoded by their Go types', { concurrency: false }, () => {
  const e = new TestEngine();
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

  /** A raw request: the body as given (not re-encoded), status and body back. */
  const raw = async (method: string, path: string, body?: string, contentType = 'application/json'): Promise<{ status: number; body: string }> => {
    const args = ['-s', '--unix-socket', e.socket, '-X', method, '-w', '\n%{http_code}', `http://x/v1.47${path}`];
    if (body !== undefined) args.push('-H', `Content-Type: ${contentType}`, '--data-binary', body);
    const r = await e.run('curl', args);
    const at = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(at + 1)), body: r.stdout.slice(0, at) };
  };
  const refusal = async (method: string, path: string, body: string): Promise<string> => {
    const r = await raw(method, path, body);
    assert.equal(r.status, 400, `${path} ${body}: ${r.body}`);
    return (JSON.parse(r.body) as { message: string }).message;
  };

  it('refuses a create body of the wrong types with 400 and Go\'s words, and makes nothing', async () => {
    const cases: Array<[string, string]> = [
      ['{"Image":5}', 'invalid JSON: json: cannot unmarshal number into Go struct field CreateRequest.Image of type string'],
      ['{"Image":"busybox","HostConfig":{"Memory":"lots"}}', 'invalid JSON: json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64'],
      ['{"Image":"busybox","HostConfig":{"Binds":[5]}}', 'invalid JSON: json: cannot unmarshal number into Go struct field HostConfig.HostConfig.Binds of type string'],
      ['{"Image":"busybox","Labels":{"a":5}}', 'invalid JSON: json: cannot unmarshal number into Go struct field CreateRequest.Labels of type string'],
      ['{"Image":"busybox","HostConfig":{"BlkioWeight":70000}}', 'invalid JSON: json: cannot unmarshal number 70000 into Go struct field HostConfig.HostConfig.BlkioWeight of type uint16'],
      ['{"Image":"busybox","HostConfig":{"Memory":9223372036854775808}}', 'invalid JSON: json: cannot unmarshal number 9223372036854775808 into Go struct field HostConfig.HostConfig.Memory of type int64'],
      ['{"Image":"busybox","HostConfig":{"Mounts":[{"Type":"bind","Target":5}]}}', 'invalid JSON: json: cannot unmarshal number into Go struct field Mount.HostConfig.Mounts.Target of type string'],
      ['{"Image":"busybox","Cmd":{}}', 'invalid JSON: json: cannot unmarshal object into Go struct field CreateRequest.Cmd of type string'],
      ['[]', 'invalid JSON: json: cannot unmarshal array into Go value of type container.CreateRequest'],
      ['', 'invalid JSON: got EOF while reading request body'],
      ['{', 'invalid JSON: unexpected EOF'],
      ['{"Image":}', "invalid JSON: invalid character '}' looking for beginning of value"],
      ['{"Image":"busybox"} x', 'unexpected content after JSON'],
      ['null', 'config cannot be empty in order to create a container'],
    ];
    for (const [body, want] of cases) assert.equal(await refusal('POST', '/containers/create', body), want, body);
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '', 'no container was made');
    assert.deepEqual(e.leftovers(), { mounts: [], conmon: [], runc: [], snapshots: [] });
  });

  it('matches field names in any case, as Go does: a lowercase body creates and runs', async () => {
    const made = await raw('POST', '/containers/create?name=lower', '{"image":"busybox","cmd":["sh","-c","echo lower; grep -c \' /x tmpfs\' /proc/mounts"],"hostconfig":{"TmpFs":{"/x":""}},"Bogus":1}');
    assert.equal(made.status, 201, made.body);
    assert.equal(await e.ok(['start', '-a', 'lower']), 'lower\n1\n');
    assert.equal((await e.ok(['inspect', '-f', '{{json .HostConfig.Tmpfs}}', 'lower'])).trim(), '{"/x":""}');
  });

  it('checks the bodies of update, exec, network and volume routes by their types', async () => {
    await e.ok(['run', '-d', '--name', 'box', 'busybox', 'sleep', '1000']);
    assert.equal(await refusal('POST', '/containers/box/update', '{"Memory":"x"}'), 'invalid JSON: json: cannot unmarshal string into Go struct field UpdateConfig.Memory of type int64');
    assert.equal(await refusal('POST', '/containers/box/update', '{"RestartPolicy":{"MaximumRetryCount":"x"}}'),
      'invalid JSON: json: cannot unmarshal string into Go struct field RestartPolicy.RestartPolicy.MaximumRetryCount of type int');
    assert.equal(await refusal('POST', '/containers/box/exec', '{"Cmd":"ls"}'), 'invalid JSON: json: cannot unmarshal string into Go struct field ExecOptions.Cmd of type []string');
    assert.equal(await refusal('POST', '/networks/create', '{"Name":"n","IPAM":{"Config":[{"Subnet":5}]}}'),
      'invalid JSON: json: cannot unmarshal number into Go struct field IPAMConfig.IPAM.Config.Subnet of type string');
    assert.equal(await refusal('POST', '/networks/bridge/disconnect', '{"Force":"x"}'), 'invalid JSON: json: cannot unmarshal string into Go struct field DisconnectOptions.Force of type bool');
    assert.equal(await refusal('POST', '/volumes/create', '{"Labels":{"a":1}}'), 'invalid JSON: json: cannot unmarshal number into Go struct field CreateOptions.Labels of type string');
    assert.equal(await refusal('POST', '/commit?container=box', '{"Cmd":5}'), 'invalid JSON: json: cannot unmarshal number into Go struct field CreateRequest.Cmd of type string');
    assert.equal(await refusal('POST', '/volumes/create', '{"Name":"x"} {}'), 'unexpected content after JSON');
    // A body of nothing is the type's zero value where dockerd reads it with ReadJSON.
    const vol = await raw('POST', '/volumes/create', '');
    assert.equal(vol.status, 201, vol.body);
    // Names too long for a file are the request's fault.
    const long = await refusal('POST', '/volumes/create', JSON.stringify({ Name: 'v'.repeat(300) }));
    assert.match(long, /^create v+: mkdir \S+: file name too long$/);
    const vols = (await e.ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean);
    await e.ok(['volume', 'rm', ...vols]);
  });

  it('takes bad query parameters as dockerd does, never as a JavaScript error', async () => {
    await e.ok(['create', '--name', 'qq', 'busybox', 'true']);
    // Go's regexp refusing a name filter's pattern: it matches nothing.
    const ps = await raw('GET', `/containers/json?all=1&filters=${encodeURIComponent('{"name":["("]}')}`);
    assert.deepEqual([ps.status, ps.body], [200, '[]']);
    const img = await raw('GET', `/images/json?filters=${encodeURIComponent('{"reference":["[z-a]"]}')}`);
    assert.deepEqual([img.status, JSON.parse(img.body)], [400, { message: 'syntax error in pattern' }]);
    const esc = await raw('GET', '/containers/qq%zz/json');
    assert.deepEqual([esc.status, JSON.parse(esc.body)], [400, { message: 'invalid URL escape "%zz"' }]);
  });

  it('connects a container once when two connects race (the docker CLI, at once)', async () => {
    await e.ok(['network', 'create', 'racenet']);
    try {
      await e.ok(['run', '-d', '--name', 'racer', 'busybox', 'sleep', '1000']);
      const both = await Promise.all([e.docker(['network', 'connect', 'racenet', 'racer']), e.docker(['network', 'connect', 'racenet', 'racer'])]);
      assert.deepEqual(both.map((r) => r.code).sort(), [0, 1], both.map((r) => r.stderr).join('\n'));
      assert.match(both.find((r) => r.code === 1)!.stderr, /endpoint with name racer already exists in network racenet/);
      assert.equal((await e.ok(['exec', 'racer', 'sh', '-c', 'ls /sys/class/net | grep -c eth'])).trim(), '2');
      await e.ok(['rm', '-f', 'racer']);
    } finally {
      await e.docker(['network', 'rm', 'racenet']);
    }
  });
});
