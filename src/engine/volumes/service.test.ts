import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chownSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { ANONYMOUS_LABEL, VolumeService } from './service.js';
import { validateOptions } from './local-driver.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync('/tmp/minke-volumes-');
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function open(): Promise<{ svc: VolumeService; root: string; events: string[] }> {
  const root = join(tmp(), 'volumes');
  const events: string[] = [];
  const svc = await VolumeService.open(root, (action, name, attrs) => events.push(`${action} ${name} ${JSON.stringify(attrs)}`));
  return { svc, root, events };
}

describe('VolumeService', () => {
  it('creates named and anonymous volumes and finds them again after a restart', async () => {
    const { svc, root, events } = await open();
    const v = await svc.create({ Name: 'data', Labels: { b: '2', a: '1' } });
    assert.equal(v.Mountpoint, join(root, 'data', '_data'));
    assert.deepEqual(Object.keys(v.Labels!), ['a', 'b'], 'labels in key order');
    assert.ok(statSync(v.Mountpoint).isDirectory());
    const again = await svc.create({ Name: 'data', Labels: { other: 'x' } });
    assert.deepEqual(again.Labels, { a: '1', b: '2' }, 'an existing volume is returned unchanged');
    const anon = await svc.create({});
    assert.match(anon.Name, /^[0-9a-f]{64}$/);
    assert.deepEqual(anon.Labels, { [ANONYMOUS_LABEL]: '' });
    assert.deepEqual(events, ['create data {"driver":"local"}', `create ${anon.Name} {"driver":"local"}`]);
    const reopened = await VolumeService.open(root);
    assert.deepEqual(reopened.list().map((x) => x.Name).sort(), [anon.Name, 'data'].sort());
    assert.deepEqual(reopened.get('data'), svc.get('data'));
  });

  it('removes half-made volumes at start-up', async () => {
    const root = join(tmp(), 'volumes');
    mkdirSync(join(root, 'half', '_data'), { recursive: true });
    const svc = await VolumeService.open(root);
    assert.deepEqual(svc.list(), []);
    assert.equal(existsSync(join(root, 'half')), false);
  });

  it('words errors as docker does', async () => {
    const { svc } = await open();
    await assert.rejects(svc.create({ Name: 'x' }), { message: 'create x: volume name is too short, names should be at least two alphanumeric characters', status: 400 } as object);
    await assert.rejects(svc.create({ Name: '../up' }), { status: 400 } as object);
    await assert.rejects(svc.create({ Name: 'ok', DriverOpts: { bogus: '1' } }), { message: 'create ok: invalid option: "bogus"' });
    await assert.rejects(svc.create({ Name: 'ok', Driver: 'nfs' }), { message: 'create ok: error looking up volume plugin nfs: plugin "nfs" not found', status: 404 } as object);
    assert.throws(() => svc.get('nope'), { message: 'get nope: no such volume', status: 404 } as object);
    await assert.rejects(svc.remove('nope'), { message: 'get nope: no such volume' });
    await svc.remove('nope', { force: true });
    assert.deepEqual(svc.list(), [], 'nothing made by failed creates');
  });

  it('checks the local driver\'s options', () => {
    validateOptions({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
    validateOptions({ size: '0' });
    assert.throws(() => validateOptions({ type: 'tmpfs' }), { message: 'missing required option: "device"' });
    assert.throws(() => validateOptions({ o: 'x', device: 'd' }), { message: 'missing required option: "type"' });
    assert.throws(() => validateOptions({ size: '10m' }), { message: 'quota size requested but no quota support' });
  });

  it('refuses to remove a volume while a container references it', async () => {
    const { svc, events } = await open();
    await svc.create({ Name: 'used' }, 'c1');
    svc.reference('used', 'c2');
    await assert.rejects(svc.remove('used'), (err: Error) => /^remove used: volume is in use - \[c1, c2\]$/.test(err.message) && (err as { status?: number }).status === 409);
    await assert.rejects(svc.remove('used', { force: true }), { status: 409 } as object);
    svc.release('used', 'c1');
    svc.release('used', 'c2');
    await svc.remove('used');
    assert.equal(events.at(-1), 'destroy used {"driver":"local"}');
  });

  it('lists with filters', async () => {
    const { svc } = await open();
    await svc.create({ Name: 'alpha', Labels: { env: 'prod' } });
    await svc.create({ Name: 'beta', Labels: { env: 'dev' } }, 'c1');
    await svc.create({ Name: 'gamma' });
    const names = (f: Record<string, string[]>): string[] => svc.list(f).map((v) => v.Name);
    assert.deepEqual(names({}), ['alpha', 'beta', 'gamma']);
    assert.deepEqual(names({ label: ['env'] }), ['alpha', 'beta']);
    assert.deepEqual(names({ label: ['env=prod'] }), ['alpha']);
    assert.deepEqual(names({ name: ['^b', 'mm'] }), ['beta', 'gamma']);
    assert.deepEqual(names({ dangling: ['true'] }), ['alpha', 'gamma']);
    assert.deepEqual(names({ dangling: ['0'] }), ['beta']);
    assert.deepEqual(names({ driver: ['local'] }), ['alpha', 'beta', 'gamma']);
    assert.throws(() => svc.list({ bogus: ['1'] }), { message: "invalid filter 'bogus'" });
    assert.throws(() => svc.list({ dangling: ['maybe'] }), { message: "invalid filter 'dangling=maybe'" });
  });

  it('prunes unused anonymous volumes, or all unused ones, never those with mount options', async () => {
    const { svc, events } = await open();
    const anon = await svc.create({});
    writeFileSync(join(anon.Mountpoint, 'f'), 'x'.repeat(100));
    await svc.create({ Name: 'named', Labels: { keep: '1' } });
    await svc.create({ Name: 'named2' });
    await svc.create({ Name: 'held' }, 'c1');
    await svc.create({ Name: 'tmp', DriverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    assert.deepEqual(await svc.prune(), { VolumesDeleted: [anon.Name], SpaceReclaimed: 100 });
    assert.equal(events.at(-1), 'prune  {"reclaimed":"100"}');
    assert.deepEqual(await svc.prune({ all: ['true'], 'label!': ['keep'] }), { VolumesDeleted: ['named2'], SpaceReclaimed: 0 });
    assert.deepEqual(await svc.prune({ all: ['1'] }), { VolumesDeleted: ['named'], SpaceReclaimed: 0 });
    assert.deepEqual(svc.list().map((v) => v.Name), ['held', 'tmp']);
    await assert.rejects(svc.prune({ until: ['1h'] }), { message: "invalid filter 'until'" });
    await assert.rejects(svc.prune({ all: ['x'] }), /invalid filter 'all'/);
  });

  it('reports sizes and users for system df', async () => {
    const { svc } = await open();
    const v = await svc.create({ Name: 'sized' }, 'c1');
    writeFileSync(join(v.Mountpoint, 'f'), 'x'.repeat(2000));
    await svc.create({ Name: 'opts', DriverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    assert.deepEqual((await svc.usage()).map((u) => [u.Name, u.UsageData]), [['sized', { Size: 2000, RefCount: 1 }]]);
  });

  it('mounts a tmpfs volume for its first user and unmounts it after the last', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
    const { svc, events } = await open();
    const v = await svc.create({ Name: 'tv', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    const mounted = (): boolean => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${v.Mountpoint} `);
    await svc.mount('tv', 'a', { container: 'c1' });
    await svc.mount('tv', 'b');
    assert.ok(mounted());
    await svc.unmount('tv', 'a', { container: 'c1' });
    assert.ok(mounted(), 'still used by b');
    await svc.unmount('tv', 'b');
    assert.equal(mounted(), false);
    await svc.unmount('tv', 'b', { container: 'c1' });
    assert.deepEqual(events.slice(1), ['mount tv {"driver":"local","container":"c1"}', 'unmount tv {"driver":"local","container":"c1"}'], 'events only for known mounts');
    await svc.remove('tv');
  });

  it('copies image content into an empty volume only, with the directory\'s owner and mode', async () => {
    const { svc } = await open();
    const img = join(tmp(), 'img');
    mkdirSync(join(img, 'sub'), { recursive: true });
    writeFileSync(join(img, 'sub', 'f'), 'content');
    chownSync(join(img, 'sub', 'f'), 1234, 5678);
    chmodSync(img, 0o750);
    chownSync(img, 42, 43);
    const v = await svc.create({ Name: 'cu' });
    await svc.populate('cu', img);
    assert.equal(readFileSync(join(v.Mountpoint, 'sub', 'f'), 'utf8'), 'content');
    const st = statSync(v.Mountpoint);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [42, 43, 0o750]);
    assert.equal(statSync(join(v.Mountpoint, 'sub', 'f')).uid, 1234);
    writeFileSync(join(img, 'new'), 'later');
    await svc.populate('cu', img);
    assert.equal(existsSync(join(v.Mountpoint, 'new')), false, 'a volume with data is left alone');
  });
});
