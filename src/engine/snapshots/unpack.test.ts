import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTar, type TarHeader, type TarSourceEntry } from '../archive/tar.js';
import { OverlaySnapshotter } from './overlay.js';
import { unpackLayer } from './unpack.js';
import { chainIds } from './chain.js';
import { mountAll, unmountAll } from './mount.js';
import { InvalidArgument } from '../../core/errors.js';
import { sha256 } from '../../core/digest.js';

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const h = (name: string, type: TarHeader['type'], extra: Partial<TarHeader> = {}): TarHeader =>
  ({ name, type, mode: type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, size: 0, mtime: 0, ...extra });
async function tarOf(entries: TarSourceEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of writeTar(entries)) parts.push(c);
  return Buffer.concat(parts);
}
async function* once(b: Buffer): AsyncGenerator<Buffer> { yield b; }

void test('unpacks layers into chain-ID snapshots, reuses them, and mounts the result', async () => {
  const root = await mkdtemp(join(tmpdir(), 'minke-test-unpack-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const sn = await OverlaySnapshotter.open(join(root, 'sn'));
  const l1 = await tarOf([{ header: h('a', 'file', { size: 1 }), body: Buffer.from('a') }, { header: h('b', 'file', { size: 1 }), body: Buffer.from('b') }]);
  const l2 = await tarOf([{ header: h('.wh.a', 'file') }, { header: h('c', 'file', { size: 1 }), body: Buffer.from('c') }]);
  const r1 = await unpackLayer(sn, null, () => once(l1));
  const r2 = await unpackLayer(sn, r1.chainId, () => once(l2));
  assert.deepEqual([r1.chainId, r2.chainId], chainIds([sha256(l1), sha256(l2)]));
  assert.equal(r1.size, 2);
  let opened = false;
  const again = await unpackLayer(sn, r1.chainId, () => { opened = true; return once(l2); }, { diffId: sha256(l2) });
  assert.ok(again.reused && !opened);
  assert.equal(again.size, 1);

  await assert.rejects(unpackLayer(sn, null, () => once(l2), { diffId: sha256('other') }), InvalidArgument);
  assert.equal((await sn.walk()).length, 2, 'a failed unpack leaves no snapshot');

  const target = join(root, 'mnt');
  await import('node:fs/promises').then((fs) => fs.mkdir(target));
  mountAll(await sn.prepare('ctr', r2.chainId), target);
  cleanups.push(() => unmountAll(target));
  assert.deepEqual((await readdir(target)).sort(), ['b', 'c']);
  assert.equal(await readFile(join(target, 'c'), 'utf8'), 'c');
  unmountAll(target);
});
