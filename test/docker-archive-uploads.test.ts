// Archive uploads through the docker CLI: `docker cp -a` (copyUIDGID) ownership, and xz, bzip2
// and zstd compressed tars for cp, import and load, as moby's DecompressStream takes them.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEngine, busyboxTar } from './harness.js';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const COMPRESSORS = ['xz', 'bzip2', 'zstd'] as const;
const missing = COMPRESSORS.filter((c) => !has(c));

describe('docker cp -a, and compressed uploads, imports and loads', { concurrency: false }, () => {
  const e = new TestEngine();
  let work: string;
  before(async () => {
    await e.start();
    await e.importBusybox();
    work = join(e.dir, 'work');
    mkdirSync(work);
    // A file owned by ids no container user has, to tell the tar's owner from the user's.
    writeFileSync(join(work, 'owned.txt'), 'owned\n');
    chownSync(join(work, 'owned.txt'), 1234, 2345);
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

  const owner = async (name: string, path: string): Promise<string> => (await e.ok(['exec', '-u', '0', name, 'stat', '-c', '%u:%g', path])).trim();

  it('gives copied files the container user\'s ids with -a, the tar\'s without', async () => {
    const cases: Array<[user: string, ids: string]> = [
      ['nobody', '65534:65534'], // the container's /etc/passwd (not the host's)
      ['daemon:www-data', '1:33'], // user and group by name
      ['4321', '4321:0'], // a uid with no entry: group 0, as the process gets
      ['sync', '4:100'], // the user's primary group
    ];
    for (const [user, ids] of cases) {
      const name = `cp-${user.replace(/\W/g, '-')}`;
      await e.ok(['run', '-d', '--name', name, '--user', user, 'busybox', 'sleep', '1000']);
      await e.ok(['cp', '-a', join(work, 'owned.txt'), `${name}:/tmp/a.txt`]);
      await e.ok(['cp', join(work, 'owned.txt'), `${name}:/tmp/plain.txt`]);
      assert.equal(await owner(name, '/tmp/a.txt'), ids, `cp -a for --user ${user}`);
      assert.equal(await owner(name, '/tmp/plain.txt'), '1234:2345', `cp for --user ${user}`);
    }
    // No user: -a keeps the tar's owners too.
    await e.ok(['run', '-d', '--name', 'cp-root', 'busybox', 'sleep', '1000']);
    await e.ok(['cp', '-a', join(work, 'owned.txt'), 'cp-root:/tmp/a.txt']);
    assert.equal(await owner('cp-root', '/tmp/a.txt'), '1234:2345');
    // A user the container does not know is refused, and nothing is written.
    await e.ok(['create', '--name', 'cp-ghost', '--user', 'ghost', 'busybox', 'true']);
    const r = await e.docker(['cp', '-a', join(work, 'owned.txt'), 'cp-ghost:/a.txt']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unable to find user ghost: no matching entries in passwd file/);
    const gone = await e.docker(['cp', 'cp-ghost:/a.txt', '-']);
    assert.match(gone.stderr, /Could not find the file \/a.txt/);
  });

  it('extracts xz, bzip2 and zstd compressed tars given to docker cp -', { skip: missing.length ? `no ${missing.join(', ')} on this host` : false }, async () => {
    await e.ok(['run', '-d', '--name', 'cz', 'busybox', 'sleep', '1000']);
    const tar = spawnSync('tar', ['-C', work, '-cf', '-', 'owned.txt']).stdout;
    for (const c of COMPRESSORS) {
      const packed = spawnSync(c, ['-c'], { input: tar }).stdout;
      await e.ok(['exec', 'cz', 'mkdir', `/tmp/${c}`]);
      await e.ok(['cp', '-', `cz:/tmp/${c}`], { input: packed });
      assert.equal(await e.ok(['exec', 'cz', 'cat', `/tmp/${c}/owned.txt`]), 'owned\n', c);
    }
    // Bad data in a known compression: a 4xx naming it, nothing extracted.
    const cut = spawnSync('xz', ['-c'], { input: tar }).stdout.subarray(0, 80);
    await e.ok(['exec', 'cz', 'mkdir', '/tmp/cut']);
    const r = await e.docker(['cp', '-', 'cz:/tmp/cut'], { input: cut });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /invalid xz data: xz: \(stdin\): Unexpected end of input/);
  });

  it('imports and loads xz, bzip2 and zstd compressed archives', { skip: missing.length ? `no ${missing.join(', ')} on this host` : false }, async () => {
    const rootfs = readFileSync(busyboxTar());
    await e.ok(['save', '-o', join(work, 'busybox.tar'), 'busybox:latest']);
    const saved = readFileSync(join(work, 'busybox.tar'));
    for (const c of COMPRESSORS) {
      const file = join(work, `rootfs.tar.${c}`);
      writeFileSync(file, spawnSync(c, ['-c'], { input: rootfs, maxBuffer: 1 << 30 }).stdout);
      await e.ok(['import', file, `imported:${c}`]);
      assert.equal(await e.ok(['run', '--rm', `imported:${c}`, 'echo', 'ran']), 'ran\n', `import ${c}`);
      // The layer is kept as a plain tar (no layer media type names xz or bzip2): its digest is the diff ID.
      const layer = (await e.ok(['image', 'inspect', '-f', '{{index .RootFS.Layers 0}}', `imported:${c}`])).trim();
      const blobs = spawnSync('sh', ['-c', `docker save imported:${c} | tar -t`], { env: e.env, encoding: 'utf8' }).stdout;
      assert.ok(blobs.includes(`blobs/sha256/${layer.slice('sha256:'.length)}`), `the layer blob of import ${c}`);

      const archive = join(work, `busybox.tar.${c}`);
      writeFileSync(archive, spawnSync(c, ['-c'], { input: saved, maxBuffer: 1 << 30 }).stdout);
      await e.ok(['rmi', 'busybox:latest']);
      assert.match(await e.ok(['load', '-i', archive]), /Loaded image: busybox:latest/, `load ${c}`);
    }
  });
});
