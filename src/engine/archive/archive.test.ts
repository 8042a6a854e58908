/**
 * End to end with real data: a busybox rootfs imported, mounted, committed, saved (checked by
 * skopeo), loaded back, and archives written by skopeo loaded.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { InvalidArgument } from '../../core/errors.js';
import { LocalContentStore } from '../content/store.js';
import { ImageStore } from '../images/image-store.js';
import { OverlaySnapshotter } from '../snapshots/overlay.js';
import { mountAll, unmountAll } from '../snapshots/mount.js';
import { importImage } from './import.js';
import { commitLayer } from './commit.js';
import { saveImages } from './save.js';
import { loadImages } from './load.js';
import { archivePath, extractTar, tarDirectory } from './tar-dir.js';
import { applyChanges, expandVars } from './changes.js';

let work: string;
const mounts: string[] = [];

interface Engine { images: ImageStore; snapshotter: OverlaySnapshotter; root: string }
async function engine(name: string): Promise<Engine> {
  const root = join(work, name);
  const snapshotter = await OverlaySnapshotter.open(join(root, 'snapshots'));
  const content = await LocalContentStore.open(join(root, 'content'));
  const images = await ImageStore.open({ content, root: join(root, 'images'), snapshotter });
  return { images, snapshotter, root };
}

async function toFile(src: AsyncIterable<Buffer>, path: string): Promise<void> {
  await pipeline(Readable.from(src), createWriteStream(path));
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'minke-test-archive-'));
  const rootfs = join(work, 'rootfs');
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'tmp']) await mkdir(join(rootfs, d), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await copyFile('/usr/bin/busybox', join(rootfs, 'bin/busybox'));
  await chmod(join(rootfs, 'bin/busybox'), 0o755);
  execFileSync('chroot', [rootfs, '/bin/busybox', '--install', '-s']);
  await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await toFile(tarDirectory(rootfs), join(work, 'rootfs.tar'));
  await pipeline(createReadStream(join(work, 'rootfs.tar')), createGzip(), createWriteStream(join(work, 'rootfs.tar.gz')));
});
after(async () => {
  for (const m of mounts) unmountAll(m);
  await rm(work, { recursive: true, force: true });
});

void test('import, mount, commit, save (skopeo reads it) and load', async () => {
  const e = await engine('a');
  const img = await importImage(e, createReadStream(join(work, 'rootfs.tar.gz')), {
    ref: 'busybox:latest', message: 'hello', origin: 'rootfs.tar.gz',
    changes: ['CMD ["sh"]', 'ENV A=1 B="two words"', 'ENV C three four', 'EXPOSE 80 53/udp', 'WORKDIR /app', 'LABEL x=y', 'ENTRYPOINT echo hi'],
  });
  assert.equal(img.config.architecture, 'amd64');
  assert.equal(img.config.history![0]!.created_by, undefined);
  assert.equal(img.config.history![0]!.comment, 'hello');
  assert.equal(img.config.comment, 'hello');
  assert.deepEqual(img.config.config!.Env, ['A=1', 'B=two words', 'C=three four']);
  assert.deepEqual(img.config.config!.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(img.config.config!.Entrypoint, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(img.config.config!.Cmd, ['sh']);
  assert.equal(img.layers[0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  const { createHash } = await import('node:crypto');
  assert.equal(img.config.rootfs.diff_ids[0], `sha256:${createHash('sha256').update(await readFile(join(work, 'rootfs.tar'))).digest('hex')}`);
  assert.ok(img.size > 500_000);

  // The same rootfs uncompressed shares the snapshot.
  const again = await importImage(e, createReadStream(join(work, 'rootfs.tar')), { ref: 'bb2' });
  assert.equal(again.chainId, img.chainId);
  assert.equal((await e.snapshotter.walk()).length, 1);

  // A container's rootfs: prepare, mount, run-like changes.
  const mnt = join(work, 'mnt');
  await mkdir(mnt);
  mountAll(await e.snapshotter.prepare('ctr', img.chainId), mnt);
  mounts.push(mnt);
  assert.equal(await readlink(join(mnt, 'bin/sh')), '/bin/busybox');
  assert.equal((await lstat(join(mnt, 'bin/busybox'))).mode & 0o777, 0o755);
  execFileSync('chroot', [mnt, '/bin/sh', '-c', 'echo hi > /etc/motd; rm /bin/vi; mkdir -p /app']);
  unmountAll(mnt);

  const upper = await e.snapshotter.dir('ctr');
  const lowers = await e.snapshotter.parentDirs('ctr');
  const committed = await commitLayer(e, { upperDir: upper, lowerDirs: lowers, parent: img, author: 'me', comment: 'c', changes: ['USER nobody'], createdBy: '/bin/sh', tags: ['mine:1'] });
  assert.equal(committed.config.rootfs.diff_ids.length, 2);
  assert.equal(committed.parent, img.id);
  assert.equal(committed.config.config!.User, 'nobody');
  assert.equal(committed.config.author, 'me');
  const hist = await e.images.history('mine:1');
  assert.equal(hist.length, 2);
  assert.equal(hist[0]!.Id, committed.id);
  assert.equal(hist[1]!.Id, img.id);
  assert.deepEqual(hist[1]!.Tags, ['busybox:latest']);

  mountAll(await e.snapshotter.view('v', committed.chainId), mnt);
  assert.equal(await readFile(join(mnt, 'etc/motd'), 'utf8'), 'hi\n');
  assert.ok(!existsSync(join(mnt, 'bin/vi')));
  unmountAll(mnt);

  // Save two images; skopeo understands both the docker-archive and the OCI side.
  const archive = join(work, 'save.tar');
  await toFile(await saveImages(e.images, ['busybox:latest', 'mine:1']), archive);
  const names = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).split('\n');
  assert.ok(names.includes('index.json') && names.includes('manifest.json') && names.includes('oci-layout') && names.includes('repositories'));
  const insp = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${archive}:mine:1`], { encoding: 'utf8' })) as { Layers: string[] };
  assert.equal(insp.Layers.length, 2);
  const ociDir = join(work, 'oci-extract');
  await mkdir(ociDir);
  execFileSync('tar', ['-xf', archive, '-C', ociDir]);
  const ociInsp = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci:${ociDir}:latest`], { encoding: 'utf8' })) as { layers: unknown[] };
  assert.equal(ociInsp.layers.length, 1);

  // Load into a fresh engine.
  const f = await engine('b');
  const res = await loadImages(f, createReadStream(archive));
  assert.deepEqual(res.lines.sort(), ['Loaded image: busybox:latest', 'Loaded image: mine:1']);
  assert.equal((await f.images.get('mine:1')).id, committed.id);
  assert.equal((await f.images.get('busybox')).id, img.id);
  assert.equal((await f.snapshotter.walk()).length, 2);

  // Loading again reuses everything; a corrupted archive is refused.
  await loadImages(f, createReadStream(archive));
  assert.equal((await f.snapshotter.walk()).length, 2);
  const bad = Buffer.from(await readFile(archive));
  const at = bad.indexOf(Buffer.from('"architecture"'));
  bad.write('"Architecture"', at);
  const g = await engine('c');
  await assert.rejects(loadImages(g, Readable.from([bad])), InvalidArgument);
  assert.deepEqual(await g.images.list(), []);
  assert.deepEqual(await readdir(join(g.root, 'content', 'ingest')), []);
});

void test('loads archives written by skopeo (legacy docker-archive and OCI layout)', async () => {
  const e = await engine('d');
  await importImage(e, createReadStream(join(work, 'rootfs.tar')), { ref: 'localhost:5000/bb:v1' });
  const saved = join(work, 'd.tar');
  await toFile(await saveImages(e.images, ['localhost:5000/bb:v1']), saved);
  const legacy = join(work, 'legacy.tar');
  execFileSync('skopeo', ['copy', '-q', `docker-archive:${saved}`, `docker-archive:${legacy}:old/name:tag`]);
  const oci = join(work, 'oci-layout');
  execFileSync('skopeo', ['copy', '-q', `docker-archive:${saved}`, `oci:${oci}:example.com/x/y:2`]);
  const ociTar = join(work, 'oci.tar');
  execFileSync('tar', ['-cf', ociTar, '-C', oci, '.']);

  const f = await engine('e');
  const r1 = await loadImages(f, createReadStream(legacy));
  assert.deepEqual(r1.lines, ['Loaded image: old/name:tag']);
  const r2 = await loadImages(f, createReadStream(ociTar));
  assert.deepEqual(r2.lines, ['Loaded image: example.com/x/y:2']);
  assert.equal((await f.images.get('old/name:tag')).chainId, (await f.images.get('example.com/x/y:2')).chainId);
  assert.equal((await f.snapshotter.walk()).length, 1);
  // Removing the images drops the shared layer snapshot with the last one.
  // (skopeo rewrites the config, so these are two images sharing one layer.)
  const a = await f.images.get('old/name:tag');
  const b = await f.images.get('example.com/x/y:2');
  assert.deepEqual(await f.images.remove('old/name:tag'), [{ Untagged: 'old/name:tag' }, { Deleted: a.id }]);
  assert.deepEqual(await f.images.remove('example.com/x/y:2'), [{ Untagged: 'example.com/x/y:2' }, { Deleted: b.id }, { Deleted: b.chainId! }]);
  assert.equal((await f.snapshotter.walk()).length, 0);
});

void test('cp archives: archivePath and extractTar stay inside the target', async () => {
  const src = join(work, 'rootfs', 'etc');
  const out = join(work, 'cp-out');
  await mkdir(out);
  await extractTar(out, await archivePath(src));
  assert.equal(await readFile(join(out, 'etc/passwd'), 'utf8'), 'root:x:0:0:root:/root:/bin/sh\n');
  await extractTar(out, await archivePath(join(src, 'passwd'), 'renamed'));
  assert.ok(existsSync(join(out, 'renamed')));
});

void test('--change validation', () => {
  assert.throws(() => applyChanges({}, ['RUN echo']), { message: 'run is not a valid change command' });
  assert.throws(() => applyChanges({}, ['EXPOSE abc']), InvalidArgument);
  assert.deepEqual(applyChanges({ WorkingDir: '/a' }, ['WORKDIR b', 'VOLUME ["/data"]', 'STOPSIGNAL SIGINT', 'ONBUILD run echo', 'CMD echo $HOME']), {
    WorkingDir: '/a/b', Volumes: { '/data': {} }, StopSignal: 'SIGINT', OnBuild: ['run echo'], Cmd: ['/bin/sh', '-c', 'echo $HOME'],
  });
});

void test('--change HEALTHCHECK as the Dockerfile builder parses it', () => {
  assert.deepEqual(applyChanges({}, ['HEALTHCHECK --interval=200ms --retries=2 CMD test -f /tmp/ok']).Healthcheck, {
    Test: ['CMD-SHELL', 'test -f /tmp/ok'], Interval: 200_000_000, Retries: 2,
  });
  assert.deepEqual(applyChanges({}, ['HEALTHCHECK --timeout=1m30s --start-period=1s CMD ["true", "x"]']).Healthcheck, {
    Test: ['CMD', 'true', 'x'], Timeout: 90e9, StartPeriod: 1e9,
  });
  assert.deepEqual(applyChanges({}, ['healthcheck none']).Healthcheck, { Test: ['NONE'] });
  assert.throws(() => applyChanges({}, ['HEALTHCHECK NONE x']), { message: 'HEALTHCHECK NONE takes no arguments' });
  assert.throws(() => applyChanges({}, ['HEALTHCHECK RUN x']), { message: 'Unknown type "RUN" in HEALTHCHECK (try CMD)' });
  assert.throws(() => applyChanges({}, ['HEALTHCHECK --retries=-1 CMD x']), { message: '--retries cannot be negative (-1)' });
  assert.throws(() => applyChanges({}, ['HEALTHCHECK --interval=10us CMD x']), { message: 'Interval "interval" cannot be less than 1ms' });
});

void test('--change expands variables from the config as it was, as a Dockerfile does', () => {
  const env = ['PATH=/bin', 'HOME=/root', 'EMPTY='];
  assert.equal(expandVars('PATH=/usr/bin:$PATH', env), 'PATH=/usr/bin:/bin');
  assert.equal(expandVars('A=${HOME}/x B=${NOPE:-dflt} C=${HOME:+set} D=${EMPTY:-e} E=${EMPTY-e}', env), 'A=/root/x B=dflt C=set D=e E=');
  assert.equal(expandVars("A='$HOME' B=\"$HOME\" C=\\$HOME", env), "A='$HOME' B=\"/root\" C=\\$HOME");
  assert.deepEqual(applyChanges({ Env: ['PATH=/bin'] }, ['ENV PATH=/usr/bin:$PATH', 'WORKDIR /w/$NOPE']).Env, ['PATH=/usr/bin:/bin']);
});
