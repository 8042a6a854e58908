/**
 * `minke registry gc`: a dry run lists what no manifest refers to and deletes nothing; with
 * --delete those blobs go and everything a manifest refers to stays pullable; blobs pushed within
 * the grace period (a push whose manifest has not come yet) are spared; --delete-untagged also
 * removes manifests no tag reaches, but not the referrers of one that a tag reaches.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../src/core/native.js';
import { collectGarbage } from '../src/engine/distribution/registry/gc.js';
import { pushBlob, pushImage, sha256, testRegistry, type PushedImage, type TestRegistry } from './registry/harness.js';
import { http } from './registry/http-client.js';

function gcCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(projectRoot, 'bin', 'minke.js'), 'registry', 'gc', ...args], (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const blobFile = (root: string, d: string): string => join(root, 'blobs', 'sha256', d.slice(7, 9), d.slice(7));

void describe('registry garbage collection', () => {
  let reg: TestRegistry;
  let kept: PushedImage;
  let gone: PushedImage;

  before(async () => {
    reg = await testRegistry();
    kept = await pushImage(reg.url, 'team/kept', 'v1');
    gone = await pushImage(reg.url, 'team/gone', 'v1');
    // a blob both images use: it stays while one of them does
    const shared = await http(`${reg.url}/v2/team/gone/blobs/uploads/?mount=${kept.layers[0]}&from=team/kept`, { method: 'POST' });
    assert.equal(shared.status, 201);
    assert.equal((await http(`${reg.url}/v2/team/gone/manifests/${gone.digest}`, { method: 'DELETE' })).status, 202);
  });
  after(() => reg.dispose());

  const goneOnly = (): string[] => [gone.digest, gone.config, ...gone.layers].sort();

  it('lists what no manifest refers to in a dry run, in distribution\'s words, and deletes nothing', async () => {
    const lines: string[] = [];
    const r = await collectGarbage({ root: reg.root, dryRun: true, deleteUntagged: false, graceMs: 0, out: (l) => lines.push(l) });
    assert.deepEqual([...r.blobsEligible].sort(), goneOnly());
    assert.ok(r.marked.includes(kept.digest) && kept.layers.every((l) => r.marked.includes(l)));
    for (const d of goneOnly()) assert.ok(existsSync(blobFile(reg.root, d)));

    const cli = await gcCli(['--root', reg.root, '--grace', '0']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^team\/gone$/m);
    assert.match(cli.stdout, new RegExp(`^team/kept: marking manifest ${kept.digest} $`, 'm'));
    assert.match(cli.stdout, new RegExp(`^team/kept: marking blob ${kept.config}$`, 'm'));
    assert.match(cli.stdout, /^4 blobs marked, 4 blobs and 0 manifests eligible for deletion$/m);
    for (const d of goneOnly()) assert.match(cli.stdout, new RegExp(`^blob eligible for deletion: ${d}$`, 'm'));
    assert.match(cli.stdout, /dry run: nothing was deleted/);
    for (const d of goneOnly()) assert.ok(existsSync(blobFile(reg.root, d)));
  });

  it('spares blobs pushed within the grace period', async () => {
    const r = await collectGarbage({ root: reg.root, dryRun: false, deleteUntagged: false, graceMs: 3600_000, out: () => {} });
    assert.deepEqual(r.blobsEligible, []);
    assert.deepEqual([...r.spared].sort(), goneOnly());
    for (const d of goneOnly()) assert.ok(existsSync(blobFile(reg.root, d)));
  });

  it('deletes them with --delete; what a manifest refers to stays pullable', async () => {
    const cli = await gcCli(['--root', reg.root, '--grace', '0s', '--delete']);
    assert.equal(cli.code, 0, cli.stderr);
    for (const d of goneOnly()) {
      assert.match(cli.stdout, new RegExp(`^Deleting blob: .*${d.slice(7)}$`, 'm'));
      assert.ok(!existsSync(blobFile(reg.root, d)));
    }
    const m = await http(`${reg.url}/v2/team/kept/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.ok(m.body.equals(kept.manifest));
    for (const d of [kept.config, ...kept.layers]) assert.equal((await http(`${reg.url}/v2/team/kept/blobs/${d}`)).status, 200);
    assert.equal((await http(`${reg.url}/v2/team/gone/blobs/${kept.layers[0]}`)).status, 200, 'the shared blob stays where it is linked');
    assert.equal((await http(`${reg.url}/v2/team/gone/blobs/${gone.layers[1]}`)).status, 404);
  });

  it('is safe beside a push in progress: its blobs are spared until its manifest comes', async () => {
    const layer = await pushBlob(reg.url, 'team/late', randomBytes(4000));
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const cd = await pushBlob(reg.url, 'team/late', config);
    await gcCli(['--root', reg.root, '--delete']);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: 4000 }],
    });
    const r = await http(`${reg.url}/v2/team/late/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(r.status, 201, r.body.toString());
  });

  it('removes untagged manifests with --delete-untagged, keeping referrers of tagged ones', async () => {
    const untagged = await pushImage(reg.url, 'team/kept', undefined);
    const sig = Buffer.from('{}');
    const sd = await pushBlob(reg.url, 'team/kept', sig);
    const referrer = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.example.signature',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sd, size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sd, size: 2 }],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: kept.digest, size: kept.manifest.length },
    });
    const put = await http(`${reg.url}/v2/team/kept/manifests/${sha256(referrer)}`, { method: 'PUT', body: referrer, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(put.status, 201);
    const r = await collectGarbage({ root: reg.root, dryRun: false, deleteUntagged: true, graceMs: 0, out: () => {} });
    assert.deepEqual(r.manifestsEligible, [{ repo: 'team/kept', digest: untagged.digest }]);
    assert.equal((await http(`${reg.url}/v2/team/kept/manifests/${untagged.digest}`)).status, 404);
    assert.equal((await http(`${reg.url}/v2/team/kept/manifests/${sha256(referrer)}`)).status, 200);
    assert.equal((await http(`${reg.url}/v2/team/kept/manifests/v1`)).status, 200);
    for (const d of untagged.layers) assert.ok(!existsSync(blobFile(reg.root, d)));
    const refs = (await http(`${reg.url}/v2/team/kept/referrers/${kept.digest}`)).json<{ manifests: { digest: string }[] }>();
    assert.deepEqual(refs.manifests.map((m) => m.digest), [sha256(referrer)]);
  });
});
