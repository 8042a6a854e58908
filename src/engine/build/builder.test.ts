/**
 * The builder on a real content store, snapshotter and runc, with hand-made stages (the parser
 * has its own tests): image config and history, layers, the cache, failures that leave nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalContentStore } from '../content/store.js';
import { ImageStore } from '../images/image-store.js';
import { OverlaySnapshotter } from '../snapshots/overlay.js';
import { importImage } from '../archive/import.js';
import { busyboxTar } from '../../../test/harness.js';
import { BuildCache } from './cache.js';
import { Builder } from './builder.js';
import { parseForBuild } from './frontend.js';
import { MemoryOutput } from './legacy-stream.js';

const canRun = process.getuid?.() === 0 && existsSync('/usr/sbin/runc');
const skip = canRun ? false : 'needs root and runc';

let dir: string;
let ctx: string;
let images: ImageStore;
let sn: OverlaySnapshotter;
let cache: BuildCache;
let builder: Builder;

async function build(dockerfile: string, opts: { noCache?: boolean; buildArgs?: Record<string, string>; tags?: string[]; target?: string; secrets?: Map<string, Buffer> } = {}): Promise<{ id: string; out: MemoryOutput }> {
  const out = new MemoryOutput();
  const parsed = parseForBuild(dockerfile);
  const img = await builder.build({ ...parsed, contextDir: ctx, out, network: 'none', ...opts });
  return { id: img.id, out };
}

before(async () => {
  if (!canRun) return;
  dir = await mkdtemp('/tmp/bld-unit-');
  ctx = join(dir, 'ctx');
  await mkdir(join(ctx, 'd/sub'), { recursive: true });
  await writeFile(join(ctx, 'a.txt'), 'hello\n');
  await writeFile(join(ctx, 'b.txt'), 'bee\n');
  await writeFile(join(ctx, 'd/sub/x'), 'x\n');
  const content = await LocalContentStore.open(join(dir, 'content'));
  sn = await OverlaySnapshotter.open(join(dir, 'snapshots'));
  images = await ImageStore.open({ content, root: join(dir, 'images'), snapshotter: sn });
  await importImage({ images, snapshotter: sn }, createReadStream(busyboxTar()), { ref: 'busybox:latest', changes: ['CMD ["sh"]'] });
  cache = await BuildCache.open(join(dir, 'cache'));
  await mkdir(join(dir, 'exec'), { recursive: true });
  builder = new Builder({ images, snapshotter: sn, cache, buildRoot: join(dir, 'build'), runcRoot: join(dir, 'exec', 'runc'), secretsRoot: join(dir, 'exec', 'secrets') });
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The file as the image's merged layers have it. */
async function fileIn(imageId: string, rel: string): Promise<string> {
  const img = await images.get(imageId);
  const dirs = [await sn.dir(img.chainId!), ...await sn.parentDirs(img.chainId!)];
  for (const d of dirs) if (existsSync(join(d, rel))) return readFile(join(d, rel), 'utf8');
  throw new Error(`${rel} not in ${imageId}`);
}

