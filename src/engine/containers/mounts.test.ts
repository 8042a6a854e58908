import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync as mkdtempRaw, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { InvalidArgument, NotFound } from '../../core/errors.js';
import type { ContainerRecord, MountPoint } from './model.js';
import type { VolumeInfo, VolumePort } from './ports.js';
import { parseMountRaw, parseMountSpec, parseVolumesFrom, registerMountPoints, releaseMountPoints, tmpfsOptions } from './mounts.js';

const made: string[] = [];
function mkdtempSync(prefix: string): string {
  const d = mkdtempRaw(prefix);
  made.push(d);
  return d;
}
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** An in-memory VolumePort that records what the resolver did. */
class FakeVolumes implements VolumePort {
  readonly volumes = new Map<string, Set<string>>();
  readonly log: string[] = [];
  private next = 0;
  failOn?: string;

  private info(name: string): VolumeInfo {
    return { name, driver: 'local', mountpoint: `/vols/${name}/_data` };
  }
  async acquire(name: string, id: string, opts?: { driver?: string }): Promise<VolumeInfo> {
    if (opts?.driver && opts.driver !== 'local') throw new NotFound(`create ${name}: error looking up volume plugin ${opts.driver}`);
    const n = name || `anon${++this.next}`;
    if (n === this.failOn) throw new InvalidArgument(`create ${n}: boom`);
    if (!this.volumes.has(n)) this.log.push(`create ${n}`);
    const refs = this.volumes.get(n) ?? new Set();
    refs.add(id);
    this.volumes.set(n, refs);
    return this.info(n);
  }
  reference(name: string, id: string): VolumeInfo {
    const refs = this.volumes.get(name);
    if (!refs) throw new NotFound(`get ${name}: no such volume`);
    refs.add(id);
    return this.info(name);
  }
  release(name: string, id: string): void {
    this.volumes.get(name)?.delete(id);
  }
  async removeIfUnused(name: string): Promise<void> {
    if (this.volumes.get(name)?.size === 0) {
      this.volumes.delete(name);
      this.log.push(`remove ${name}`);
    }
  }
  async mount(name: string): Promise<string> {
    return this.info(name).mountpoint;
  }
  async unmount(): Promise<void> {}
  async populate(name: string, from: string): Promise<void> {
    this.log.push(`populate ${name} ${from}`);
  }
}

const noRootfs = async (): Promise<string> => {
  throw new Error('rootfs not expected');
};

