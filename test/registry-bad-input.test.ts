/**
 * Bad input to a minke registry: names and tags that break the grammar, malformed and
 * unsupported digests, digests that do not match, truncated and out-of-order uploads, malformed
 * manifests and unknown media types, manifests referring to what the repository lacks. Each gets
 * the spec's error code and JSON body (never a 500), and leaves no blob, record or upload behind.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertError, filesUnder, pushBlob, pushImage, sha256, testRegistry, type TestRegistry } from './registry/harness.js';
import { http } from './registry/http-client.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Sends a request whose body stops short of its Content-Length, then closes the connection. */
function truncated(port: number, method: string, path: string, declared: number, sent: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`);
      s.write(sent, () => setTimeout(() => s.destroy(), 100));
    });
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}

async function until(cond: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

void describe('bad input to the registry', () => {
  let reg: TestRegistry;
  let base: string;
  /** What the root holds now; the function returned checks it holds the same after bad requests. */
  const mark = (): (() => void) => {
    const before = filesUnder(reg.root);
    return () => assert.deepEqual(filesUnder(reg.root), before);
  };

  before(async () => {
    reg = await testRegistry();
    base = reg.url;
    await pushImage(base, 'good/repo', 'v1');
  });
  after(() => reg.dispose());

  it('refuses names that break the grammar with NAME_INVALID', async () => {
    const unchanged = mark();
    for (const name of ['UPPER/case', 'a..b', '-lead', 'trail-', 'a//b', 'a/_b', `${'a'.repeat(256)}`, 'a%2F..%2Fb']) {
      assertError(await http(`${base}/v2/${name}/tags/list`), 400, 'NAME_INVALID');
      assertError(await http(`${base}/v2/${name}/blobs/uploads/`, { method: 'POST' }), 400, 'NAME_INVALID');
    }
    unchanged();
  });

  it('refuses malformed and unsupported digests with DIGEST_INVALID', async () => {
    const unchanged = mark();
    const bad = ['sha256:abc', `sha256:${'A'.repeat(64)}`, `md5:${'a'.repeat(32)}`, `sha512:${'a'.repeat(64)}`, 'nocolon', `sha256:${'g'.repeat(64)}`];
    for (const d of bad) {
      if (d.includes(':')) {
        assertError(await http(`${base}/v2/good/repo/blobs/${d}`), 400, 'DIGEST_INVALID');
        assertError(await http(`${base}/v2/good/repo/manifests/${d}`), 400, 'DIGEST_INVALID');
        assertError(await http(`${base}/v2/good/repo/referrers/${d}`), 400, 'DIGEST_INVALID');
      }
      assertError(await http(`${base}/v2/good/repo/blobs/uploads/?digest=${d}`, { method: 'POST', body: 'x' }), 400, 'DIGEST_INVALID');
    }
    unchanged();
  });

  it('refuses content that does not match its digest, keeping nothing of it', async () => {
    const unchanged = mark();
    const data = randomBytes(5000);
    const wrong = sha256('something else');
    assertError(await http(`${base}/v2/good/repo/blobs/uploads/?digest=${wrong}`, { method: 'POST', body: data }), 400, 'DIGEST_INVALID');
    const start = await http(`${base}/v2/good/repo/blobs/uploads/`, { method: 'POST' });
    const loc = new URL(start.header('location')!, base);
    loc.searchParams.set('digest', wrong);
    assertError(await http(loc, { method: 'PUT', body: data }), 400, 'DIGEST_INVALID');
    assertError(await http(loc), 404, 'BLOB_UPLOAD_UNKNOWN');
    assertError(await http(`${base}/v2/good/repo/blobs/${sha256(data)}`), 404, 'BLOB_UNKNOWN');
    assertError(await http(`${base}/v2/good/repo/blobs/${wrong}`), 404, 'BLOB_UNKNOWN');
    unchanged();
  });

  it('drops a monolithic upload whose body breaks off', async () => {
    const unchanged = mark();
    const data = randomBytes(100_000);
    await truncated(reg.port, 'POST', `/v2/good/repo/blobs/uploads/?digest=${sha256(data)}`, data.length, data.subarray(0, 40_000));
    await until(async () => (await http(`${base}/v2/`)).status === 200 && filesUnder(join(reg.root, 'uploads')).length === 0, 'the broken upload to be dropped');
    unchanged();
  });

  it('keeps what arrived of a chunk that breaks off, so the upload resumes from there', async () => {
    const data = randomBytes(100_000);
    const start = await http(`${base}/v2/good/repo/blobs/uploads/`, { method: 'POST' });
    const loc = start.header('location')!;
    await truncated(reg.port, 'PATCH', loc, data.length, data.subarray(0, 40_000));
    let range = '';
    await until(async () => {
      range = (await http(new URL(loc, base))).header('range') ?? '';
      return range !== '0-0';
    }, 'the received bytes to be kept');
    const have = Number(range.slice(2)) + 1;
    assert.ok(have > 0 && have <= 40_000, `range ${range}`);
    assertError(await http(`${base}/v2/good/repo/blobs/${sha256(data)}`), 404, 'BLOB_UNKNOWN');
    const rest = await http(new URL(loc, base), { method: 'PATCH', body: data.subarray(have), headers: { 'Content-Range': `${have}-${data.length - 1}` } });
    assert.equal(rest.status, 202);
    const put = new URL(rest.header('location')!, base);
    put.searchParams.set('digest', sha256(data));
    assert.equal((await http(put, { method: 'PUT' })).status, 201);
    assert.ok((await http(`${base}/v2/good/repo/blobs/${sha256(data)}`)).body.equals(data));
    assert.equal((await http(`${base}/v2/good/repo/blobs/${sha256(data)}`, { method: 'DELETE' })).status, 202);
  });

  it('answers chunks out of order or of the wrong length with 416 and SIZE_INVALID, keeping the upload as it was', async () => {
    const unchanged = mark();
    const start = await http(`${base}/v2/good/repo/blobs/uploads/`, { method: 'POST' });
    const loc = new URL(start.header('location')!, base);
    const ahead = await http(loc, { method: 'PATCH', body: 'abc', headers: { 'Content-Range': '10-12' } });
    assertError(ahead, 416, 'BLOB_UPLOAD_INVALID');
    assert.equal(ahead.header('range'), '0-0');
    assertError(await http(loc, { method: 'PATCH', body: 'abc', headers: { 'Content-Range': 'bytes=nonsense' } }), 416, 'BLOB_UPLOAD_INVALID');
    assertError(await http(loc, { method: 'PATCH', body: 'abcd', headers: { 'Content-Range': '0-2', 'Content-Length': '4' } }), 400, 'SIZE_INVALID');
    assertError(await http(loc, { method: 'PATCH', body: 'abcd', chunked: true, headers: { 'Content-Range': '0-2' } }), 400, 'SIZE_INVALID');
    assert.equal((await http(loc)).header('range'), '0-0');
    assertError(await http(loc, { method: 'PUT', body: 'abc' }), 400, 'DIGEST_INVALID');
    assert.equal((await http(loc, { method: 'DELETE' })).status, 204);
    assertError(await http(loc), 404, 'BLOB_UPLOAD_UNKNOWN');
    assertError(await http(`${base}/v2/good/repo/blobs/uploads/not-an-upload`), 404, 'BLOB_UPLOAD_UNKNOWN');
    const other = await http(`${base}/v2/good/other/blobs/uploads/`, { method: 'POST' });
    const id = other.header('docker-upload-uuid')!;
    assertError(await http(`${base}/v2/good/repo/blobs/uploads/${id}`), 404, 'BLOB_UPLOAD_UNKNOWN');
    assert.equal((await http(new URL(other.header('location')!, base), { method: 'DELETE' })).status, 204);
    unchanged();
  });

  it('refuses malformed manifests and unknown media types with MANIFEST_INVALID, keeping nothing', async () => {
    let unchanged = mark();
    const config = await pushBlob(base, 'good/repo', Buffer.from('{}'));
    unchanged = mark();
    const desc = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 };
    const cases: [string, string | undefined][] = [
      ['not json', OCI_MANIFEST],
      ['[]', OCI_MANIFEST],
      [JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }), 'application/vnd.docker.distribution.manifest.v1+prettyjws'],
      [JSON.stringify({ schemaVersion: 2, config: desc, layers: [] }), 'application/vnd.example.unknown+json'],
      [JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.example.unknown+json', config: desc, layers: [] }), undefined],
      [JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc, layers: [] }), 'application/vnd.oci.image.index.v1+json'],
      [JSON.stringify({ schemaVersion: 2, config: desc, layers: [] }), undefined],
      [JSON.stringify({ schemaVersion: 3, mediaType: OCI_MANIFEST, config: desc, layers: [] }), OCI_MANIFEST],
      [JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] }), OCI_MANIFEST],
      [JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc }), OCI_MANIFEST],
      [JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...desc, digest: 'sha256:nothex' }, layers: [] }), OCI_MANIFEST],
      [JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...desc, size: -1 }, layers: [] }), OCI_MANIFEST],
      [JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...desc, size: 3 }, layers: [] }), OCI_MANIFEST],
      [JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...desc, data: Buffer.from('{ }').toString('base64') }, layers: [] }), OCI_MANIFEST],
      [JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...desc, mediaType: 'not a media type' }, layers: [] }), OCI_MANIFEST],
      [JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: {} }), undefined],
      [JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: desc, layers: 'x' }), undefined],
      [JSON.stringify({ schemaVersion: 2, config: desc, layers: [] }), 'application/vnd.docker.distribution.manifest.v2+json'],
    ];
    for (const [body, type] of cases) {
      const r = await http(`${base}/v2/good/repo/manifests/bad`, { method: 'PUT', body, headers: type ? { 'Content-Type': type } : {} });
      assertError(r, 400, 'MANIFEST_INVALID');
    }
    assertError(await http(`${base}/v2/good/repo/manifests/bad`), 404, 'MANIFEST_UNKNOWN');
    unchanged();
  });

  it('refuses manifests that refer to blobs or manifests the repository lacks with MANIFEST_BLOB_UNKNOWN', async () => {
    let unchanged = mark();
    const elsewhere = await pushBlob(base, 'good/other', Buffer.from('{"a":1}'));
    await http(`${base}/v2/good/other/blobs/${elsewhere}`, { method: 'DELETE' });
    unchanged = mark();
    const missing = sha256('never pushed');
    const image = (config: string, size: number): string => JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size }, layers: [] });
    assertError(await http(`${base}/v2/good/repo/manifests/x`, { method: 'PUT', body: image(missing, 12), headers: { 'Content-Type': OCI_MANIFEST } }), 400, 'MANIFEST_BLOB_UNKNOWN');
    const inOther = await pushBlob(base, 'good/third', Buffer.from('{"b":2}'));
    unchanged = mark();
    assertError(await http(`${base}/v2/good/repo/manifests/x`, { method: 'PUT', body: image(inOther, 7), headers: { 'Content-Type': OCI_MANIFEST } }), 400, 'MANIFEST_BLOB_UNKNOWN');
    const index = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: OCI_MANIFEST, digest: missing, size: 100 }] });
    assertError(await http(`${base}/v2/good/repo/manifests/x`, { method: 'PUT', body: index, headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' } }), 400, 'MANIFEST_BLOB_UNKNOWN');
    unchanged();
  });

  it('refuses a manifest whose digest does not match, invalid tags, and manifests over 4 MiB', async () => {
    let unchanged = mark();
    const m = await pushImage(base, 'good/repo', undefined);
    unchanged = mark();
    const wrong = sha256('other');
    assertError(await http(`${base}/v2/good/repo/manifests/${wrong}`, { method: 'PUT', body: m.manifest, headers: { 'Content-Type': OCI_MANIFEST } }), 400, 'DIGEST_INVALID');
    assertError(await http(`${base}/v2/good/repo/manifests/-bad-tag`, { method: 'PUT', body: m.manifest, headers: { 'Content-Type': OCI_MANIFEST } }), 400, 'MANIFEST_INVALID');
    assertError(await http(`${base}/v2/good/repo/manifests/${'t'.repeat(129)}`), 400, 'MANIFEST_INVALID');
    assertError(await http(`${base}/v2/good/repo/manifests/${m.digest}?tag=bad!tag`, { method: 'PUT', body: m.manifest, headers: { 'Content-Type': OCI_MANIFEST } }), 400, 'MANIFEST_INVALID');
    const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
    assertError(await http(`${base}/v2/good/repo/manifests/huge`, { method: 'PUT', body: huge, headers: { 'Content-Type': OCI_MANIFEST } }), 413, 'SIZE_INVALID');
    unchanged();
  });

  it('answers unknown routes, wrong methods, bad pagination and unsatisfiable ranges in the spec shape', async () => {
    assertError(await http(`${base}/v3/`), 404, 'NAME_UNKNOWN');
    const wrongMethod = await http(`${base}/v2/good/repo/manifests/v1`, { method: 'POST' });
    assertError(wrongMethod, 405, 'UNSUPPORTED');
    assert.match(wrongMethod.header('allow') ?? '', /GET/);
    assertError(await http(`${base}/v2/good/repo/tags/list?n=abc`), 400, 'UNSUPPORTED');
    assertError(await http(`${base}/v2/nope/tags/list`), 404, 'NAME_UNKNOWN');
    assertError(await http(`${base}/v2/good/repo/manifests/nope`), 404, 'MANIFEST_UNKNOWN');
    const blob = await pushBlob(base, 'good/repo', Buffer.from('0123456789'));
    const r = await http(`${base}/v2/good/repo/blobs/${blob}`, { headers: { Range: 'bytes=20-30' } });
    assert.equal(r.status, 416);
    assert.equal(r.header('content-range'), 'bytes */10');
    assert.equal((await http(`${base}/v2/good/repo/blobs/${blob}`, { headers: { Range: 'bytes=0-1,4-5' } })).status, 200, 'several ranges: the whole blob');
  });

  it('refuses uploads past the limit with TOOMANYREQUESTS', async () => {
    const busy = await testRegistry({ maxUploads: 2 });
    try {
      const a = await http(`${busy.url}/v2/x/blobs/uploads/`, { method: 'POST' });
      assert.equal((await http(`${busy.url}/v2/x/blobs/uploads/`, { method: 'POST' })).status, 202);
      assertError(await http(`${busy.url}/v2/x/blobs/uploads/`, { method: 'POST' }), 429, 'TOOMANYREQUESTS');
      assert.equal((await http(new URL(a.header('location')!, busy.url), { method: 'DELETE' })).status, 204);
      assert.equal((await http(`${busy.url}/v2/x/blobs/uploads/`, { method: 'POST' })).status, 202, 'a place again once one ended');
    } finally {
      await busy.dispose();
    }
  });

  it('refuses every write of a read-only registry with UNSUPPORTED, and serves reads', async () => {
    const ro = await testRegistry({ root: reg.root, readOnly: true });
    try {
      assert.equal((await http(`${ro.url}/v2/good/repo/manifests/v1`, { method: 'HEAD' })).status, 200);
      assertError(await http(`${ro.url}/v2/good/repo/blobs/uploads/`, { method: 'POST' }), 405, 'UNSUPPORTED');
      assertError(await http(`${ro.url}/v2/good/repo/manifests/v1`, { method: 'DELETE' }), 405, 'UNSUPPORTED');
      assertError(await http(`${ro.url}/v2/good/repo/manifests/v2`, { method: 'PUT', body: '{}' }), 405, 'UNSUPPORTED');
    } finally {
      await ro.close();
    }
  });
});
