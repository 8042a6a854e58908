import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTar, type TarHeader, type TarSourceEntry } from '../archive/tar.js';
import { receiveContext } from './context.js';

const root = mkdtempSync('/tmp/bld-ctx-test-');
after(() => rmSync(root, { recursive: true, force: true }));
const T = 1700000000000;
const h = (name: string, type: TarHeader['type'], extra: Partial<TarHeader> = {}): TarHeader =>
  ({ name, type, mode: type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, size: 0, mtime: T, ...extra });
const file = (name: string, data: string, mode = 0o644): TarSourceEntry => ({ header: h(name, 'file', { size: data.length, mode }), body: Buffer.from(data) });

async function tar(entries: TarSourceEntry[], truncate = false): Promise<AsyncIterable<Buffer>> {
  const out: Buffer[] = [];
  for await (const c of writeTar(entries)) out.push(c);
  const all = Buffer.concat(out);
  // As the docker CLI's tar with an added Dockerfile: no padding, no end blocks.
  const data = truncate ? all.subarray(0, all.length - 1024 - ((512 - (entries.at(-1)!.header.size % 512)) % 512)) : all;
  return (async function* () { yield data; })();
}

test('unpacks files, modes, times, symlinks and links; completes a truncated tar', async () => {
  const c = await receiveContext(root, await tar([
    { header: h('d/', 'directory', { mode: 0o750 }) }, file('d/a.txt', 'a\n', 0o600), file('top', 'top\n'),
    { header: h('l', 'symlink', { linkname: 'd/a.txt' }) }, { header: h('hard', 'link', { linkname: 'top' }) }, file('last', 'xyz'),
  ], true));
  try {
    assert.equal(readFileSync(join(c.dir, 'd/a.txt'), 'utf8'), 'a\n');
    assert.equal(lstatSync(join(c.dir, 'd/a.txt')).mode & 0o777, 0o600);
    assert.equal(lstatSync(join(c.dir, 'd')).mode & 0o777, 0o750);
    assert.equal(lstatSync(join(c.dir, 'd')).mtimeMs, T);
    assert.equal(readlinkSync(join(c.dir, 'l')), 'd/a.txt');
    assert.equal(lstatSync(join(c.dir, 'hard')).ino, lstatSync(join(c.dir, 'top')).ino);
    assert.equal(readFileSync(join(c.dir, 'last'), 'utf8'), 'xyz');
  } finally {
    await c.dispose();
  }
  assert.deepEqual(readdirSync(root), []);
});

test('nothing lands outside the context, and a refused context leaves nothing', async () => {
  const outside = join(root, '..', `${root.split('/').pop()}-victim`);
  writeFileSync(outside, 'safe\n');
  try {
    await assert.rejects(receiveContext(root, await tar([{ header: h('l', 'symlink', { linkname: outside }) }, file('l/x', 'bad')])), /below the symlink/);
    // A file named as an earlier symlink replaces the link rather than writing through it.
    const c = await receiveContext(root, await tar([{ header: h('l', 'symlink', { linkname: outside }) }, file('l', 'mine\n')]));
    assert.equal(readFileSync(join(c.dir, 'l'), 'utf8'), 'mine\n');
    await c.dispose();
    await assert.rejects(receiveContext(root, await tar([file('../escape', 'bad')])), /escapes the root/);
    assert.equal(readFileSync(outside, 'utf8'), 'safe\n');
    assert.ok(!existsSync(join(root, '..', 'escape')));
    assert.deepEqual(readdirSync(root), []);
  } finally {
    rmSync(outside, { force: true });
  }
});
