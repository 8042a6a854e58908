// The real docker CLI against a minke engine: volumes (named, anonymous, driver options) and the
// mounts containers make of them (-v, --mount, --volumes-from, image VOLUMEs), docker cp through
// them, inspect, events, prune and system df.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { TestEngine, waitFor } from './harness.js';

interface MountView {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

describe('docker CLI: volumes', { concurrency: false }, () => {
  const e = new TestEngine();
  const mountedUnder = (dir: string): string[] =>
    readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(dir));
  const volumes = async (): Promise<string[]> => (await e.ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean);

  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

  it('creates, lists, inspects and removes volumes with docker output', async () => {
    assert.equal(await e.ok(['volume', 'create', 'v1']), 'v1\n');
    assert.equal(await e.ok(['volume', 'create', 'v1']), 'v1\n', 'creating an existing name returns it');
    const anon = (await e.ok(['volume', 'create'])).trim();
    assert.match(anon, /^[0-9a-f]{64}$/);
    await e.ok(['volume', 'create', '--label', 'team=a', '--label', 'x', 'v2']);
    const ls = await e.ok(['volume', 'ls']);
    assert.equal(ls, `DRIVER    VOLUME NAME\nlocal     ${anon}\nlocal     v1\nlocal     v2\n`);
    assert.equal(await e.ok(['volume', 'ls', '-q', '--filter', 'label=team=a']), 'v2\n');
    assert.equal(await e.ok(['volume', 'ls', '-q', '--filter', 'name=^v']), 'v1\nv2\n');
    const [v2] = JSON.parse(await e.ok(['volume', 'inspect', 'v2'])) as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(v2!), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    assert.equal(v2!.Driver, 'local');
    assert.equal(v2!.Scope, 'local');
    assert.deepEqual(v2!.Labels, { team: 'a', x: '' });
    assert.equal(v2!.Options, null);
    assert.equal(v2!.Mountpoint, join(e.dataRoot, 'volumes', 'v2', '_data'));
    assert.match(String(v2!.CreatedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal((await e.ok(['volume', 'inspect', '-f', '{{json .Labels}}', anon])).trim(), '{"com.docker.volume.anonymous":""}');

    const missing = await e.docker(['volume', 'inspect', 'nosuch']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error response from daemon: get nosuch: no such volume\n');
    const badOpt = await e.docker(['volume', 'create', '-o', 'foo=bar', 'bad']);
    assert.equal(badOpt.code, 1);
    assert.equal(badOpt.stderr, 'Error response from daemon: create bad: invalid option: "foo"\n');
    const badName = await e.docker(['volume', 'create', 'a/b']);
    assert.match(badName.stderr, /create a\/b: "a\/b" includes invalid characters for a local volume name/);
    const badDriver = await e.docker(['volume', 'create', '-d', 'nfs', 'x1']);
    assert.match(badDriver.stderr, /create x1: error looking up volume plugin nfs: plugin "nfs" not found/);

    assert.equal(await e.ok(['volume', 'rm', 'v1', 'v2', anon]), `v1\nv2\n${anon}\n`);
    const gone = await e.docker(['volume', 'rm', 'v1']);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, 'Error response from daemon: get v1: no such volume\n');
    assert.equal((await e.docker(['volume', 'rm', '-f', 'v1'])).code, 0);
    assert.deepEqual(await volumes(), []);
    assert.equal(existsSync(join(e.dataRoot, 'volumes', 'v1')), false);
  });

  it('keeps a named volume\'s data after its container is removed', async () => {
    await e.ok(['run', '--name', 'writer', '-v', 'keep:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f']);
    await e.ok(['rm', '-v', 'writer']);
    assert.deepEqual(await volumes(), ['keep'], 'rm -v never removes a named volume');
    assert.equal(await e.ok(['run', '--rm', '-v', 'keep:/other', 'busybox', 'cat', '/other/f']), 'kept\n');
    assert.equal(await e.ok(['run', '--rm', '--mount', 'type=volume,source=keep,target=/m', 'busybox', 'cat', '/m/f']), 'kept\n');
    await e.ok(['volume', 'rm', 'keep']);
  });

  it('copies image content into a new volume, keeping owners and modes, unless nocopy', async () => {
    await e.ok(['run', '--name', 'src', 'busybox', 'sh', '-c',
      'mkdir -p /data/sub && echo img > /data/sub/f && chown -R 1234:5678 /data && chmod 750 /data && chmod 600 /data/sub/f']);
    await e.ok(['commit', '--change', 'VOLUME /data', 'src', 'withvol']);
    await e.ok(['rm', 'src']);
    const stat = 'stat -c "%u:%g %a" /data /data/sub/f && cat /data/sub/f';
    assert.equal(await e.ok(['run', '--rm', 'withvol', 'sh', '-c', stat]), '1234:5678 750\n1234:5678 600\nimg\n', 'anonymous volume from the image');
    assert.equal(await e.ok(['run', '--rm', '-v', 'cu:/data', 'withvol', 'sh', '-c', stat]), '1234:5678 750\n1234:5678 600\nimg\n', 'named volume');
    // a volume with data is not overwritten
    await e.ok(['run', '--rm', '-v', 'cu:/data', 'busybox', 'sh', '-c', 'echo mine > /data/sub/f']);
    assert.equal(await e.ok(['run', '--rm', '-v', 'cu:/data', 'withvol', 'cat', '/data/sub/f']), 'mine\n');
    assert.equal(await e.ok(['run', '--rm', '--mount', 'type=volume,source=nc,target=/data,volume-nocopy', 'withvol', 'ls', '-A', '/data']), '');
    assert.equal(await e.ok(['run', '--rm', '-v', 'nc2:/data:nocopy', 'withvol', 'ls', '-A', '/data']), '');
    await e.ok(['volume', 'rm', 'cu', 'nc', 'nc2']);
    assert.deepEqual(await volumes(), [], '--rm removed the anonymous volumes');
  });

  it('mounts volumes read-only', async () => {
    await e.ok(['volume', 'create', 'rov']);
    for (const args of [['-v', 'rov:/d:ro'], ['--mount', 'type=volume,src=rov,dst=/d,readonly']]) {
      const r = await e.docker(['run', '--rm', ...args, 'busybox', 'touch', '/d/x']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Read-only file system/);
    }
    await e.ok(['volume', 'rm', 'rov']);
  });

  it('shares volumes with --volumes-from, read-only on request', async () => {
    await e.ok(['create', '--name', 'store', '-v', 'shared:/shared', '-v', '/anon', 'busybox']);
    await e.ok(['run', '--rm', '--volumes-from', 'store', 'busybox', 'sh', '-c', 'echo s > /shared/f; echo a > /anon/f']);
    assert.equal(await e.ok(['run', '--rm', '--volumes-from', 'store:ro', 'busybox', 'cat', '/shared/f', '/anon/f']), 's\na\n');
    const ro = await e.docker(['run', '--rm', '--volumes-from', 'store:ro', 'busybox', 'touch', '/anon/g']);
    assert.match(ro.stderr, /Read-only file system/);
    const missing = await e.docker(['run', '--rm', '--volumes-from', 'nosuch', 'busybox', 'true']);
    assert.equal(missing.code, 125);
    assert.equal(missing.stderr.split('\n')[0], 'docker: Error response from daemon: No such container: nosuch');
    assert.equal((await volumes()).length, 2);
    await e.ok(['rm', '-v', 'store']);
    assert.deepEqual(await volumes(), ['shared'], 'rm -v removed the anonymous volume only');
    await e.ok(['volume', 'rm', 'shared']);
  });

  it('refuses to remove a volume in use by any container, running or not', async () => {
    const id = (await e.ok(['create', '--name', 'user', '-v', 'inuse:/x', 'busybox'])).trim();
    const r = await e.docker(['volume', 'rm', 'inuse']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error response from daemon: remove inuse: volume is in use - [${id}]\n`);
    assert.equal((await e.docker(['volume', 'rm', '-f', 'inuse'])).code, 1, 'force does not override use');
    assert.equal(await e.ok(['volume', 'ls', '-q', '--filter', 'dangling=false']), 'inuse\n');
    await e.ok(['rm', 'user']);
    assert.equal(await e.ok(['volume', 'ls', '-q', '--filter', 'dangling=true']), 'inuse\n');
    await e.ok(['volume', 'rm', 'inuse']);
  });

  it('removes anonymous volumes with rm -v and --rm, and prunes unused ones', async () => {
    await e.ok(['create', '--name', 'an', '-v', '/anon', 'busybox']);
    assert.equal((await volumes()).length, 1);
    await e.ok(['rm', '-v', 'an']);
    assert.deepEqual(await volumes(), []);
    await e.ok(['run', '--rm', '-v', '/anon', '--mount', 'type=volume,target=/m', 'busybox', 'true']);
    assert.deepEqual(await volumes(), []);

    // prune: anonymous by default, all unused with -a, never one in use
    await e.ok(['create', '--name', 'an2', '-v', '/anon', 'busybox']);
    await e.ok(['rm', 'an2']);
    const anon = (await volumes())[0]!;
    await e.ok(['volume', 'create', 'named1']);
    await e.ok(['volume', 'create', '--label', 'keep=yes', 'named2']);
    await e.ok(['create', '--name', 'holder', '-v', 'held:/h', 'busybox']);
    assert.equal(await e.ok(['volume', 'prune', '-f']), `Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 0B\n`);
    assert.equal(await e.ok(['volume', 'prune', '-af', '--filter', 'label!=keep']), 'Deleted Volumes:\nnamed1\n\nTotal reclaimed space: 0B\n');
    await e.ok(['run', '--rm', '-v', 'named2:/d', 'busybox', 'sh', '-c', 'head -c 1000 /dev/zero > /d/f']);
    assert.equal(await e.ok(['volume', 'prune', '-af']), 'Deleted Volumes:\nnamed2\n\nTotal reclaimed space: 1kB\n');
    assert.deepEqual(await volumes(), ['held']);
    await e.ok(['rm', 'holder']);
    await e.ok(['create', '--name', 'an3', '-v', '/anon', 'busybox']);
    await e.ok(['rm', 'an3']);
    const sp = await e.ok(['system', 'prune', '--volumes', '-f']);
    assert.match(sp, /Deleted Volumes:\n[0-9a-f]{64}\n/);
    assert.deepEqual(await volumes(), ['held']);
    await e.ok(['volume', 'rm', 'held']);
  });

  it('mounts a tmpfs volume while containers use it', async () => {
    await e.ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=10m', 'tv']);
    const mp = join(e.dataRoot, 'volumes', 'tv', '_data');
    await e.ok(['run', '-d', '--name', 't1', '-v', 'tv:/t', 'busybox', 'sh', '-c', 'echo a > /t/f; sleep 100']);
    await waitFor(() => mountedUnder(mp).length === 1, 'tmpfs volume mounted');
    assert.match(readFileSync('/proc/mounts', 'utf8'), new RegExp(`^tmpfs ${mp} tmpfs .*size=10240k`, 'm'));
    assert.equal(await e.ok(['run', '--rm', '-v', 'tv:/t', 'busybox', 'sh', '-c', 'cat /t/f; df -k /t | tail -1 | awk "{print \\$2}"']), 'a\n10240\n');
    assert.equal(mountedUnder(mp).length, 1, 'still mounted for the running container');
    await e.ok(['rm', '-f', 't1']);
    assert.deepEqual(mountedUnder(mp), [], 'unmounted after the last user');
    assert.equal(await e.ok(['run', '--rm', '-v', 'tv:/t', 'busybox', 'ls', '-A', '/t']), '', 'a fresh tmpfs');
    // a start that fails leaves nothing mounted
    const bad = await e.docker(['run', '--rm', '-v', 'tv:/t', 'busybox', 'nosuchcommand']);
    assert.equal(bad.code, 127);
    assert.deepEqual(mountedUnder(mp), []);
    const [v] = JSON.parse(await e.ok(['volume', 'inspect', 'tv'])) as Array<{ Options: Record<string, string> }>;
    assert.deepEqual(v!.Options, { device: 'tmpfs', o: 'size=10m', type: 'tmpfs' });
    assert.equal(await e.ok(['volume', 'prune', '-af']), 'Total reclaimed space: 0B\n', 'volumes with mount options are not pruned');
    await e.ok(['volume', 'rm', 'tv']);
    // --mount creates the volume with its options and labels
    const df = await e.ok(['run', '--rm', '--mount', 'type=volume,src=tv2,dst=/y,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=2m,volume-label=made=mount',
      'busybox', 'sh', '-c', 'df -k /y | tail -1 | awk "{print \\$2}"']);
    assert.equal(df, '2048\n');
    assert.equal(await e.ok(['volume', 'inspect', '-f', '{{json .Options}} {{json .Labels}}', 'tv2']), '{"device":"tmpfs","o":"size=2m","type":"tmpfs"} {"made":"mount"}\n');
    await e.ok(['volume', 'rm', 'tv2']);
  });

  it('binds a host directory through the local driver\'s options', async () => {
    const host = join(e.dir, 'bind-src');
    mkdirSync(host);
    writeFileSync(join(host, 'h'), 'from host\n');
    await e.ok(['volume', 'create', '--driver', 'local', '--opt', 'type=none', '--opt', 'o=bind', '--opt', `device=${host}`, 'bv']);
    assert.equal(await e.ok(['run', '--rm', '-v', 'bv:/b', 'busybox', 'sh', '-c', 'cat /b/h; echo from ctr > /b/c']), 'from host\n');
    assert.equal(readFileSync(join(host, 'c'), 'utf8'), 'from ctr\n');
    assert.deepEqual(mountedUnder(join(e.dataRoot, 'volumes', 'bv')), []);
    await e.ok(['volume', 'rm', 'bv']);
    assert.equal(readFileSync(join(host, 'h'), 'utf8'), 'from host\n', 'removing the volume leaves the host directory alone');
    // a device that is not there: the start fails with docker's wording and leaves nothing
    await e.ok(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${host}-gone`, 'gone']);
    const gone = join(e.dataRoot, 'volumes', 'gone', '_data');
    const failed = await e.docker(['run', '--rm', '-v', 'gone:/b', 'busybox', 'true']);
    assert.notEqual(failed.code, 0);
    assert.equal(failed.stderr.split('\n')[0], `docker: Error response from daemon: error while mounting volume '${gone}': failed to mount local volume: mount ${host}-gone:${gone}, flags: 0x1000: no such file or directory`);
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '');
    assert.deepEqual(mountedUnder(join(e.dataRoot, 'volumes')), []);
    assert.equal(await e.ok(['volume', 'ls', '-q', '--filter', 'dangling=true']), 'gone\n');
    await e.ok(['volume', 'rm', 'gone']);
    const missing = await e.docker(['run', '--rm', '--mount', `type=bind,source=${host}-nope,target=/x`, 'busybox', 'true']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, new RegExp(`Error response from daemon: invalid mount config for type "bind": bind source path does not exist: ${host}-nope`));
  });

  it('copies files into and out of volumes with docker cp', async () => {
    const local = join(e.dir, 'cp-in.txt');
    writeFileSync(local, 'copied in\n');
    const hostDir = join(e.dir, 'cp-bind');
    mkdirSync(hostDir);
    await e.ok(['create', '--name', 'cpc', '-v', 'cpv:/vol', '-v', `${hostDir}:/bnd`, '-v', 'cpro:/ro:ro', 'busybox', 'sleep', '100']);
    await e.ok(['cp', local, 'cpc:/vol/in.txt']);
    await e.ok(['cp', local, 'cpc:/bnd/in.txt']);
    assert.equal(readFileSync(join(e.dataRoot, 'volumes', 'cpv', '_data', 'in.txt'), 'utf8'), 'copied in\n');
    assert.equal(readFileSync(join(hostDir, 'in.txt'), 'utf8'), 'copied in\n');
    const ro = await e.docker(['cp', local, 'cpc:/ro/x']);
    assert.equal(ro.code, 1);
    assert.match(ro.stderr, /mounted volume is marked read-only/);
    await e.ok(['start', 'cpc']);
    await e.ok(['exec', 'cpc', 'sh', '-c', 'echo from ctr > /vol/out.txt']);
    await e.ok(['cp', 'cpc:/vol/out.txt', join(e.dir, 'out.txt')]);
    assert.equal(readFileSync(join(e.dir, 'out.txt'), 'utf8'), 'from ctr\n');
    await e.ok(['cp', local, 'cpc:/vol/running.txt']);
    assert.equal(await e.ok(['exec', 'cpc', 'cat', '/vol/running.txt', '/vol/in.txt']), 'copied in\ncopied in\n');
    await e.ok(['rm', '-f', 'cpc']);
    await e.ok(['volume', 'rm', 'cpv', 'cpro']);
    assert.deepEqual(mountedUnder(e.execRoot), []);
  });

  it('shows each mount in inspect as docker does', async () => {
    const hostDir = join(e.dir, 'insp');
    mkdirSync(hostDir);
    const id = (await e.ok(['create', '-v', 'iv:/named', '-v', `${hostDir}:/bind:ro,rshared`, '-v', '/anon',
      '--mount', 'type=tmpfs,target=/tm,tmpfs-size=1m', '--mount', `type=bind,src=${hostDir},dst=/mb`, 'busybox'])).trim();
    const mounts = JSON.parse(await e.ok(['inspect', '-f', '{{json .Mounts}}', id])) as MountView[];
    const anon = mounts.find((m) => m.Destination === '/anon')!;
    assert.match(anon.Name!, /^[0-9a-f]{64}$/);
    assert.deepEqual(mounts, [
      { Type: 'volume', Name: anon.Name, Source: join(e.dataRoot, 'volumes', anon.Name!, '_data'), Destination: '/anon', Driver: 'local', Mode: '', RW: true, Propagation: '' },
      { Type: 'bind', Source: hostDir, Destination: '/bind', Mode: 'ro,rshared', RW: false, Propagation: 'rshared' },
      { Type: 'bind', Source: hostDir, Destination: '/mb', Mode: '', RW: true, Propagation: 'rprivate' },
      { Type: 'volume', Name: 'iv', Source: join(e.dataRoot, 'volumes', 'iv', '_data'), Destination: '/named', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
      { Type: 'tmpfs', Source: '', Destination: '/tm', Mode: '', RW: true, Propagation: '' },
    ]);
    assert.equal(await e.ok(['ps', '-a', '--filter', 'volume=iv', '--format', '{{.ID}} {{.LocalVolumes}}']), `${id.slice(0, 12)} 2\n`);
    await e.ok(['rm', '-v', id]);
    await e.ok(['volume', 'rm', 'iv']);
  });

  it('binds of the data root, or of a directory holding it, propagate its unmounts (rslave), as dockerd', async () => {
    // A parent of the data root: the engine's mounts under it are seen by the container, which
    // must not keep them when the engine unmounts them.
    const parent = join(e.dataRoot, '..');
    const id = (await e.ok(['create', '-v', `${parent}:/p`, '--mount', `type=bind,src=${e.dataRoot},dst=/d`, 'busybox', 'true'])).trim();
    const mounts = JSON.parse(await e.ok(['inspect', '-f', '{{json .Mounts}}', id])) as MountView[];
    assert.deepEqual(mounts.map((m) => [m.Destination, m.Propagation]).sort(), [['/d', 'rslave'], ['/p', 'rslave']]);
    const ok = (await e.ok(['create', '-v', `${e.dataRoot}:/d:rshared`, 'busybox', 'true'])).trim();
    assert.equal(JSON.parse(await e.ok(['inspect', '-f', '{{json .Mounts}}', ok]))[0].Propagation, 'rshared');
    const before = (await e.ok(['ps', '-aq'])).split('\n').filter(Boolean).length;
    for (const args of [['-v', `${e.dataRoot}/volumes:/v:rprivate`], ['--mount', `type=bind,src=${parent},dst=/p,bind-propagation=private`]]) {
      const r = await e.docker(['create', ...args, 'busybox', 'true']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: ".*", bind mount source: ".*", propagation: "r?private"/);
    }
    assert.equal((await e.ok(['ps', '-aq'])).split('\n').filter(Boolean).length, before, 'no container left by the refusals');
  });

  it('read-only binds are read-only all the way down from API 1.44 where the kernel can (rro), as asked before', async (t) => {
    const kernel = /^(\d+)\.(\d+)/.exec(readFileSync('/proc/sys/kernel/osrelease', 'utf8'))!;
    if (Number(kernel[1]) * 1000 + Number(kernel[2]) < 5012) return t.skip('kernel older than 5.12 (no mount_setattr): no recursive read-only mounts');
    const dir = join(e.dir, 'rro');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(dir, 'sub')]);
    try {
      const touch = (args: string[], env: string[] = []): Promise<{ code: number; stderr: string }> =>
        e.run('env', [...env, 'docker', 'run', '--rm', '--network', 'none', ...args, 'busybox', 'touch', '/x/sub/f']);
      const ro = await touch(['-v', `${dir}:/x:ro`]);
      assert.notEqual(ro.code, 0);
      assert.match(ro.stderr, /Read-only file system/);
      assert.equal((await touch(['--mount', `type=bind,src=${dir},dst=/x,readonly,bind-recursive=writable`])).code, 0);
      assert.equal((await touch(['-v', `${dir}:/x:ro-non-recursive`])).code, 0);
      assert.notEqual((await touch(['-v', `${dir}:/x:rro`])).code, 0);
      // Older clients keep the read-only binds they had: the mount itself only.
      assert.equal((await touch(['-v', `${dir}:/x:ro`], ['DOCKER_API_VERSION=1.43'])).code, 0);
      const vol = await e.docker(['create', '-v', 'somevol:/x:rro', 'busybox']);
      assert.match(vol.stderr, /mount mode "rro" requires a bind mount: invalid volume specification: 'somevol:\/x:rro'/);
    } finally {
      execFileSync('umount', [join(dir, 'sub')]);
    }
  });

