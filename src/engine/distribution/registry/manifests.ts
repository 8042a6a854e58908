/**
 * Manifests a registry accepts: OCI image manifests and indexes, Docker schema 2 manifests and
 * manifest lists. A body is parsed and checked here (JSON, schemaVersion 2, its media type agreeing
 * with the Content-Type it came with, well-formed descriptors); what it refers to is checked by
 * the caller against the repository.
 */
import { regError } from './errors.js';
import { digestOf, tryParseDigest, type ParsedDigest } from './names.js';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const SCHEMA1 = new Set(['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws']);
const IMAGE_TYPES = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);
/** Every media type a manifest PUT may carry. */
export const MANIFEST_TYPES = new Set<string>([...IMAGE_TYPES, ...INDEX_TYPES]);

/** Layers a registry is not expected to hold: their bytes live at their `urls`. */
const NON_DISTRIBUTABLE = /^application\/vnd\.oci\.image\.layer\.nondistributable\.|^application\/vnd\.docker\.image\.rootfs\.foreign\./;

// RFC 6838 type/subtype, as the image spec's descriptor schema has it.
const MEDIA_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export interface Descriptor {
  mediaType: string;
  digest: ParsedDigest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ParsedManifest {
  mediaType: string;
  /** Blobs that must be in the repository (config and distributable layers). */
  blobs: Descriptor[];
  /** Manifests that must be in the repository (an index's entries). */
  manifests: Descriptor[];
  subject?: Descriptor;
  /** What the referrers API lists it as: artifactType, else an image's config media type. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

type Json = Record<string, unknown>;

const invalid = (reason: string): never => {
  throw regError('MANIFEST_INVALID', { reason });
};

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) invalid(`${where}: annotations must map strings to strings`);
  return v as Record<string, string>;
}

/** The media type of a Content-Type header, parameters dropped. */
export function baseMediaType(contentType: string | undefined): string | undefined {
  const t = contentType?.split(';')[0]!.trim().toLowerCase();
  return t ? t : undefined;
}

function descriptor(v: unknown, where: string): Descriptor & { urls?: string[] } {
  if (!isObject(v)) return invalid(`${where}: a descriptor must be an object`);
  const { mediaType, digest, size, urls, data, artifactType } = v;
  if (typeof mediaType !== 'string' || !MEDIA_TYPE_RE.test(mediaType)) invalid(`${where}: invalid mediaType ${JSON.stringify(mediaType)}`);
  const d = typeof digest === 'string' ? tryParseDigest(digest) : undefined;
  if (!d) return invalid(`${where}: invalid digest ${JSON.stringify(digest)}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) invalid(`${where}: invalid size ${JSON.stringify(size)}`);
  if (urls !== undefined && (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string'))) invalid(`${where}: urls must be a list of strings`);
  if (artifactType !== undefined && (typeof artifactType !== 'string' || !MEDIA_TYPE_RE.test(artifactType))) invalid(`${where}: invalid artifactType`);
  if (data !== undefined) {
    if (typeof data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) invalid(`${where}: data must be base64`);
    const bytes = Buffer.from(data as string, 'base64');
    if (bytes.length !== size || digestOf(d.algorithm, bytes) !== d.digest) invalid(`${where}: data does not match the digest and size`);
  }
  const out: Descriptor & { urls?: string[] } = { mediaType: mediaType as string, digest: d, size: size as number };
  if (Array.isArray(urls)) out.urls = urls as string[];
  if (typeof artifactType === 'string') out.artifactType = artifactType;
  const annotations = stringMap(v.annotations, where);
  if (annotations) out.annotations = annotations;
  return out;
}

/** The media type a body is, from its mediaType field and the Content-Type it came with. */
function mediaTypeOf(m: Json, contentType: string | undefined): string {
  const field = m.mediaType;
  if (field !== undefined && typeof field !== 'string') invalid('mediaType must be a string');
  const header = baseMediaType(contentType);
  const declared = field as string | undefined;
  const generic = header === undefined || header === 'application/octet-stream' || header === 'application/json';
  if (declared !== undefined && !generic && declared !== header) invalid(`mediaType ${declared} does not match the Content-Type ${header}`);
  const type = declared ?? (generic ? undefined : header);
  if (type === undefined) return invalid('no media type: set the mediaType field or the Content-Type');
  if (SCHEMA1.has(type) || m.schemaVersion === 1) invalid('schema 1 manifests are not supported');
  if (!MANIFEST_TYPES.has(type)) invalid(`unsupported manifest media type ${type}`);
  if ((type === MEDIA_TYPES.dockerManifest || type === MEDIA_TYPES.dockerList) && declared === undefined) invalid(`a ${type} must have its mediaType field`);
  return type;
}

export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  let m: unknown;
  try {
    m = JSON.parse(body.toString('utf8'));
  } catch {
    return invalid('not JSON');
  }
  if (!isObject(m)) return invalid('a manifest must be a JSON object');
  const mediaType = mediaTypeOf(m, contentType);
  if (m.schemaVersion !== 2) invalid('schemaVersion must be 2');
  const out: ParsedManifest = { mediaType, blobs: [], manifests: [] };
  if (m.subject !== undefined) out.subject = descriptor(m.subject, 'subject');
  if (m.artifactType !== undefined) {
    if (typeof m.artifactType !== 'string' || !MEDIA_TYPE_RE.test(m.artifactType)) invalid('invalid artifactType');
    out.artifactType = m.artifactType as string;
  }
  const annotations = stringMap(m.annotations, 'manifest');
  if (annotations) out.annotations = annotations;
  if (IMAGE_TYPES.has(mediaType)) {
    if (m.manifests !== undefined) invalid('an image manifest has no manifests list');
    const config = descriptor(m.config, 'config');
    out.blobs.push(config);
    if (!Array.isArray(m.layers)) invalid('layers must be a list');
    (m.layers as unknown[]).forEach((l, i) => {
      const layer = descriptor(l, `layers[${i}]`);
      if (!NON_DISTRIBUTABLE.test(layer.mediaType) && !layer.urls?.length) out.blobs.push(layer);
    });
    out.artifactType ??= config.mediaType;
  } else {
    if (m.config !== undefined || m.layers !== undefined) invalid('an index has no config or layers');
    if (!Array.isArray(m.manifests)) invalid('manifests must be a list');
    (m.manifests as unknown[]).forEach((e, i) => {
      const entry = descriptor(e, `manifests[${i}]`);
      if (isObject(e) && e.platform !== undefined && !isObject(e.platform)) invalid(`manifests[${i}]: platform must be an object`);
      out.manifests.push(entry);
    });
  }
  return out;
}