describe('mount parsing (docker linux parser)', () => {
  it('parses -v forms into mount points', () => {
    const bind = parseMountRaw('/host:/ctr:ro,rshared');
    assert.deepEqual({ t: bind.Type, s: bind.Source, d: bind.Destination, rw: bind.RW, m: bind.Mode, p: bind.Propagation },
      { t: 'bind', s: '/host', d: '/ctr', rw: false, m: 'ro,rshared', p: 'rshared' });
    const vol = parseMountRaw('data:/d/');
    assert.equal(vol.Type, 'volume');
    assert.equal(vol.Name, 'data');
    assert.equal(vol.Destination, '/d');
    assert.equal(vol.CopyData, true);
    assert.equal(parseMountRaw('data:/d:nocopy').CopyData, false);
    const anon = parseMountRaw('/only');
    assert.equal(anon.Type, 'volume');
    assert.equal(anon.Name, undefined);
    assert.equal(parseMountRaw('/h:/c').Propagation, 'rprivate');
  });

  it('rejects bad -v specs with docker wording', () => {
    assert.throws(() => parseMountRaw('/foo:rw'), { message: "invalid volume specification: '/foo:rw'" });
    assert.throws(() => parseMountRaw(':/x'), { message: "invalid volume specification: ':/x'" });
    assert.throws(() => parseMountRaw('a:/b:c:d'), { message: "invalid volume specification: 'a:/b:c:d'" });
    assert.throws(() => parseMountRaw('/a:/b:ro,rw'), { message: 'invalid mode: ro,rw' });
    assert.throws(() => parseMountRaw('/a:/b:bogus'), { message: 'invalid mode: bogus' });
    assert.throws(() => parseMountRaw('v:/b:rshared'), {
      message: `invalid volume specification: 'v:/b:rshared': invalid mount config for type "volume": field BindOptions must not be specified`,
    });
    assert.throws(() => parseMountRaw('/a:rel'), {
      message: `invalid volume specification: '/a:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`,
    });
  });

  it('validates --mount specs', () => {
    const dir = mkdtempSync('/tmp/minke-mounts-');
    assert.equal(parseMountSpec({ Type: 'bind', Source: dir, Target: '/x' }).SkipMountpointCreation, true);
    assert.throws(() => parseMountSpec({ Type: 'bind', Source: `${dir}/nope`, Target: '/x' }), {
      message: `invalid mount config for type "bind": bind source path does not exist: ${dir}/nope`,
    });
    assert.equal(parseMountSpec({ Type: 'bind', Source: `${dir}/nope`, Target: '/x', BindOptions: { CreateMountpoint: true } }).Type, 'bind');
    assert.throws(() => parseMountSpec({ Type: 'bind', Target: '/x' }), { message: 'invalid mount config for type "bind": field Source must not be empty' });
    assert.throws(() => parseMountSpec({ Type: 'volume', Target: '/x', ReadOnly: true }), {
      message: 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes',
    });
    assert.throws(() => parseMountSpec({ Type: 'tmpfs', Source: 'x', Target: '/x' }), { message: 'invalid mount config for type "tmpfs": field Source must not be specified' });
    assert.throws(() => parseMountSpec({ Type: 'npipe', Target: '/x' }), { message: 'invalid mount config for type "npipe": mount type unknown' });
    assert.throws(() => parseMountSpec({ Type: 'volume', Target: '' }), { message: 'invalid mount config for type "volume": field Target must not be empty' });
  });

  it('converts tmpfs options as docker does', () => {
    assert.equal(tmpfsOptions({ SizeBytes: 10 * 2 ** 20, Mode: 0o1777 }, true), 'ro,mode=1777,size=10m');
    assert.equal(tmpfsOptions({ SizeBytes: 1000 }, false), 'size=1000');
    assert.equal(tmpfsOptions({ Options: [['noexec']] }, false), 'noexec');
    assert.throws(() => tmpfsOptions({ Options: [['suid']] }, false), { message: 'invalid option: suid' });
  });

  it('parses --volumes-from modes', () => {
    assert.deepEqual(parseVolumesFrom('c1'), { id: 'c1', rw: true });
    assert.deepEqual(parseVolumesFrom('c1:ro'), { id: 'c1', rw: false });
    assert.throws(() => parseVolumesFrom('c1:rshared'), { message: 'invalid mode: rshared' });
    assert.throws(() => parseVolumesFrom('c1:nocopy'), { message: 'invalid mode: nocopy' });
    assert.throws(() => parseVolumesFrom(''), { message: 'volumes-from specification cannot be an empty string' });
  });
});