test('a single-stage build: config, history, layers, cache hit', { skip }, async () => {
  const s = [
    'FROM busybox', 'ENV A="b"', 'WORKDIR /w', 'COPY a.txt ./', 'COPY --chown=daemon --chmod=0700 d /dd',
    'RUN echo run:$A > /w/out; echo err >&2', 'RUN true', 'LABEL k=v', 'EXPOSE 80 53/udp', 'USER nobody', 'CMD ["sh", "-c", "cat out"]', '',
  ].join('\n');
  const { id, out } = await build(s, { tags: ['t:1'] });
  assert.match(out.text, /^Step 1\/11 : FROM busybox\n ---> [0-9a-f]{12}\nStep 2\/11 : ENV A="b"\n ---> [0-9a-f]{12}\n/);
  assert.match(out.text, / ---> Running in [0-9a-f]{12}\n\x1b\[91merr\n\x1b\[0mRemoving intermediate container/);
  assert.match(out.text, new RegExp(`Successfully built ${id.slice(7, 19)}\nSuccessfully tagged t:1\n$`));
  const img = await images.get('t:1');
  assert.equal(img.id, id);
  const c = img.config.config!;
  assert.deepEqual(c.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=b']);
  assert.equal(c.WorkingDir, '/w');
  assert.equal(c.User, 'nobody');
  assert.deepEqual(c.Cmd, ['sh', '-c', 'cat out']);
  assert.deepEqual(c.Labels, { k: 'v' });
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  const hist = img.config.history!.slice(1);
  assert.deepEqual(hist.map((h) => [h.created_by!.replace(/[0-9a-f]{64}/, 'H'), h.empty_layer ?? false]), [
    ['/bin/sh -c #(nop)  ENV A=b', true],
    ['/bin/sh -c #(nop) WORKDIR /w', false],
    ['/bin/sh -c #(nop) COPY file:H in /w/ ', false],
    ['/bin/sh -c #(nop) COPY dir:H in /dd ', false],
    ['/bin/sh -c echo run:$A > /w/out; echo err >&2', false],
    ['/bin/sh -c true', true],
    ['/bin/sh -c #(nop)  LABEL k=v', true],
    ['/bin/sh -c #(nop)  EXPOSE 53/udp 80', true],
    ['/bin/sh -c #(nop)  USER nobody', true],
    ['/bin/sh -c #(nop)  CMD ["sh" "-c" "cat out"]', true],
  ]);
  assert.equal(img.config.rootfs.diff_ids.length, 5);
  assert.equal(await fileIn(id, 'w/a.txt'), 'hello\n');
  assert.equal(await fileIn(id, 'w/out'), 'run:b\n');
  assert.equal(await fileIn(id, 'dd/sub/x'), 'x\n');
  // --chown by name from the image's /etc/passwd (daemon is 1:1), --chmod on files and dirs.
  const copied = [await sn.dir(img.chainId!), ...await sn.parentDirs(img.chainId!)].map((d) => join(d, 'dd/sub/x')).find((p) => existsSync(p))!;
  const st = await stat(copied);
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [1, 1, 0o700]);

  // The same again: every step from the cache, the same image.
  const again = await build(s, { tags: ['t:1'] });
  assert.equal(again.id, id);
  assert.equal(again.out.text.match(/Using cache/g)?.length, 10);
  assert.doesNotMatch(again.out.text, /Running in/);
  // One input file changed: the steps before it are cached, it and those after are made again.
  await writeFile(join(ctx, 'd/sub/x'), 'changed\n');
  const changed = await build(s);
  assert.notEqual(changed.id, id);
  assert.equal(changed.out.text.match(/Using cache/g)?.length, 3);
  assert.equal(await fileIn(changed.id, 'dd/sub/x'), 'changed\n');
  await writeFile(join(ctx, 'd/sub/x'), 'x\n');
  // --no-cache: nothing from the cache.
  const fresh = await build(s, { noCache: true });
  assert.doesNotMatch(fresh.out.text, /Using cache/);
});

test('a failing RUN: its output, the command and code, nothing left behind', { skip }, async () => {
  const before = (await sn.walk()).map((x) => x.name).sort();
  await assert.rejects(build('FROM busybox\nRUN echo out; exit 3\n'), (err: Error) => {
    assert.equal(err.message, "The command '/bin/sh -c echo out; exit 3' returned a non-zero code: 3");
    return true;
  });
  assert.deepEqual((await sn.walk()).map((x) => x.name).sort(), before);
  assert.deepEqual(await readdir(join(dir, 'build', 'mnt')), []);
  assert.deepEqual(await readdir(join(dir, 'build', 'bundles')), []);
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  assert.ok(!mounts.includes(join(dir, 'build')), 'no build mount left');
});

test('COPY of a missing source names it', { skip }, async () => {
  await assert.rejects(build('FROM busybox\nCOPY nothere /x\n'),
    /COPY failed: file not found in build context or excluded by \.dockerignore: stat nothere: file does not exist/);
  await assert.rejects(build('FROM nosuch\n'), /pull access denied for nosuch/);
});

test('build args reach RUN (not the image), SOURCE_DATE_EPOCH gives the same layers', { skip }, async () => {
  const s = 'FROM busybox\nARG X=1\nRUN echo $X > /x\nCOPY a.txt b.txt /c/\n';
  const a = await build(s, { buildArgs: { X: '2', SOURCE_DATE_EPOCH: '1700000000' }, noCache: true });
  const img = await images.get(a.id);
  assert.equal(await fileIn(a.id, 'x'), '2\n');
  assert.equal(img.config.history!.at(-2)!.created_by, '|1 X=2 /bin/sh -c echo $X > /x');
  assert.ok(!(img.config.config!.Env ?? []).some((e) => e.startsWith('X=')));
  assert.equal(img.config.created, '2023-11-14T22:13:20.000Z');
  const b = await build(s, { buildArgs: { X: '2', SOURCE_DATE_EPOCH: '1700000000' }, noCache: true });
  assert.equal(b.id, a.id, 'the same inputs and epoch: the same image');
});

test('multi-stage: only what the target needs, COPY --from, stages by name', { skip }, async () => {
  const stages = [
    'ARG BASE=busybox', 'FROM ${BASE} AS one', 'RUN echo one > /one',
    'FROM busybox AS unused', 'RUN exit 9',
    'FROM one AS two', 'RUN cat /one > /two',
    'FROM scratch', 'COPY --from=two /two /', 'COPY --from=0 /one /o', '',
  ].join('\n');
  const { id, out } = await build(stages);
  assert.doesNotMatch(out.text, /exit 9/);
  assert.equal(await fileIn(id, 'two'), 'one\n');
  assert.equal(await fileIn(id, 'o'), 'one\n');
  const img = await images.get(id);
  assert.equal(img.config.rootfs.diff_ids.length, 2);
  const t = await build(stages, { target: 'two' });
  assert.equal(await fileIn(t.id, 'two'), 'one\n');
  await assert.rejects(build(stages, { target: 'nope' }), /failed to reach build target nope in Dockerfile/);
});

test('ONBUILD triggers run when the image is a base', { skip }, async () => {
  const base = await build('FROM busybox\nONBUILD RUN echo triggered > /t\n', { tags: ['onb:1'] });
  assert.deepEqual((await images.get(base.id)).config.config!.OnBuild, ['RUN echo triggered > /t']);
  const child = await build('FROM onb:1\n');
  assert.match(child.out.text, /# Executing 1 build trigger\n/);
  assert.equal(await fileIn(child.id, 't'), 'triggered\n');
  assert.equal((await images.get(child.id)).config.config!.OnBuild, null);
});

test('COPY <<EOF writes the heredoc as a file; ADD extracts a local tar; WORKDIR, ENTRYPOINT, VOLUME, HEALTHCHECK', { skip }, async () => {
  const { spawnSync } = await import('node:child_process');
  spawnSync('tar', ['-cf', join(ctx, 'arch.tar'), '-C', join(ctx, 'd'), 'sub']);
  const { id } = await build([
    'FROM busybox', 'ARG WHO=heredoc', 'COPY <<EOF /etc/greeting', 'hello $WHO', 'EOF',
    'ADD arch.tar /unpacked/', 'WORKDIR rel', 'ENTRYPOINT ["sh", "-c"]', 'VOLUME /data',
    'HEALTHCHECK --interval=5s --retries=2 CMD true', 'STOPSIGNAL SIGINT', '',
  ].join('\n'));
  assert.equal(await fileIn(id, 'etc/greeting'), 'hello heredoc\n');
  assert.equal(await fileIn(id, 'unpacked/sub/x'), 'x\n');
  const c = (await images.get(id)).config.config!;
  assert.equal(c.WorkingDir, '/rel');
  assert.deepEqual(c.Entrypoint, ['sh', '-c']);
  assert.equal(c.Cmd, null, 'ENTRYPOINT drops the base image\'s CMD');
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 2 });
  assert.equal(c.StopSignal, 'SIGINT');
});

/** Whether a path is in the image's top layer (what the last step made). */
async function inTopLayer(imageId: string, rel: string): Promise<boolean> {
  const img = await images.get(imageId);
  return existsSync(join(await sn.dir(img.chainId!), rel));
}

test('RUN --mount=type=secret: a file or a variable for the step, never in a layer or the history', { skip }, async () => {
  const secrets = new Map([['tok', Buffer.from('s3cr3t')]]);
  const { id } = await build([
    'FROM busybox',
    'RUN --mount=type=secret,id=tok cat /run/secrets/tok > /copied; stat -c %a:%u /run/secrets/tok > /perm',
    'RUN --mount=type=secret,id=tok,env=TOKEN,target=/s/t,mode=0440,uid=1 echo "$TOKEN" > /fromenv; stat -c %a:%u /s/t > /perm2',
    'RUN --mount=type=secret,id=absent echo ok > /absent-ok',
    '',
  ].join('\n'), { secrets, noCache: true });
  assert.equal(await fileIn(id, 'copied'), 's3cr3t');
  assert.equal(await fileIn(id, 'perm'), '400:0\n');
  assert.equal(await fileIn(id, 'fromenv'), 's3cr3t\n');
  assert.equal(await fileIn(id, 'perm2'), '440:1\n');
  assert.equal(await fileIn(id, 'absent-ok'), 'ok\n');
  const img = await images.get(id);
  const dirs = [await sn.dir(img.chainId!), ...await sn.parentDirs(img.chainId!)];
  for (const d of dirs) {
    assert.ok(!existsSync(join(d, 'run/secrets/tok')), 'no secret mount point in a layer');
    assert.ok(!existsSync(join(d, 's/t')), 'no secret target in a layer');
  }
  assert.ok(!JSON.stringify(img.config).includes('s3cr3t'), 'the value is not in the config or history');
  await assert.rejects(build('FROM busybox\nRUN --mount=type=secret,id=nope,required cat /run/secrets/nope\n'), /secret nope: not found/);
  assert.deepEqual(await readdir(join(dir, 'exec', 'secrets')).catch(() => []), [], 'secret files are removed after the step');
});

test('RUN --mount=type=bind: the context, a stage or an image; read-only by default, writes thrown away with rw', { skip }, async () => {
  const s = [
    'FROM busybox AS src', 'RUN mkdir /data && echo staged > /data/f',
    'FROM busybox',
    'RUN --mount=type=bind,source=d,target=/ctx cat /ctx/sub/x > /from-ctx',
    'RUN --mount=type=bind,from=src,source=/data,target=/m cat /m/f > /from-stage',
    'RUN --mount=type=bind,from=busybox,source=/bin,target=/bb test -x /bb/sh && echo img > /from-image',
    'RUN --mount=type=bind,target=/rw,rw touch /rw/new && test -f /rw/new && echo rw > /rw-ok',
    '',
  ].join('\n');
  const { id } = await build(s);
  assert.equal(await fileIn(id, 'from-ctx'), 'x\n');
  assert.equal(await fileIn(id, 'from-stage'), 'staged\n');
  assert.equal(await fileIn(id, 'from-image'), 'img\n');
  assert.equal(await fileIn(id, 'rw-ok'), 'rw\n');
  assert.ok(!existsSync(join(ctx, 'new')), 'a rw bind does not write into the context');
  assert.ok(!await inTopLayer(id, 'rw/new') && !await inTopLayer(id, 'rw'), 'nor into the layer');
  await assert.rejects(build('FROM busybox\nRUN --mount=type=bind,target=/ro touch /ro/z\n'), /returned a non-zero code/);
  await assert.rejects(build('FROM busybox\nRUN --mount=type=bind,source=nothere,target=/x true\n'), /"\/nothere" not found/);
  // The bound files are part of the step's key: a change in them makes the step again.
  const again = await build(s);
  assert.equal(again.id, id);
  await writeFile(join(ctx, 'd/sub/x'), 'y\n');
  try {
    const changed = await build(s);
    assert.equal(await fileIn(changed.id, 'from-ctx'), 'y\n');
  } finally {
    await writeFile(join(ctx, 'd/sub/x'), 'x\n');
  }
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  assert.ok(!mounts.includes(join(dir, 'build')), 'no build mount left');
});

test('COPY --parents, --exclude and --link', { skip }, async () => {
  const { id } = await build([
    'FROM scratch',
    'COPY --parents d/sub/x a.txt /p/',
    'COPY --parents ./d/./sub/x /q/',
    'COPY --exclude=*.txt --exclude=*.tar . /e/',
    'COPY --link a.txt /l',
    '',
  ].join('\n'));
  assert.equal(await fileIn(id, 'p/d/sub/x'), 'x\n');
  assert.equal(await fileIn(id, 'p/a.txt'), 'hello\n');
  assert.equal(await fileIn(id, 'q/sub/x'), 'x\n');
  assert.equal(await fileIn(id, 'e/d/sub/x'), 'x\n');
  await assert.rejects(fileIn(id, 'e/a.txt'), /not in/);
  assert.equal(await fileIn(id, 'l'), 'hello\n');
});

test('RUN heredocs: fed to a command, a script with a shebang, <<- with tabs', { skip }, async () => {
  const { id } = await build([
    'FROM busybox',
    'RUN cat <<EOF > /h1', 'home $HOME', 'EOF',
    'RUN <<EOF', '#!/bin/sh', 'echo shebang $0 > /h2', 'EOF',
    'RUN <<-EOT sh', '\techo tabbed > /h3', '\tEOT',
    '',
  ].join('\n'));
  assert.equal(await fileIn(id, 'h1'), 'home /root\n');
  assert.equal(await fileIn(id, 'h2'), 'shebang /dev/pipes/EOF\n');
  assert.equal(await fileIn(id, 'h3'), 'tabbed\n');
});

test('ADD --checksum checks what a URL serves', { skip }, async () => {
  const { createServer } = await import('node:http');
  const { createHash } = await import('node:crypto');
  const server = createServer((_req, res) => res.end('payload\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/f.txt`;
    const good = `sha256:${createHash('sha256').update('payload\n').digest('hex')}`;
    const { id } = await build(`FROM scratch\nADD --checksum=${good} ${url} /f\n`);
    assert.equal(await fileIn(id, 'f'), 'payload\n');
    await assert.rejects(build(`FROM scratch\nADD --checksum=sha256:${'0'.repeat(64)} ${url} /f\n`), /digest mismatch/);
    await assert.rejects(build('FROM scratch\nADD --checksum=md5:x a.txt /f\n'), /checksum/);
  } finally {
    server.close();
  }
});

test('an image the build names and the engine lacks is pulled (FROM, COPY --from), once; --pull pulls every one', { skip }, async () => {
  const pulled: string[] = [];
  const withPull = new Builder({
    images, snapshotter: sn, cache, buildRoot: join(dir, 'build'), runcRoot: join(dir, 'exec', 'runc'), secretsRoot: join(dir, 'exec', 'secrets'),
    pull: async (ref, o) => {
      pulled.push(ref);
      o.progress({ status: 'Pulling from fake', id: ref });
      const bb = await images.get('busybox:latest');
      await images.tag(bb.id, ref);
      return images.get(ref);
    },
  });
  const out = new MemoryOutput();
  const progress: unknown[] = [];
  (out as MemoryOutput & { progress(m: unknown): void }).progress = (m: unknown) => progress.push(m);
  const parsed = parseForBuild('FROM remote.example/base:1\nCOPY --from=remote.example/base:1 /bin/sh /sh\n');
  await withPull.build({ ...parsed, contextDir: ctx, out, network: 'none' });
  assert.deepEqual(pulled, ['remote.example/base:1'], 'pulled once for both uses');
  assert.deepEqual(progress, [{ status: 'Pulling from fake', id: 'remote.example/base:1' }]);
  await withPull.build({ ...parseForBuild('FROM busybox\n'), contextDir: ctx, out: new MemoryOutput(), network: 'none', pull: true });
  assert.deepEqual(pulled, ['remote.example/base:1', 'busybox']);
  await assert.rejects(build('FROM remote.example/other:1\n'), /pull access denied for remote\.example\/other:1/);
});
