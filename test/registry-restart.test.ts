/**
 * A minke registry (the real `minke registry serve`) killed and started again: an upload goes on
 * from where it was, a server killed in the middle of a chunk comes back consistent (the chunk
 * not taken for data, stale files cleared, nothing half-made served), and clients pushing the
 * same content at once all succeed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { spawnRegistry, type ChildRegistry } from './registry/child.js';
import { filesUnder, sha256, testRegistry } from './registry/harness.js';
import { http } from './registry/http-client.js';

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

void describe('registry restarts and concurrent pushes', () => {
  const dirs: string[] = [];
  const children: ChildRegistry[] = [];
  const newRoot = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'minke-registry-restart-'));
    dirs.push(d);
    return d;
  };
  const start = async (root: string): Promise<ChildRegistry> => {
    const c = await spawnRegistry(root);
    children.push(c);
    return c;
  };
  after(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) await c.kill();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('resumes an upload after a restart', async () => {
    const root = newRoot();
    const data = randomBytes(3 << 20);
    let reg = await start(root);
    const post = await http(`${reg.url}/v2/app/blobs/uploads/`, { method: 'POST' });
    const loc = post.header('location')!;
    const half = data.length >> 1;
    assert.equal((await http(new URL(loc, reg.url), { method: 'PATCH', body: data.subarray(0, half), headers: { 'Content-Range': `0-${half - 1}` } })).status, 202);
    await reg.kill();
    reg = await start(root);
    const status = await http(new URL(loc, reg.url));
    assert.equal(status.status, 204);
    assert.equal(status.header('range'), `0-${half - 1}`);
    assert.equal((await http(new URL(loc, reg.url), { method: 'PATCH', body: data.subarray(half), headers: { 'Content-Range': `${half}-${data.length - 1}` } })).status, 202);
    const put = new URL(loc, reg.url);
    put.searchParams.set('digest', sha256(data));
    assert.equal((await http(put, { method: 'PUT' })).status, 201);
    assert.ok((await http(`${reg.url}/v2/app/blobs/${sha256(data)}`)).body.equals(data));
    await reg.stop();
  });

  it('comes back consistent after being killed in the middle of a chunk', async () => {
    const root = newRoot();
    const data = randomBytes(8 << 20);
    let reg = await start(root);
    const first = 1 << 20;
    const post = await http(`${reg.url}/v2/app/blobs/uploads/`, { method: 'POST' });
    const loc = post.header('location')!;
    const id = post.header('docker-upload-uuid')!;
    assert.equal((await http(new URL(loc, reg.url), { method: 'PATCH', body: data.subarray(0, first) })).status, 202);
    // a second chunk, sent in part: the server has written some of it when it is killed
    const port = Number(new URL(reg.url).port);
    const sock = connect(port, '127.0.0.1');
    sock.on('error', () => {});
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(`PATCH ${loc} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${data.length - first}\r\nContent-Range: ${first}-${data.length - 1}\r\n\r\n`);
    sock.write(data.subarray(first, first + (3 << 20)));
    const dataFile = join(root, 'uploads', id, 'data');
    await until(() => statSync(dataFile).size > first, 'part of the second chunk to reach the upload');
    await reg.kill();
    sock.destroy();
    // what a crash leaves besides: a file half written, an upload half created
    writeFileSync(join(root, 'tmp', 'leftover'), 'x');
    mkdirSync(join(root, 'uploads', '00000000-0000-4000-8000-000000000000'));
    reg = await start(root);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.deepEqual(await readdir(join(root, 'uploads')), [id]);
    const status = await http(new URL(loc, reg.url));
    assert.equal(status.header('range'), `0-${first - 1}`, 'the chunk the server died in is not data');
    assert.equal(statSync(dataFile).size, first);
    assert.equal((await http(`${reg.url}/v2/app/blobs/${sha256(data)}`, { method: 'HEAD' })).status, 404);
    const rest = await http(new URL(loc, reg.url), { method: 'PATCH', body: data.subarray(first), headers: { 'Content-Range': `${first}-${data.length - 1}` } });
    assert.equal(rest.status, 202);
    const put = new URL(rest.header('location')!, reg.url);
    put.searchParams.set('digest', sha256(data));
    assert.equal((await http(put, { method: 'PUT' })).status, 201);
    assert.ok((await http(`${reg.url}/v2/app/blobs/${sha256(data)}`)).body.equals(data));
    await reg.stop();
  });

  it('lets clients push the same blob and manifest at once, by every method', async () => {
    const reg = await testRegistry();
    try {
      const data = randomBytes(2 << 20);
      const d = sha256(data);
      const monolithic = async (): Promise<number> => (await http(`${reg.url}/v2/shared/blobs/uploads/?digest=${d}`, { method: 'POST', body: data })).status;
      const postPut = async (): Promise<number> => {
        const p = await http(`${reg.url}/v2/shared/blobs/uploads/`, { method: 'POST' });
        const u = new URL(p.header('location')!, reg.url);
        u.searchParams.set('digest', d);
        return (await http(u, { method: 'PUT', body: data, chunked: true })).status;
      };
      const chunked = async (): Promise<number> => {
        const p = await http(`${reg.url}/v2/shared/blobs/uploads/`, { method: 'POST' });
        let loc = p.header('location')!;
        for (let off = 0; off < data.length; off += 512 << 10) {
          const end = Math.min(off + (512 << 10), data.length) - 1;
          const r = await http(new URL(loc, reg.url), { method: 'PATCH', body: data.subarray(off, end + 1), headers: { 'Content-Range': `${off}-${end}` } });
          loc = r.header('location')!;
        }
        const u = new URL(loc, reg.url);
        u.searchParams.set('digest', d);
        return (await http(u, { method: 'PUT' })).status;
      };
      const statuses = await Promise.all([monolithic, postPut, chunked, monolithic, postPut, chunked].map((f) => f()));
      assert.deepEqual(statuses, [201, 201, 201, 201, 201, 201]);
      assert.ok((await http(`${reg.url}/v2/shared/blobs/${d}`)).body.equals(data));
      const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
      const cd = sha256(config);
      await http(`${reg.url}/v2/shared/blobs/uploads/?digest=${cd}`, { method: 'POST', body: config });
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d, size: data.length }],
      });
      const tags = ['a', 'b', 'c', 'd', 'e', 'f'];
      const puts = await Promise.all(tags.map((t) => http(`${reg.url}/v2/shared/manifests/${t}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } })));
      assert.deepEqual(puts.map((r) => r.status), tags.map(() => 201));
      assert.deepEqual((await http(`${reg.url}/v2/shared/tags/list`)).json(), { name: 'shared', tags });
      assert.deepEqual(filesUnder(join(reg.root, 'uploads')), []);
      assert.deepEqual(filesUnder(join(reg.root, 'tmp')), []);
    } finally {
      await reg.dispose();
    }
  });
});
