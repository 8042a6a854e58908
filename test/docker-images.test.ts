// The real docker CLI against minke: import, images, tag, rmi, inspect, history, prune, save/load.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestEngine, busyboxTar } from './harness.js';

describe('docker CLI: images', { concurrency: false }, () => {
  const e = new TestEngine();
  let dir = '';
  before(async () => {
    dir = mkdtempSync('/tmp/minke-img-');
    await e.start();
    await e.importBusybox();
  });
  after(async () => {
    await e.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => e.reset());

  it('imports a rootfs tar from a file and from stdin with --change', async () => {
    const id = (await e.ok(['import', '-c', 'ENV FOO=bar', '-c', 'WORKDIR /tmp', '-c', 'ENTRYPOINT ["sh", "-c"]', '-c', 'EXPOSE 8080', '-c', 'LABEL a=b', '-m', 'hello', busyboxTar(), 'changed:v1'])).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await e.ok(['run', '--rm', 'changed:v1', 'echo $FOO $(pwd)']), 'bar /tmp\n');
    const cfg = JSON.parse(await e.ok(['image', 'inspect', '-f', '{{json .Config}}', 'changed:v1'])) as { ExposedPorts: Record<string, unknown>; Labels: Record<string, string> };
    assert.deepEqual(Object.keys(cfg.ExposedPorts), ['8080/tcp']);
    assert.equal(cfg.Labels.a, 'b');
    assert.equal((await e.ok(['image', 'inspect', '-f', '{{.Comment}}', 'changed:v1'])).trim(), 'hello');
    const { readFileSync } = await import('node:fs');
    const viaStdin = (await e.ok(['import', '-', 'stdin:v1'], { input: readFileSync(busyboxTar()) })).trim();
    assert.match(viaStdin, /^sha256:/);
    const bad = await e.docker(['import', '-c', 'FROM x', busyboxTar(), 'bad:1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /from is not a valid change command/);
  });

  it('lists, tags, filters and removes', async () => {
    await e.ok(['tag', 'busybox', 'mine/box:1']);
    const table = await e.ok(['images']);
    assert.match(table, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/m);
    assert.match(table, /^mine\/box\s+1\s+[0-9a-f]{12}\s+/m);
    const q = await e.ok(['images', '-q', 'mine/box']);
    assert.match(q.trim(), /^[0-9a-f]{12}$/);
    const ref = await e.ok(['images', '--filter', 'reference=mine/*', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.equal(ref, 'mine/box:1\n');
    const rmi = await e.ok(['rmi', 'mine/box:1']);
    assert.equal(rmi, 'Untagged: mine/box:1\n');
    const missing = await e.docker(['rmi', 'nosuch:tag']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such image: nosuch:tag/);
    await e.ok(['create', '--name', 'user', 'stdin:v1', 'true']);
    const inUse = await e.docker(['rmi', 'stdin:v1']);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /container [0-9a-f]{12} is using its referenced image/);
    await e.ok(['rm', 'user']);
  });

  it('shows history and inspect as docker does', async () => {
    const h = await e.ok(['history', 'busybox']);
    assert.match(h, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/m);
    assert.match(h, /Imported from/);
    const os = await e.ok(['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}} {{len .RootFS.Layers}}', 'busybox']);
    assert.equal(os.trim(), 'linux/amd64 1');
  });

  it('saves and loads its own archives', async () => {
    const tar = join(dir, 'bb.tar');
    await e.ok(['save', '-o', tar, 'busybox']);
    const id = (await e.ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).trim();
    await e.ok(['rmi', '-f', 'busybox']);
    const loaded = await e.ok(['load', '-i', tar]);
    assert.match(loaded, /Loaded image: busybox:latest/);
    assert.equal((await e.ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).trim(), id);
    assert.equal(await e.ok(['run', '--rm', 'busybox', 'echo', 'loaded']), 'loaded\n');
  });

  it('prunes dangling images', async () => {
    await e.ok(['import', busyboxTar(), 'dangle:1']);
    await e.ok(['import', '-c', 'ENV X=1', busyboxTar(), 'dangle:1']);
    const dangling = await e.ok(['images', '-f', 'dangling=true', '-q']);
    assert.notEqual(dangling.trim(), '');
    const out = await e.ok(['image', 'prune', '-f']);
    assert.match(out, /Deleted Images:|Total reclaimed space/);
    assert.equal((await e.ok(['images', '-f', 'dangling=true', '-q'])).trim(), '');
  });

  it('reports disk usage', async () => {
    const df = await e.ok(['system', 'df']);
    assert.match(df, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/m);
    assert.match(df, /^Images\s+\d+/m);
    assert.match(df, /^Containers\s+\d+/m);
  });

  it('prunes the system and reports info', async () => {
    await e.ok(['create', '--name', 'stopped', 'busybox', 'true']);
    const out = await e.ok(['system', 'prune', '-f']);
    assert.match(out, /Deleted Containers:\n[0-9a-f]{64}/);
    assert.match(out, /Total reclaimed space/);
    assert.equal((await e.docker(['inspect', 'stopped'])).code, 1);
    const info = await e.ok(['info', '--format', '{{.Driver}} {{.CgroupDriver}} {{.Images}}']);
    assert.match(info, /^overlay2 cgroupfs \d+\n$/);
  });
});