  it('publishes volume events with docker\'s attributes', async () => {
    const since = String(Date.now() / 1000);
    await e.ok(['volume', 'create', 'ev']);
    const id = (await e.ok(['run', '-d', '-v', 'ev:/e:ro', 'busybox', 'true'])).trim();
    await e.ok(['wait', id]);
    await e.ok(['rm', id]);
    await e.ok(['volume', 'rm', 'ev']);
    const until = String(Date.now() / 1000 + 1);
    const out = await e.ok(['events', '--since', since, '--until', until, '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}']);
    assert.deepEqual(out.trim().split('\n'), [
      'create ev {"driver":"local"}',
      `mount ev {"container":"${id}","destination":"/e","driver":"local","propagation":"","read/write":"false"}`,
      `unmount ev {"container":"${id}","driver":"local"}`,
      'destroy ev {"driver":"local"}',
    ]);
  });

  it('leaves nothing behind when a create fails', async () => {
    await e.ok(['run', '--name', 'fc', 'busybox', 'true']);
    await e.ok(['commit', '--change', 'VOLUME /etc/passwd', 'fc', 'overfile']);
    await e.ok(['rm', 'fc']);
    const r = await e.docker(['create', '-v', '/anon', 'overfile']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot mount volume over existing file/);
    assert.deepEqual(await volumes(), [], 'the anonymous volume made first is gone');
    const dup = await e.docker(['create', '-v', 'd1:/x', '-v', 'd2:/x', 'busybox']);
    assert.match(dup.stderr, /Duplicate mount point: \/x/);
    const bad = await e.docker(['create', '-v', '/x:/', 'busybox']);
    assert.equal(bad.stderr, `Error response from daemon: invalid volume specification: '/x:/': invalid mount config for type "bind": invalid specification: destination can't be '/'\n`);
    const badMount = await e.docker(['create', '--mount', 'type=volume,src=n,dst=/', 'busybox']);
    assert.equal(badMount.stderr, `Error response from daemon: invalid mount config for type "volume": invalid specification: destination can't be '/'\n`);
    const relative = await e.docker(['create', '-v', 'n:/', 'busybox']);
    assert.equal(relative.code, 1);
    assert.deepEqual(await volumes(), [], 'nothing made for invalid mounts');
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '');
    const left = e.leftovers();
    assert.deepEqual(left.mounts, []);
    assert.deepEqual(left.snapshots, []);
  });

  it('reports volume sizes in system df', async () => {
    await e.ok(['run', '--name', 'dfc', '-v', 'dfv:/d', 'busybox', 'sh', '-c', 'head -c 2000 /dev/zero > /d/f']);
    const df = await e.ok(['system', 'df']);
    assert.match(df, /^Local Volumes\s+1\s+1\s+2kB\s+0B \(0%\)$/m);
    const v = await e.ok(['system', 'df', '-v']);
    assert.match(v, /VOLUME NAME\s+LINKS\s+SIZE\ndfv\s+1\s+2kB\n/);
    await e.ok(['rm', 'dfc']);
    assert.match(await e.ok(['system', 'df']), /^Local Volumes\s+1\s+0\s+2kB\s+2kB \(100%\)$/m);
    await e.ok(['volume', 'rm', 'dfv']);
  });

  it('prints volume commands through the minke CLI as the docker CLI does', async () => {
    // one label: docker joins labels in Go's random map order
    await e.ok(['volume', 'create', '--label', 'a=1', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'cmp1']);
    await e.ok(['create', '--name', 'cmpc', '-v', 'cmp2:/x', '-v', '/anon', 'busybox']);
    const same = async (args: string[]): Promise<void> => {
      const d = await e.docker(args);
      const m = await e.minke(args);
      const norm = (s: string): string => {
        const out = s.replace(/docker/g, 'minke').replace(/(\d+ (seconds|minutes)|Less than a second|About a minute) ago/g, '<ago>');
        // A column holding a time is as wide as its longest, which the clock decides between the two runs.
        return out.includes('<ago>') ? out.replace(/ {3,}/g, '   ') : out;
      };
      assert.deepEqual({ code: m.code, stdout: norm(m.stdout), stderr: norm(m.stderr) }, { code: d.code, stdout: norm(d.stdout), stderr: norm(d.stderr) }, args.join(' '));
    };
    for (const args of [
      ['volume', 'ls'], ['volume', 'ls', '-q'], ['volume', 'ls', '--format', 'json'], ['volume', 'list', '-f', 'dangling=false'],
      ['volume', 'ls', '--format', 'table {{.Name}}\t{{.Labels}}\t{{.Links}}\t{{.Size}}'], ['volume', 'ls', '-f', 'bogus=1'],
      ['volume', 'inspect', 'cmp1', 'cmp2'], ['volume', 'inspect', '-f', '{{.Options.type}} {{.Labels}}', 'cmp1'], ['volume', 'inspect', 'nosuch'],
      ['inspect', 'cmp1'], ['volume', 'create', 'cmp1'], ['volume', 'create', '-o', 'foo=bar', 'cmp3'], ['volume', 'rm', 'cmp2', 'nosuch'],
      ['volume', 'prune', '-f'], ['system', 'df', '-v'], ['volume', 'create', '--help'], ['volume'],
    ]) await same(args);
    await e.ok(['rm', '-v', 'cmpc']);
    await e.ok(['volume', 'rm', 'cmp1', 'cmp2']);
  });

  it('keeps volumes in use and mounted across an engine restart', async () => {
    await e.ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'rtv']);
    const mp = join(e.dataRoot, 'volumes', 'rtv', '_data');
    await e.ok(['run', '-d', '--name', 'rt', '-v', 'rtv:/t', 'busybox', 'sh', '-c', 'echo x > /t/f; sleep 100']);
    await e.restart();
    assert.equal(mountedUnder(mp).length, 1);
    assert.equal((await e.docker(['volume', 'rm', 'rtv'])).code, 1, 'still in use');
    assert.equal(await e.ok(['exec', 'rt', 'cat', '/t/f']), 'x\n');
    await e.ok(['stop', '-t', '0', 'rt']);
    assert.deepEqual(mountedUnder(mp), []);
    await e.ok(['rm', 'rt']);
    await e.ok(['volume', 'rm', 'rtv']);
  });
});
