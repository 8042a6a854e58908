/**
 * Which kind of document a manifest is (an index or manifest list, an image manifest, a
 * schema 1 manifest) and which layer media types a pull can unpack.
 */
import { MediaTypes } from '../../images/types.js';

export const SCHEMA1_TYPES = [
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
];

export type ManifestKind = 'index' | 'manifest' | 'schema1' | 'unknown';

/**
 * The media type of manifest bytes: the document's own `mediaType` first, then Content-Type,
 * then its shape (OCI documents may leave mediaType out, registries may answer application/json).
 */
export function manifestMediaType(contentType: string | undefined, bytes: Buffer): string {
  let doc: Record<string, unknown> | undefined;
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) doc = v as Record<string, unknown>;
  } catch {
    doc = undefined;
  }
  if (typeof doc?.['mediaType'] === 'string' && doc['mediaType']) return doc['mediaType'];
  const ct = (contentType ?? '').split(';')[0]!.trim();
  if (ct && ct !== 'application/json' && ct !== 'text/plain') return ct;
  if (doc?.['schemaVersion'] === 1) return SCHEMA1_TYPES[1]!;
  if (Array.isArray(doc?.['manifests'])) return MediaTypes.ociIndex;
  if (doc?.['config'] !== undefined && Array.isArray(doc['layers'])) return MediaTypes.ociManifest;
  return ct || 'application/octet-stream';
}

export function kindOf(mediaType: string): ManifestKind {
  if (mediaType === MediaTypes.ociIndex || mediaType === MediaTypes.dockerManifestList) return 'index';
  if (mediaType === MediaTypes.ociManifest || mediaType === MediaTypes.dockerManifest) return 'manifest';
  if (SCHEMA1_TYPES.includes(mediaType)) return 'schema1';
  return 'unknown';
}

const LAYER_TYPES = new Set<string>([
  MediaTypes.ociLayer, MediaTypes.ociLayerGzip, MediaTypes.dockerLayer, MediaTypes.dockerLayerGzip,
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
]);

/** Whether a pull can unpack a layer of this media type (tar, gzip or zstd). */
export function isLayerType(mediaType: string): boolean {
  return LAYER_TYPES.has(mediaType);
}

/** Whether a layer blob of this media type is compressed (push sends it as it is). */
export function isCompressedLayer(mediaType: string): boolean {
  return /gzip|zstd/.test(mediaType);
}
