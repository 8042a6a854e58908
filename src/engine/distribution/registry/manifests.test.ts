import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegistryError } from './errors.js';
import { MEDIA_TYPES, parseManifest } from './manifests.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('a'), size: 10 };
const invalid = (body: unknown, type?: string): void =>
  assert.throws(() => parseManifest(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), type), (e: unknown) => e instanceof RegistryError && e.code === 'MANIFEST_INVALID');

void test('an OCI image manifest: its config and layers are what the repository must have', () => {
  const m = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('b'), size: 5 }] })), undefined);
  assert.equal(m.mediaType, MEDIA_TYPES.ociManifest);
  assert.deepEqual(m.blobs.map((b) => b.digest.digest), [d('a'), d('b')]);
  assert.equal(m.artifactType, config.mediaType, 'listed by its config media type');
});

void test('the Content-Type says what a manifest without a mediaType field is', () => {
  const m = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config, layers: [] })), `${MEDIA_TYPES.ociManifest}; charset=utf-8`);
  assert.equal(m.mediaType, MEDIA_TYPES.ociManifest);
  invalid({ schemaVersion: 2, config, layers: [] }, 'application/json');
  invalid({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] }, MEDIA_TYPES.ociManifest);
});

void test('non-distributable layers and layers with urls are not asked of the repository', () => {
  const m = parseManifest(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config,
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', digest: d('c'), size: 1 },
      { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d('e'), size: 1, urls: ['https://example.com/x'] },
      { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: d('f'), size: 1 },
    ],
  })), undefined);
  assert.deepEqual(m.blobs.map((b) => b.digest.digest), [d('a')]);
});

void test('indexes and Docker manifest lists: their entries are manifests the repository must have', () => {
  for (const mediaType of [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]) {
    const m = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: d('1'), size: 3, platform: { os: 'linux', architecture: 'arm64' } }] })), mediaType);
    assert.deepEqual(m.manifests.map((x) => x.digest.digest), [d('1')]);
    assert.equal(m.blobs.length, 0);
  }
});

void test('a subject and an artifactType go to the referrers list', () => {
  const m = parseManifest(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, artifactType: 'application/vnd.example.sbom', config, layers: [],
    subject: { mediaType: MEDIA_TYPES.ociManifest, digest: d('9'), size: 100 }, annotations: { a: 'b' },
  })), undefined);
  assert.equal(m.subject?.digest.digest, d('9'));
  assert.equal(m.artifactType, 'application/vnd.example.sbom');
  assert.deepEqual(m.annotations, { a: 'b' });
});

void test('refuses what is not a manifest this registry takes', () => {
  invalid('{');
  invalid('"x"');
  invalid({ schemaVersion: 1, fsLayers: [] }, 'application/vnd.docker.distribution.manifest.v1+prettyjws');
  invalid({ schemaVersion: 2, mediaType: 'application/vnd.oci.artifact.manifest.v1+json', blobs: [] });
  invalid({ schemaVersion: 2, config, layers: [] }, MEDIA_TYPES.dockerManifest);
  invalid({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { ...config, data: 'AAAA' }, layers: [] });
  invalid({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config, layers: [], annotations: { a: 1 } });
  invalid({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [{ ...config, platform: 'linux' }] });
  invalid({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [], config });
});
