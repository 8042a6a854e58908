import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sys } from '../../core/native.js';
import { OPAQUE_XATTR } from './apply.js';
import { mergedLstat, writeInitLayer } from './init-layer.js';

const root = mkdtempSync(join(tmpdir(), 'minke-test-initlayer-'));
after(() => rmSync(root, { recursive: true, force: true }));
const asRoot = process.getuid?.() === 0 ? false : 'needs root (whiteouts are device nodes, owners are copied)';

/** Overlay layer dirs, nearest first, from a description of each. */
function layers(name: string, ...build: Array<(dir: string) => void>): string[] {
  return build.map((b, i) => {
    const dir = join(root, name, String(i));
    mkdirSync(dir, { recursive: true });
    b(dir);
    return dir;
  });
}

test('sees a path through the layers: whiteouts and opaque directories hide what is below', { skip: asRoot }, async () => {
  const [upper, lower] = layers('merged',
    (d) => {
      mkdirSync(join(d, 'etc'));
      sys().mknod(join(d, 'etc', 'hosts'), 0o20000, 0, 0); // a whiteout: deleted above the lower layer
      mkdirSync(join(d, 'opaque'));
      sys().lsetxattr(join(d, 'opaque'), OPAQUE_XATTR, Buffer.from('y'));
      writeFileSync(join(d, 'file'), '');
    },
    (d) => {
      mkdirSync(join(d, 'etc'));
      writeFileSync(join(d, 'etc', 'hosts'), 'x');
      writeFileSync(join(d, 'etc', 'hostname'), 'x');
      mkdirSync(join(d, 'opaque'));
      writeFileSync(join(d, 'opaque', 'hidden'), 'x');
      mkdirSync(join(d, 'file'));
      writeFileSync(join(d, 'file', 'under'), 'x');
    });
  const ls = [upper!, lower!];
  assert.equal(await mergedLstat(ls, 'etc/hosts'), null, 'whited out');
  assert.ok((await mergedLstat(ls, 'etc/hostname')) instanceof Object, 'merged from the lower layer');
  assert.equal(await mergedLstat(ls, 'opaque/hidden'), null, 'under an opaque dir');
  assert.equal(await mergedLstat(ls, 'file/under'), 'blocked', 'a file hides the lower directory');
  assert.equal(await mergedLstat(ls, 'nothing/here'), null);
});

test('makes only the mount points the image lacks, under parents that keep the image\'s owner and mode', { skip: asRoot }, async () => {
  const [image] = layers('image', (d) => {
    mkdirSync(join(d, 'etc'));
    chmodSync(join(d, 'etc'), 0o750);
    chownSync(join(d, 'etc'), 12, 34);
    writeFileSync(join(d, 'etc', 'hosts'), 'the image\'s own');
    symlinkSync('/run/resolv.conf', join(d, 'etc', 'resolv.conf'));
    mkdirSync(join(d, 'proc'));
  });
  const init = join(root, 'init');
  mkdirSync(init);
  await writeInitLayer(init, [image!]);
  const made = (p: string): boolean => lstatSync(join(init, p), { throwIfNoEntry: false }) !== undefined;
  assert.ok(!made('etc/hosts'), 'the image has one');
  assert.ok(!made('etc/resolv.conf'), 'a symlink the image has stays the image\'s');
  assert.ok(!made('proc'));
  for (const f of ['etc/hostname', '.dockerenv', 'dev/console']) {
    const st = lstatSync(join(init, f));
    assert.ok(st.isFile() && st.size === 0 && (st.mode & 0o777) === 0o755, f);
  }
  for (const d of ['sys', 'dev', 'dev/pts', 'dev/shm']) assert.equal(lstatSync(join(init, d)).mode & 0o7777, 0o755, d);
  assert.equal(readlinkSync(join(init, 'etc', 'mtab')), '/proc/mounts');
  const etc = lstatSync(join(init, 'etc'));
  assert.deepEqual([etc.mode & 0o7777, etc.uid, etc.gid], [0o750, 12, 34], 'as the image has it');
});
