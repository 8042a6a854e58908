import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { lstat, mkdir, mkdtemp, readFile, readlink, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sys } from '../../core/native.js';
import { InvalidArgument } from '../../core/errors.js';
import { readTar, writeTar, type TarSourceEntry, type TarHeader } from '../archive/tar.js';
import { applyLayer } from './apply.js';
import { changes, diffLayer } from './diff.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'minke-test-apply-'));
  dirs.push(d);
  return d;
}

const T = 1700000000000;
const h = (name: string, type: TarHeader['type'], extra: Partial<TarHeader> = {}): TarHeader =>
  ({ name, type, mode: type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, size: 0, mtime: T, ...extra });

async function tarOf(entries: TarSourceEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of writeTar(entries)) parts.push(c);
  return Buffer.concat(parts);
}
async function* chunks(b: Buffer, size = 1000): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

// security.capability v2 with cap_net_raw permitted: binary, with NUL bytes.
const CAP = Buffer.from([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

void test('applies every entry type with metadata, gzip detected', async () => {
  const root = await tmp();
  const tar = await tarOf([
    { header: h('etc/', 'directory', { mode: 0o750, uid: 1, gid: 2 }) },
    { header: h('etc/passwd', 'file', { size: 5, uid: 1000, gid: 1000, mode: 0o4755 }), body: Buffer.from('hello') },
    { header: h('etc/link', 'link', { linkname: 'etc/passwd' }) },
    { header: h('bin/sh', 'symlink', { linkname: '/bin/busybox' }) },
    { header: h('dev/null', 'character-device', { devmajor: 1, devminor: 3, mode: 0o666 }) },
    { header: h('dev/sda', 'block-device', { devmajor: 8, devminor: 0, mode: 0o660 }) },
    { header: h('run/fifo', 'fifo', { mode: 0o600 }) },
    { header: h('bin/ping', 'file', { size: 3, mode: 0o755, xattrs: new Map([['security.capability', CAP], ['user.bin', Buffer.from([0xff, 0, 0xfe])]]) }), body: Buffer.from('png') },
    { header: h(`deep/${'x'.repeat(120)}/${'y'.repeat(120)}/f`, 'file', { size: 1 }), body: Buffer.from('z') },
  ]);
  const res = await applyLayer(root, chunks(gzipSync(tar)));
  assert.equal(res.diffId, `sha256:${createHash('sha256').update(tar).digest('hex')}`);
  assert.equal(res.size, 9);
  const p = await lstat(join(root, 'etc/passwd'));
  assert.equal(p.mode & 0o7777, 0o4755);
  assert.equal(p.uid, 1000);
  assert.equal(p.nlink, 2);
  assert.equal(p.mtimeMs, T);
  const e = await lstat(join(root, 'etc'));
  assert.equal(e.mode & 0o7777, 0o750);
  assert.equal(e.uid, 1);
  assert.equal(e.mtimeMs, T);
  assert.equal(await readlink(join(root, 'bin/sh')), '/bin/busybox');
  const dn = await lstat(join(root, 'dev/null'));
  assert.ok(dn.isCharacterDevice());
  assert.equal(dn.rdev, (1 << 8) | 3);
  assert.ok((await lstat(join(root, 'dev/sda'))).isBlockDevice());
  assert.ok((await lstat(join(root, 'run/fifo'))).isFIFO());
  assert.deepEqual(sys().lgetxattr(join(root, 'bin/ping'), 'security.capability'), CAP);
  assert.deepEqual(sys().lgetxattr(join(root, 'bin/ping'), 'user.bin'), Buffer.from([0xff, 0, 0xfe]));

  // And back: a tar of the dir carries the same bytes.
  const out: Record<string, TarHeader> = {};
  for await (const { header } of readTar(diffLayer(root))) out[header.name] = header;
  assert.deepEqual(out['bin/ping']!.xattrs!.get('security.capability'), CAP);
  // the first name in walk order carries the data, later names link to it
  assert.equal(out['etc/link']!.type, 'file');
  assert.equal(out['etc/passwd']!.type, 'link');
  assert.equal(out['etc/passwd']!.linkname, 'etc/link');
  assert.equal(out['dev/null']!.devminor, 3);
  assert.ok(out[`deep/${'x'.repeat(120)}/${'y'.repeat(120)}/f`]);
  assert.equal(out['etc/']!.mode, 0o750);
});

void test('never writes outside the root', async () => {
  const root = await tmp();
  const outside = await tmp();
  await assert.rejects(applyLayer(root, chunks(await tarOf([{ header: h('../evil', 'file', { size: 1 }), body: Buffer.from('x') }]))), InvalidArgument);
  const tar = await tarOf([
    { header: h('abs', 'symlink', { linkname: outside }) },
    { header: h('abs/pwned', 'file', { size: 1 }), body: Buffer.from('x') },
    { header: h('up', 'symlink', { linkname: '../../../../..' + outside }) },
    { header: h('up/pwned2', 'file', { size: 1 }), body: Buffer.from('x') },
    { header: h('/slash/x', 'file', { size: 1 }), body: Buffer.from('y') },
  ]);
  await applyLayer(root, chunks(tar));
  assert.deepEqual(await readdir(outside), []);
  assert.equal(await readFile(join(root, outside, 'pwned'), 'utf8'), 'x');
  assert.equal(await readFile(join(root, 'slash/x'), 'utf8'), 'y');
  await assert.rejects(applyLayer(root, chunks(await tarOf([{ header: h('hl', 'link', { linkname: '../../etc/passwd' }) }]))), InvalidArgument);
  await assert.rejects(applyLayer(root, chunks(Buffer.from('not a tar at all'.repeat(40)))), InvalidArgument);
});

void test('whiteouts become overlay whiteouts and opaque dirs; diff and changes turn them back', async () => {
  const lower = await tmp();
  await mkdir(join(lower, 'd'));
  await writeFile(join(lower, 'd/old'), 'o');
  await writeFile(join(lower, 'gone'), 'g');
  await mkdir(join(lower, 'keep'));
  await writeFile(join(lower, 'keep/mod'), 'm');
  const upper = await tmp();
  const tar = await tarOf([
    { header: h('.wh.gone', 'file') },
    { header: h('d/', 'directory') },
    { header: h('d/.wh..wh..opq', 'file') },
    { header: h('d/new', 'file', { size: 1 }), body: Buffer.from('n') },
    { header: h('keep/', 'directory') },
    { header: h('keep/mod', 'file', { size: 2 }), body: Buffer.from('m2') },
  ]);
  await applyLayer(upper, chunks(tar));
  const w = await lstat(join(upper, 'gone'));
  assert.ok(w.isCharacterDevice() && w.rdev === 0);
  assert.equal(sys().lgetxattr(join(upper, 'd'), 'trusted.overlay.opaque')?.toString(), 'y');

  const names: string[] = [];
  for await (const { header } of readTar(diffLayer(upper, [lower]))) names.push(header.name);
  assert.deepEqual(names, ['d/', 'd/.wh..wh..opq', 'd/new', '.wh.gone', 'keep/', 'keep/mod']);

  assert.deepEqual(await changes(upper, [lower]), [
    { Path: '/d', Kind: 0 }, { Path: '/d/new', Kind: 1 }, { Path: '/gone', Kind: 2 },
    { Path: '/keep', Kind: 0 }, { Path: '/keep/mod', Kind: 0 },
  ]);

  // 'delete' mode (plain dirs): whiteouts remove.
  await applyLayer(lower, chunks(tar), { whiteouts: 'delete' });
  assert.deepEqual((await readdir(lower)).sort(), ['d', 'keep']);
  assert.deepEqual(await readdir(join(lower, 'd')), ['new']);
});
