// The real docker CLI (and the Engine API) against a minke engine: namespace modes shared by name,
// single-file binds, hostnames, and the checks dockerd makes at create, as moby's integration-cli
// suite exercises them.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TestEngine, waitFor } from './harness.js';

describe('docker CLI: namespace modes, binds, hostnames and create-time checks', { concurrency: false }, () => {
  const e = new TestEngine();
  before(async () => {
    await e.start();
    await e.importBusybox();
    await e.ok(['run', '-d', '--name', 'donor', '--ipc', 'shareable', 'busybox', 'sleep', '1000']);
  });
  after(() => e.destroy());
  afterEach(() => e.reset(['donor']));

  /** The Engine API straight: status code and body. */
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> => {
    const args = ['-s', '--unix-socket', e.socket, '-X', method, '-w', '\n%{http_code}', `http://x/v1.47${path}`];
    if (body !== undefined) args.push('-H', 'Content-Type: application/json', '-d', JSON.stringify(body));
    const r = await e.run('curl', args);
    const at = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(at + 1)), body: r.stdout.slice(0, at) };
  };

  it('binds a single file with -v', async () => {
    const file = join(e.dir, 'single-file');
    writeFileSync(file, 'from the host\n');
    assert.equal(await e.ok(['run', '--rm', '-v', `${file}:/f`, 'busybox', 'cat', '/f']), 'from the host\n');
    assert.equal(await e.ok(['run', '--rm', '-v', `${file}:/f:ro`, 'busybox', 'sh', '-c', 'echo x > /f 2>/dev/null || echo read-only']), 'read-only\n');
  });

  it("joins another container's network and PID namespaces by its name", async () => {
    const donorHost = (await e.ok(['inspect', '-f', '{{.Config.Hostname}}', 'donor'])).trim();
    assert.equal(await e.ok(['run', '--rm', '--network', 'container:donor', 'busybox', 'hostname']), `${donorHost}\n`);
    assert.match(await e.ok(['run', '--rm', '--pid', 'container:donor', 'busybox', 'ps']), /sleep 1000/);
    // the donor is shareable: its /dev/shm is the joiner's too
    await e.ok(['exec', 'donor', 'sh', '-c', 'echo shared > /dev/shm/x']);
    assert.equal(await e.ok(['run', '--rm', '--ipc', 'container:donor', 'busybox', 'cat', '/dev/shm/x']), 'shared\n');
    await e.ok(['run', '-d', '--name', 'private-ipc', '--ipc', 'private', 'busybox', 'sleep', '1000']);
    const refused = await e.docker(['run', '--rm', '--ipc', 'container:private-ipc', 'busybox', 'true']);
    assert.match(refused.stderr, /non-shareable IPC/);
    await e.ok(['rm', '-f', 'private-ipc']);
  });

  it("unmounts a shareable container's shared memory when it stops", async () => {
    const id = (await e.ok(['run', '-d', '--ipc', 'shareable', 'busybox', 'sleep', '1000'])).trim();
    const mounted = (): boolean => readFileSync('/proc/mounts', 'utf8').includes(`${id}/mounts/shm`);
    assert.ok(mounted(), 'mounted while it runs');
    await e.ok(['stop', '-t', '0', id]);
    assert.ok(!mounted(), 'gone once it stopped');
    await e.ok(['start', id]);
    assert.ok(mounted(), 'again at the next start');
    await e.ok(['rm', '-f', id]);
    assert.ok(!mounted(), 'gone with it');
  });

  it("shares the host's /dev/shm with --ipc host", async () => {
    const name = `minke-test-${randomBytes(4).toString('hex')}`;
    writeFileSync(`/dev/shm/${name}`, 'host shm\n');
    try {
      assert.equal(await e.ok(['run', '--rm', '--ipc', 'host', 'busybox', 'cat', `/dev/shm/${name}`]), 'host shm\n');
      // The host's message queues: its /dev/mqueue bound where it has one, else a new mqueue mount
      // of the (host's) IPC namespace; either way the container has an mqueue file system there.
      assert.match(await e.ok(['run', '--rm', '--ipc', 'host', 'busybox', 'grep', ' /dev/mqueue ', '/proc/mounts']), /^\S+ \/dev\/mqueue mqueue /m);
    } finally {
      rmSync(`/dev/shm/${name}`, { force: true });
    }
  });

  it('names the container as dockerd: the host name on the host network, a FQDN and its first label', async () => {
    assert.equal(await e.ok(['run', '--rm', '--network', 'host', 'busybox', 'hostname']), `${hostname()}\n`);
    assert.equal(await e.ok(['run', '--rm', '--network', 'host', '--hostname', 'foobar', 'busybox', 'hostname']), 'foobar\n');
    assert.match(await e.ok(['run', '--rm', '--hostname', 'foobar.example.com', 'busybox', 'cat', '/etc/hosts']), /\tfoobar\.example\.com foobar$/m);
    await e.ok(['run', '-d', '--name', 'fred-box', '--hostname', 'fred', 'busybox', 'sleep', '1000']);
    // a legacy link's line: the alias, the linked container's hostname, its name
    assert.match(await e.ok(['run', '--rm', '--link', 'fred-box:f', 'busybox', 'cat', '/etc/hosts']), /\tf fred fred-box$/m);
    await e.ok(['rm', '-f', 'fred-box']);
  });

  it('erases a variable named without a value, and refuses a negative user ID', async () => {
    const env = { ...e.env };
    delete env.MINKE_UNSET_VAR;
    const r = await e.run('docker', ['run', '--rm', '-e', 'MINKE_UNSET_VAR', '-e', 'HOSTNAME', 'busybox', 'env'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /MINKE_UNSET_VAR|HOSTNAME/);
    const neg = await e.docker(['run', '--rm', '-u', '-1', 'busybox', 'true']);
    assert.notEqual(neg.code, 0);
    assert.match(neg.stderr, /uids and gids must be in range 0-2147483647/);
  });

  it('refuses options that conflict with the network mode, with dockerd wording', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--network', 'container:donor', '--hostname', 'x'], /conflicting options: hostname and the network mode/],
      [['--network', 'container:donor', '--dns', '1.1.1.1'], /conflicting options: dns and the network mode/],
      [['--network', 'container:donor', '--add-host', 'a:1.2.3.4'], /conflicting options: custom host-to-IP mapping and the network mode/],
      [['--network', 'container:donor', '-p', '8080:80'], /conflicting options: port publishing and the container type network mode/],
      [['--network', 'container:donor', '--expose', '80'], /conflicting options: port exposing and the container type network mode/],
      [['--network', 'host', '--link', 'donor:d'], /conflicting options: host type networking can't be used with links/],
    ];
    for (const [opts, want] of cases) {
      const r = await e.docker(['create', ...opts, 'busybox', 'true']);
      assert.equal(r.code, 1, `${opts.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want);
    }
    assert.equal((await e.ok(['ps', '-aq', '--filter', 'status=created'])).trim(), '', 'nothing created');
  });

  it('checks resources and port bindings at create', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--cpuset-cpus', '1-42,,'], /Invalid value 1-42,, for cpuset cpus/],
      [['--cpuset-cpus', '4095'], /Requested CPUs are not available - requested 4095, available: 0-\d+/],
      [['--cpuset-mems', '42-3,1--'], /Invalid value 42-3,1-- for cpuset mems/],
      [['--memory-reservation', '1k'], /Minimum memory reservation allowed is 6MB/],
    ];
    for (const [opts, want] of cases) {
      const r = await e.docker(['create', ...opts, 'busybox', 'true']);
      assert.equal(r.code, 1, `${opts.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want);
    }
    const bad = await api('POST', '/containers/create', { Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 'aa80' }] } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /invalid port specification: \\"aa80\\"/);
    const key = await api('POST', '/containers/create', { Image: 'busybox', HostConfig: { PortBindings: { '19039;1230': [{}] } } });
    assert.equal(key.status, 400);
    assert.match(key.body, /invalid port/);
    // a body that does not say it is JSON is refused, as dockerd's CheckForJSON does
    const plain = await e.run('curl', ['-s', '--unix-socket', e.socket, '-H', 'Content-Type: text/plain', '-d', '{"Image":"busybox"}', 'http://x/v1.47/containers/create']);
    assert.equal(plain.stdout, '{"message":"unsupported Content-Type header (text/plain): must be \'application/json\'"}');
  });

  it('lists a container by its image ID once the name it ran from means another image', async () => {
    await e.ok(['tag', 'busybox', 'psimg:v1']);
    await e.ok(['run', '-d', '--name', 'psimg', 'psimg:v1', 'sleep', '1000']);
    const imageId = (await e.ok(['inspect', '-f', '{{.Image}}', 'psimg'])).trim();
    assert.equal((await e.ok(['ps', '--filter', 'name=psimg', '--format', '{{.Image}}'])).trim(), 'psimg:v1');
    await e.ok(['commit', 'psimg', 'psimg:v1']);
    assert.equal((await e.ok(['ps', '--no-trunc', '--filter', 'name=psimg', '--format', '{{.Image}}'])).trim(), imageId);
    await e.ok(['rm', '-f', 'psimg']);
  });

  it('leaves no cgroup behind with a relative --cgroup-parent (runc puts it below its own cgroup)', async () => {
    const parent = `minke-rel-${randomBytes(3).toString('hex')}`;
    const cgroupDirs = (name: string): string[] => {
      const r = spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '7', '-type', 'd', '-name', name], { encoding: 'utf8' });
      return r.stdout.split('\n').filter(Boolean);
    };
    try {
      for (const p of [parent, `../../x/../${parent}`]) {
        const id = (await e.ok(['run', '-d', '--cgroup-parent', p, 'busybox', 'true'])).trim();
        await e.ok(['wait', id]);
        await e.ok(['rm', id]);
        assert.deepEqual(cgroupDirs(id), [], `${p}: the container's cgroups are gone`);
      }
    } finally {
      for (const d of cgroupDirs(parent)) spawnSync('rmdir', [d]);
    }
  });

  it('takes Entrypoint and Cmd as one string, as Go does; execs go with their container', async () => {
    const made = await api('POST', '/containers/create?name=strcmd', { Image: 'busybox', Entrypoint: 'echo', Cmd: ['hello', 'world'] });
    assert.equal(made.status, 201, made.body);
    await e.ok(['start', '-a', 'strcmd']).then((out) => assert.equal(out, 'hello world\n'));
    // As dockerd: a body naming no field of Config has none; one with an image and no command has none to run.
    assert.equal((await api('POST', '/containers/create', {})).body, '{"message":"config cannot be empty in order to create a container"}');
    assert.equal((await api('POST', '/containers/create', { Image: '' })).body, '{"message":"no command specified"}');

    await e.ok(['run', '-d', '--name', 'execs', 'busybox', 'sleep', '1000']);
    const ex = JSON.parse((await api('POST', '/containers/execs/exec', { Cmd: ['true'] })).body) as { Id: string };
    assert.equal((await api('POST', '/containers/execs/exec', {})).status, 400, 'no command: 400');
    await e.ok(['stop', '-t', '0', 'execs']);
    assert.equal((await api('GET', `/exec/${ex.Id}/json`)).status, 404, 'the exec went with the process');
    await e.ok(['rm', 'execs', 'strcmd']);
  });

  it('exports a container that exits meanwhile as a whole tar, never an error in its place', async () => {
    for (let i = 0; i < 4; i++) {
      const id = (await e.ok(['run', '-d', 'busybox', 'true'])).trim();
      const out = join(e.dir, `export-${i}.tar`);
      const r = await e.run('sh', ['-c', `docker export ${id} > ${out}`]);
      assert.equal(r.code, 0, r.stderr);
      const list = spawnSync('tar', ['-tf', out], { encoding: 'utf8' });
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /^bin\/busybox$/m);
      await e.ok(['rm', '-f', id]);
    }
  });

  it('publishes the events of file, process and image operations; replays up to --until alone', async () => {
    const t0 = Math.floor(Date.now() / 1000) - 1;
    await e.ok(['run', '-d', '--name', 'evs', 'busybox', 'sleep', '1000']);
    await e.ok(['top', 'evs']);
    await e.ok(['update', '--memory', '64m', '--memory-swap', '128m', 'evs']);
    await e.ok(['cp', 'evs:/etc/hostname', join(e.dir, 'hostname-copy')]);
    await e.ok(['cp', join(e.dir, 'hostname-copy'), 'evs:/tmp/']);
    await e.ok(['commit', 'evs', 'evs-img:v1']);
    await e.run('sh', ['-c', `docker export evs > ${join(e.dir, 'evs.tar')}`]);
    await e.run('sh', ['-c', `docker save evs-img:v1 > ${join(e.dir, 'evs-img.tar')}`]);
    const until = String(Math.floor(Date.now() / 1000) + 1);
    await new Promise((r) => setTimeout(r, 1100));
    const actions = (await e.ok(['events', '--until', until, '--filter', 'container=evs', '--format', '{{.Action}}'])).trim().split('\n');
    for (const a of ['create', 'start', 'top', 'update', 'archive-path', 'extract-to-dir', 'commit', 'export']) assert.ok(actions.includes(a), `${a} in ${actions.join(' ')}`);
    assert.ok(Number(t0) > 0);
    const saved = await e.ok(['events', '--since', String(t0), '--until', until, '--filter', 'type=image', '--filter', 'event=save', '--format', '{{.Actor.Attributes.name}}']);
    assert.equal(saved.trim(), 'evs-img:v1');
    const bad = await e.docker(['events', '--since', until, '--until', String(t0)]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /`since` time \(\d+(\.\d+)?\) cannot be after `until` time/);
    await e.ok(['rm', '-f', 'evs']);
    await e.ok(['rmi', 'evs-img:v1']);
  });

  it('keeps legacy links through renames, refuses to start with a stopped one, refuses a digest-like tag', async () => {
    await e.ok(['run', '-d', '--name', 'ldb', 'busybox', 'sleep', '1000']);
    await e.ok(['create', '--name', 'lapp', '--link', 'ldb:/db', 'busybox', 'sh', '-c', 'env | grep ^DB_NAME']);
    assert.equal((await e.ok(['inspect', '-f', '{{json .HostConfig.Links}}', 'lapp'])).trim(), '["/ldb:/lapp/db"]');
    await e.ok(['rename', 'ldb', 'ldb2']);
    await e.ok(['rename', 'lapp', 'lapp2']);
    assert.equal((await e.ok(['inspect', '-f', '{{json .HostConfig.Links}}', 'lapp2'])).trim(), '["/ldb2:/lapp2/db"]');
    assert.equal(await e.ok(['start', '-a', 'lapp2']), 'DB_NAME=/lapp2/db\n');
    await e.ok(['stop', '-t', '0', 'ldb2']);
    const r = await e.docker(['start', 'lapp2']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Cannot link to a non running container: \/ldb2 AS \/lapp2\/db/);
    await e.ok(['rm', '-f', 'lapp2', 'ldb2']);
    const push = await e.docker(['push', '--quiet', 'nosuchimage']);
    assert.match(push.stderr, /An image does not exist locally with the tag: nosuchimage/);
    const tag = await e.docker(['tag', 'busybox', 'sha256:sometag']);
    assert.notEqual(tag.code, 0);
    assert.match(tag.stderr, /refusing to create an ambiguous tag using digest algorithm as name/);
  });

  it('gives logs --details the attributes the log options name, as dockerd', async () => {
    await e.ok(['run', '--name', 'det', '--label', 'foo=bar', '-e', 'baz=q ux', '--log-opt', 'labels=foo', '--log-opt', 'env=baz', 'busybox', 'echo', 'hello']);
    assert.equal(await e.ok(['logs', '--details', 'det']), 'baz=q+ux,foo=bar hello\n');
    await e.ok(['rm', 'det']);
  });

  it("rewrites a linking container's /etc/hosts when the linked one restarts", async () => {
    await e.ok(['run', '-d', '--name', 'one', 'busybox', 'sleep', '1000']);
    await e.ok(['run', '-d', '--name', 'two', '--link', 'one:onetwo', 'busybox', 'sleep', '1000']);
    await e.ok(['restart', '-t', '0', 'one']);
    const ip = (await e.ok(['inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', 'one'])).trim();
    assert.match(await e.ok(['exec', 'two', 'cat', '/etc/hosts']), new RegExp(`^${ip.replace(/\./g, '\\.')}\tonetwo `, 'm'));
    await e.ok(['rm', '-f', 'two', 'one']);
  });

  it('publishes ports on the network with the way out, at its host_binding_ipv4', async () => {
    await e.ok(['network', 'create', '--internal', 'only-inside']);
    await e.ok(['network', 'create', '-o', 'com.docker.network.bridge.host_binding_ipv4=127.0.0.1', 'loopback-bound']);
    await e.ok(['run', '-d', '--name', 'inside', '--network', 'only-inside', '-p', '80', 'busybox', 'sleep', '1000']);
    assert.equal(await e.ok(['port', 'inside']), '', 'an --internal network publishes nothing');
    await e.ok(['run', '-d', '--name', 'lo-bound', '--network', 'loopback-bound', '-p', '80', 'busybox', 'sleep', '1000']);
    assert.match(await e.ok(['port', 'lo-bound']), /^80\/tcp -> 127\.0\.0\.1:\d+$/m);
    await e.ok(['rm', '-f', 'inside', 'lo-bound']);
    await e.ok(['network', 'rm', 'only-inside', 'loopback-bound']);
  });

  it('survives a network removed while its DNS server waits on an upstream, and never asks itself', async () => {
    await e.ok(['network', 'create', 'dnsnet']);
    // 127.0.0.1:53 answers nothing here (the forward waits for its timeout); traffic stays on loopback
    const id = (await e.ok(['run', '-d', '--network', 'dnsnet', '--dns', '127.0.0.1', 'busybox', 'nslookup', 'example.invalid'])).trim();
    await new Promise((r) => setTimeout(r, 700));
    await e.ok(['rm', '-f', id]);
    await e.ok(['network', 'rm', 'dnsnet']);
    await new Promise((r) => setTimeout(r, 3500)); // past the forward's timeout
    assert.equal((await e.ok(['version', '--format', '{{.Server.Os}}'])).trim(), 'linux', 'the engine is up');
    await e.ok(['network', 'create', 'dnsnet2']);
    const gw = (await e.ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'dnsnet2'])).trim();
    // Against the same run without the lookup, so that a busy machine does not fail it.
    const tb = Date.now();
    await e.ok(['run', '--rm', '--network', 'dnsnet2', '--dns', gw, 'busybox', 'true']);
    const base = Date.now() - tb;
    const t0 = Date.now();
    const r = await e.docker(['run', '--rm', '--network', 'dnsnet2', '--dns', gw, 'busybox', 'nslookup', 'example.invalid']);
    assert.notEqual(r.code, 0);
    assert.ok(Date.now() - t0 < base + 2000, `SERVFAIL at once, not a loop or a timeout (${Date.now() - t0} ms against ${base} ms)`);
    await e.ok(['network', 'rm', 'dnsnet2']);
  });

  it("refuses a volume subpath that leaves the volume through a symlink, and mounts one inside", async () => {
    await e.ok(['volume', 'create', 'subv']);
    await e.ok(['run', '--rm', '-v', 'subv:/v', 'busybox', 'sh', '-c', 'mkdir -p /v/hack /v/ok && ln -s / /v/hack/root && ln -s root /v/hack/bad && echo in > /v/ok/f']);
    for (const sub of ['hack/root', 'hack/bad']) {
      const r = await e.docker(['run', '--rm', '--mount', `type=volume,src=subv,dst=/m,volume-subpath=${sub}`, 'busybox', 'ls', '/m']);
      assert.notEqual(r.code, 0, `${sub}: ${r.stdout}`);
      assert.match(r.stderr, /escapes base/);
    }
    const missing = await e.docker(['run', '--rm', '--mount', 'type=volume,src=subv,dst=/m,volume-subpath=nope', 'busybox', 'true']);
    assert.match(missing.stderr, /cannot access path/);
    assert.equal(await e.ok(['run', '--rm', '--mount', 'type=volume,src=subv,dst=/m,volume-subpath=ok', 'busybox', 'cat', '/m/f']), 'in\n');
    await e.ok(['container', 'prune', '-f']);
    await e.ok(['volume', 'rm', 'subv']);
  });

  it('refuses a prune filter it does not know rather than pruning everything', async () => {
    await e.ok(['create', '--name', 'keepme', '--label', 'keep=1', 'busybox', 'true']);
    const r = await api('POST', `/containers/prune?filters=${encodeURIComponent(JSON.stringify({ since: ['1h'] }))}`);
    assert.equal(r.status, 400);
    assert.match(r.body, /invalid filter 'since'/);
    await e.ok(['container', 'prune', '-f', '--filter', 'label!=keep']);
    assert.equal((await e.ok(['ps', '-aq', '--filter', 'name=keepme'])).trim().length, 12, 'label! keeps it');
    await e.ok(['rm', 'keepme']);
  });

  it('checks env, namespace modes and tmpfs targets at create; execs keep --group-add', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ Image: 'busybox', Env: ['=foo'] }, /invalid environment variable: =foo/],
      [{ Image: 'busybox', Env: [''] }, /invalid environment variable: /],
      [{ Image: 'busybox', HostConfig: { IpcMode: 'invalid' } }, /invalid IPC mode: invalid/],
      [{ Image: 'busybox', HostConfig: { PidMode: 'container' } }, /invalid PID mode: container/],
      [{ Image: 'busybox', HostConfig: { UTSMode: 'invalid' } }, /invalid UTS mode: invalid/],
      [{ Image: 'busybox', HostConfig: { Tmpfs: { foo: '' } } }, /mount path must be absolute/],
      [{ Image: 'busybox', HostConfig: { Tmpfs: { '//': '' } } }, /destination can't be '\/'/],
    ];
    for (const [body, want] of cases) {
      const r = await api('POST', '/containers/create', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body, want);
    }
    const trailing = await e.run('curl', ['-s', '--unix-socket', e.socket, '-H', 'Content-Type: application/json', '-d', '{} trailing', 'http://x/v1.47/containers/create']);
    assert.equal(trailing.stdout, '{"message":"unexpected content after JSON"}');
    await e.ok(['run', '-d', '--name', 'grp', '--group-add', '123', 'busybox', 'sleep', '1000']);
    assert.match(await e.ok(['exec', 'grp', 'id', '-G']), /\b123\b/);
    await e.ok(['rm', '-f', 'grp']);
  });

  it('copies a directory\'s content with "/." as "./...", refuses a file named as a directory', async () => {
    await e.ok(['run', '-d', '--name', 'cpd', 'busybox', 'sh', '-c', 'mkdir -p /bar/quux && echo x > /bar/quux/f && sleep 1000']);
    await new Promise((r) => setTimeout(r, 300));
    const out = join(e.dir, 'dot.tar');
    await e.run('curl', ['-s', '--unix-socket', e.socket, '-o', out, 'http://x/v1.47/containers/cpd/archive?path=/bar/quux/.']);
    assert.deepEqual(spawnSync('tar', ['-tf', out], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort(), ['./', './f']);
    const r = await e.docker(['cp', 'cpd:/etc/passwd/', join(e.dir, 'nodir')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not a directory/);
    const missing = await api('GET', '/containers/cpd/archive?path=/dne');
    assert.equal(missing.body, '{"message":"Could not find the file /dne in container cpd"}');
    await e.ok(['rm', '-f', 'cpd']);
  });

  it('ends an attach when the client\'s input ends, the container going on', async () => {
    await e.ok(['run', '-di', '--name', 'catter', 'busybox', 'cat']);
    // The CLI itself then waits for the container's exit, as it does with dockerd: its debug log
    // shows the engine ending the stream.
    const cli = spawn('docker', ['-D', 'attach', 'catter'], { env: e.env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    cli.stdin.end();
    try {
      await waitFor(() => /End of stdin[\s\S]*End of stdout/.test(stderr), 'the engine to end the attach stream');
    } catch (err) {
      throw new Error(`${(err as Error).message}; the CLI said: ${stderr}`);
    } finally {
      cli.kill('SIGKILL');
    }
    assert.equal((await e.ok(['inspect', '-f', '{{.State.Running}}', 'catter'])).trim(), 'true');
    // run -i (StdinOnce): the end of the input reaches the process, which ends
    assert.equal(await e.ok(['run', '-i', '--rm', 'busybox', 'cat'], { input: 'through\n' }), 'through\n');
    await e.ok(['rm', '-f', 'catter']);
  });

  it('ends an attach whose input ended with the request itself', async () => {
    // The request and the end of the input arrive together, so the engine sees the input end
    // while it is still connecting to the container (the race the CLI hit only under load).
    await e.ok(['run', '-di', '--name', 'catter2', 'busybox', 'cat']);
    for (let i = 0; i < 5; i++) {
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(e.socket);
        let got = '';
        s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
        s.on('end', () => resolve(got));
        s.on('error', reject);
        s.end('POST /v1.45/containers/catter2/attach?stdin=1&stdout=1&stderr=1&stream=1 HTTP/1.1\r\n' +
          'Host: engine\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n');
      });
      assert.match(answer, /^HTTP\/1.1 101 /);
    }
    assert.equal((await e.ok(['inspect', '-f', '{{.State.Running}}', 'catter2'])).trim(), 'true');
  });

  it('carries a large input through run -i and back while the container writes (no deadlock)', async () => {
    const file = join(e.dir, 'big-input');
    writeFileSync(file, randomBytes(8 * 1024 * 1024));
    const r = await e.run('sh', ['-c', `docker run --rm -i busybox cat < ${file} | cmp - ${file} && echo same`], { timeout: 60_000 });
    assert.equal(r.stdout, 'same\n', r.stderr);
  });

  it('takes a network MTU, answers OPTIONS, and gives system df by type', async () => {
    await e.ok(['network', 'create', '-o', 'com.docker.network.driver.mtu=1400', 'mtunet']);
    assert.equal(await e.ok(['run', '--rm', '--network', 'mtunet', 'busybox', 'cat', '/sys/class/net/eth0/mtu']), '1400\n');
    await e.ok(['network', 'rm', 'mtunet']);
    const bad = await e.docker(['network', 'create', '-o', 'com.docker.network.driver.mtu=abc', 'badmtu']);
    assert.match(bad.stderr, /invalid MTU number: abc/);
    assert.equal((await api('OPTIONS', '/')).status, 200);
    const df = JSON.parse((await api('GET', '/system/df?type=volume')).body) as Record<string, unknown>;
    assert.equal(df.Images, null);
    assert.equal(df.Containers, null);
    assert.ok(Array.isArray(df.Volumes));
  });

  it('stores the default masked and read-only paths, none when privileged', async () => {
    await e.ok(['create', '--name', 'masked', 'busybox']);
    await e.ok(['create', '--name', 'unmasked', '--privileged', 'busybox']);
    assert.match(await e.ok(['inspect', '-f', '{{json .HostConfig.MaskedPaths}} {{json .HostConfig.ReadonlyPaths}}', 'masked']), /"\/proc\/kcore".*"\/proc\/sys"/);
    assert.equal(await e.ok(['inspect', '-f', '{{json .HostConfig.MaskedPaths}} {{json .HostConfig.ReadonlyPaths}}', 'unmasked']), 'null null\n');
    await e.ok(['rm', 'masked', 'unmasked']);
  });

  it('saves every tag of a repository named bare, even without :latest', async () => {
    await e.ok(['tag', 'busybox', 'multi:foo']);
    await e.ok(['tag', 'busybox', 'multi:bar']);
    const out = join(e.dir, 'multi.tar');
    await e.ok(['save', '-o', out, 'multi']);
    const manifest = spawnSync('tar', ['-xOf', out, 'manifest.json'], { encoding: 'utf8' }).stdout;
    const tags = (JSON.parse(manifest) as Array<{ RepoTags: string[] }>).flatMap((m) => m.RepoTags).sort();
    assert.deepEqual(tags, ['multi:bar', 'multi:foo']);
    await e.ok(['rmi', 'multi:foo', 'multi:bar']);
  });

  it('runs top with BSD-style ps arguments and refuses renaming another column to PID', async () => {
    await e.ok(['run', '-d', '--name', 'topper', 'busybox', 'sleep', '1000']);
    for (const args of [['opid,cmd'], ['o', 'pid,cmd'], ['-ef']]) assert.match(await e.ok(['top', 'topper', ...args]), /sleep 1000/, args.join(' '));
    const bad = await e.docker(['top', 'topper', '-o', 'uid=PID,cmd']);
    assert.match(bad.stderr, /specifying "uid=PID,cmd" is not allowed/);
    await e.ok(['rm', '-f', 'topper']);
  });

  it('makes the working directory at create, so cp and commit see it before any start', async () => {
    const wdId = (await e.ok(['create', '--name', 'wd', '-w', '/home/foo/bar', 'busybox'])).trim();
    const r = await e.docker(['cp', 'wd:/home/foo/bar', join(e.dir, 'wd-copy')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await e.ok(['start', '-a', 'wd']), '');
    assert.equal(await e.ok(['run', '--rm', '-w', '/made/here', 'busybox', 'pwd']), '/made/here\n');
    await e.ok(['rm', 'wd']);
    assert.deepEqual(e.leftovers().mounts.filter((m) => m.includes(wdId)), []);
  });
});