describe('registerMountPoints', () => {
  const other = (points: Record<string, MountPoint>): ContainerRecord => ({ Id: 'other', MountPoints: points }) as unknown as ContainerRecord;

  it('resolves volumes-from, binds and mounts in docker\'s order, later ones winning', async () => {
    const vols = new FakeVolumes();
    await vols.acquire('shared', 'other');
    const fromOther = {
      '/s': { Type: 'volume', Name: 'shared', Source: '/vols/shared/_data', Destination: '/s', Driver: 'local', RW: true, Mode: 'z', Propagation: '', CopyData: true, Spec: { Type: 'volume', Source: 'shared', Target: '/s' } },
      '/o': { Type: 'bind', Source: '/h', Destination: '/o', RW: true, Mode: '', Propagation: 'rprivate', CopyData: false, Spec: { Type: 'bind', Source: '/h', Target: '/o' } },
    } satisfies Record<string, MountPoint>;
    const points = await registerMountPoints({
      containerId: 'c1',
      hostConfig: { VolumesFrom: ['other:ro'], Binds: ['named:/n', '/h2:/o'], Mounts: [{ Type: 'volume', Target: '/m' }] },
      volumes: { '/img': {}, '/n': {} },
      container: () => other(fromOther),
      rootfs: async () => mkdtempSync('/tmp/minke-rootfs-'),
    }, vols);
    assert.deepEqual(Object.keys(points).sort(), ['/img', '/m', '/n', '/o', '/s']);
    assert.equal(points['/s']!.RW, false, 'volumes-from :ro');
    assert.equal(points['/s']!.CopyData, false);
    assert.equal(points['/s']!.Mode, '');
    assert.equal(points['/o']!.Source, '/h2', 'a -v bind replaces the inherited mount');
    assert.equal(points['/n']!.Mode, 'z');
    assert.equal(points['/n']!.Source, '/vols/named/_data');
    assert.match(points['/m']!.Name!, /^anon/);
    assert.match(points['/img']!.Name!, /^anon/);
    assert.equal(points['/img']!.CopyData, true);
    assert.deepEqual([...vols.volumes.get('shared')!].sort(), ['c1', 'other']);
    assert.ok(vols.volumes.get('named')!.has('c1'));
  });

  it('refuses duplicate destinations', async () => {
    const vols = new FakeVolumes();
    const req = (hostConfig: object) => ({ containerId: 'c', hostConfig, volumes: null, container: () => { throw new NotFound('x'); }, rootfs: noRootfs });
    await assert.rejects(registerMountPoints(req({ Binds: ['a:/x', 'b:/x'] }), vols), { message: 'Duplicate mount point: /x' });
    await assert.rejects(registerMountPoints(req({ Binds: ['a:/x'], Tmpfs: { '/x': '' } }), vols), { message: 'Duplicate mount point: /x' });
    await assert.rejects(registerMountPoints(req({ Binds: ['a:/x'], Mounts: [{ Type: 'volume', Target: '/x' }] }), vols), { message: 'Duplicate mount point: /x' });
    await assert.rejects(registerMountPoints(req({ VolumesFrom: ['gone'] }), vols), (err: unknown) => err instanceof InvalidArgument);
    assert.equal(vols.volumes.size, 0, 'nothing created before validation passed');
  });

  it('releases and removes what it made when a later step fails', async () => {
    const vols = new FakeVolumes();
    vols.failOn = 'bad';
    await assert.rejects(registerMountPoints({
      containerId: 'c',
      hostConfig: { Binds: ['keep:/k', 'bad:/b'], Mounts: [{ Type: 'volume', Target: '/a' }] },
      volumes: null,
      container: () => { throw new NotFound('x'); },
      rootfs: noRootfs,
    }, vols), { message: 'create bad: boom' });
    assert.deepEqual(vols.volumes.get('keep')?.size, 0, 'the named volume stays, unreferenced');
    assert.equal([...vols.volumes.keys()].some((n) => n.startsWith('anon')), false, 'the anonymous one is gone');
  });

  it('refuses an image volume over a file', async () => {
    const root = mkdtempSync('/tmp/minke-rootfs-');
    mkdirSync(`${root}/etc`);
    writeFileSync(`${root}/etc/passwd`, 'x');
    const vols = new FakeVolumes();
    await assert.rejects(registerMountPoints({
      containerId: 'c', hostConfig: { Binds: ['/anon'] }, volumes: { '/etc/passwd': {} }, container: () => { throw new NotFound('x'); }, rootfs: async () => root,
    }, vols), /cannot mount volume over existing file/);
    assert.equal(vols.volumes.size, 0);
  });

  it('removes only anonymous volumes on release with removeAnonymous', async () => {
    const vols = new FakeVolumes();
    const points = await registerMountPoints({
      containerId: 'c', hostConfig: { Binds: ['named:/n', '/a'] }, volumes: null, container: () => { throw new NotFound('x'); }, rootfs: noRootfs,
    }, vols);
    await releaseMountPoints('c', points, vols, true);
    assert.deepEqual([...vols.volumes.keys()], ['named']);
  });
});
