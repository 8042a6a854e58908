// Pulls that must fail, in docker's words, leaving no blob, partial write, snapshot or image
// record behind: a missing tag or repository, a registry that denies access, one that is not
// there, wrong credentials, a blob whose bytes do not match its digest (or arrive cut short), a
// layer that is not what the config says, a schema 1 manifest. The misbehaving registry is a
// small fake on loopback (image-fixtures.ts); the well-behaved one is distribution 2.8.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { TestEngine } from './harness.js';
import { addImage, layerTar, makeImage, startFakeRegistry, type FakeContent } from './image-fixtures.js';
import { distributionSkip, freePort, startDistribution, type Distribution } from './registries.js';

describe('pulls that fail leave nothing behind', { skip: distributionSkip, concurrency: false, timeout: 600_000 }, () => {
  const e = new TestEngine();
  let reg: Distribution;
  let authReg: Distribution;
  const content: FakeContent = { manifests: new Map(), blobs: new Map(), denied: new Set(['denied/x']) };
  let fake: Awaited<ReturnType<typeof startFakeRegistry>>;

  const good = makeImage([layerTar([{ name: 'a.txt', data: Buffer.from('layer one\n') }]), layerTar([{ name: 'b.txt', data: Buffer.alloc(300_000, 7) }])]);
  // The second layer's bytes changed (same length): its digest no longer holds.
  const corrupt = makeImage([layerTar([{ name: 'c.txt', data: Buffer.from('first\n') }]), layerTar([{ name: 'd.txt', data: Buffer.alloc(200_000, 9) }])]);
  const wrongDiffId = makeImage([layerTar([{ name: 'e.txt', data: Buffer.from('e\n') }])], { diffIds: [`sha256:${'0'.repeat(64)}`] });
  const truncated = makeImage([layerTar([{ name: 'f.txt', data: Buffer.alloc(500_000, 3) }])]);

  /** What the engine holds: blobs, partial writes, snapshots, images. */
  const state = async (): Promise<{ blobs: string[]; ingest: string[]; snapshots: string[]; images: string }> => {
    const content = join(e.dataRoot, 'content');
    const meta = join(e.dataRoot, 'snapshots', 'metadata.json');
    const snapshots = existsSync(meta) ? Object.keys((JSON.parse(readFileSync(meta, 'utf8')) as { snapshots: Record<string, unknown> }).snapshots).sort() : [];
    return {
      blobs: readdirSync(join(content, 'blobs', 'sha256')).sort(),
      ingest: readdirSync(join(content, 'ingest')),
      snapshots,
      images: (await e.ok(['images', '-q', '--no-trunc'])).trim(),
    };
  };

  before(async () => {
    addImage(content, 'good/x', '1', good);
    addImage(content, 'corrupt/x', '1', corrupt);
    const bad = Buffer.from(corrupt.layers[1]!.gz);
    bad[bad.length >> 1] ^= 0xff;
    content.blobs.set(corrupt.layers[1]!.digest, bad);
    addImage(content, 'diffid/x', '1', wrongDiffId);
    addImage(content, 'truncated/x', '1', truncated);
    const t = truncated.layers[0]!;
    content.blobs.set(t.digest, (res) => {
      res.writeHead(200, { 'Content-Length': t.gz.length });
      res.write(t.gz.subarray(0, t.gz.length >> 1), () => res.destroy());
    });
    content.manifests.set('schema1/x:1', { type: 'application/vnd.docker.distribution.manifest.v1+prettyjws', bytes: Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'schema1/x', tag: '1', fsLayers: [] })) });
    fake = await startFakeRegistry(content);
    reg = await startDistribution();
    authReg = await startDistribution({ auth: { username: 'alice', password: 'secret' } });
    await e.start();
    await e.importBusybox('busybox:latest');
    await e.ok(['tag', 'busybox', `${reg.host}/team/bb:1`]);
    await e.ok(['push', `${reg.host}/team/bb:1`]);
  });
  after(async () => {
    await e.destroy();
    await fake?.stop();
    await reg?.stop();
    await authReg?.stop();
  });

  const pullFails = async (ref: string, words: RegExp): Promise<void> => {
    const before = await state();
    const r = await e.docker(['pull', ref], { input: '' });
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, words);
    assert.deepEqual(await state(), before, 'no blob, partial write, snapshot or image left');
  };

  it('names a missing tag or repository as dockerd does', async () => {
    await pullFails(`${reg.host}/team/bb:nope`, new RegExp(`^Error response from daemon: manifest for ${reg.host}/team/bb:nope not found: manifest unknown: manifest unknown$`, 'm'));
    await pullFails(`${reg.host}/nothere`, new RegExp(`^Error response from daemon: manifest for ${reg.host}/nothere:latest not found: manifest unknown: manifest unknown$`, 'm'));
    await pullFails(`${fake.host}/denied/x:1`, new RegExp(`^Error response from daemon: pull access denied for ${fake.host}/denied/x, repository does not exist or may require 'docker login': denied: requested access to the resource is denied$`, 'm'));
  });

  it('names the registry it cannot reach', async () => {
    const port = await freePort();
    await pullFails(`127.0.0.1:${port}/x:1`, new RegExp(`^Error response from daemon: Get "http://127.0.0.1:${port}/v2/": dial tcp 127.0.0.1:${port}: connect: connection refused$`, 'm'));
  });

  it('answers wrong credentials with the registry\'s words and a 401', async () => {
    const auth = Buffer.from(JSON.stringify({ username: 'alice', password: 'wrong', serveraddress: authReg.host })).toString('base64url');
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ socketPath: e.socket, method: 'POST', path: `/v1.45/images/create?fromImage=${encodeURIComponent(`${authReg.host}/x`)}&tag=1`, headers: { 'X-Registry-Auth': auth } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => { body += d.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(r.status, 401);
    assert.deepEqual(JSON.parse(r.body), { message: 'unauthorized: authentication required' });
  });

  it('refuses a blob whose bytes do not match its digest, keeping nothing of the image', async () => {
    await pullFails(`${fake.host}/corrupt/x:1`, new RegExp(`filesystem layer verification failed for digest ${corrupt.layers[1]!.digest}`));
    await pullFails(`${fake.host}/truncated/x:1`, new RegExp(`error pulling layer ${truncated.layers[0]!.digest}: unexpected EOF`));
    await pullFails(`${fake.host}/diffid/x:1`, /layer digest mismatch/);
  });

  it('refuses a schema 1 manifest with dockerd\'s words', async () => {
    await pullFails(`${fake.host}/schema1/x:1`, /Docker Image manifest version 2, schema 1 support has been removed/);
  });

  it('still pulls a good image from the same registry afterwards', async () => {
    const out = await e.ok(['pull', `${fake.host}/good/x:1`]);
    assert.match(out, new RegExp(`^Digest: ${good.manifestDigest}$`, 'm'));
    assert.equal((await e.ok(['image', 'inspect', '-f', '{{.Id}}', `${fake.host}/good/x:1`])).trim(), good.configDigest);
    assert.equal((await e.ok(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', `${fake.host}/good/x:1`])).trim(), JSON.stringify(good.layers.map((l) => l.diffId)));
  });
});
