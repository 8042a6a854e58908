/**
 * The first steps of a pull, as containerd's handlers walk descriptors: resolve the tag or
 * digest to a descriptor, follow an index (or manifest list) to the manifest of the wanted
 * platform, read the manifest and its config (verified against their digests), and check what
 * they describe can be pulled here.
 */
import { isDigest, sha256, type Digest } from '../../../core/digest.js';
import { InvalidArgument, NotFound } from '../../../core/errors.js';
import { formatPlatform, platformMatches, type Platform } from '../../images/platforms.js';
import type { Descriptor, ImageConfigBlob, ImageManifest } from '../../images/types.js';
import { DigestMismatch } from './errors.js';
import { isLayerType, kindOf } from './media-types.js';
import type { RepositoryReader } from './repository.js';

export interface ResolvedImage {
  /** What the tag (or digest) names: an index or a manifest. Its digest is the image's repo digest. */
  root: Descriptor;
  /** The platform's manifest: its descriptor and exact bytes. */
  manifest: { desc: Descriptor; bytes: Buffer; doc: ImageManifest };
  config: { bytes: Buffer; doc: ImageConfigBlob };
}

interface IndexDoc {
  manifests?: Array<Descriptor & { platform?: Platform & { 'os.version'?: string } }>;
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (err) {
    throw new InvalidArgument(`invalid ${what}: ${(err as Error).message}`);
  }
}

/** dockerd's words for a schema 1 manifest since it dropped them. */
function schema1Error(reference: string): InvalidArgument {
  return new InvalidArgument(`Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of ${reference} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/`);
}

/** The index entry for the platform: an exact match first, else the newest variant that runs here. */
export function pickPlatform(entries: NonNullable<IndexDoc['manifests']>, wanted: Platform): Descriptor | undefined {
  const runnable = entries.filter((e) => e.platform && kindOf(e.mediaType) !== 'unknown' && platformMatches(wanted, e.platform));
  const exact = runnable.find((e) => (e.platform!.variant ?? '') === (wanted.variant ?? ''));
  if (exact) return exact;
  const level = (v?: string): number => Number(/^v?(\d+)/.exec(v ?? '')?.[1] ?? 0);
  return runnable.sort((a, b) => level(b.platform!.variant) - level(a.platform!.variant))[0];
}

export interface ResolveOptions {
  repo: RepositoryReader;
  /** The tag or digest asked for. */
  reference: string;
  /** The reference as the user named it, for messages (`localhost:5000/x:tag`). */
  shown: string;
  platform: Platform;
  /** Whether the platform was asked for (a single manifest of another platform is then refused). */
  platformGiven: boolean;
  signal?: AbortSignal;
}

export async function resolveImage(o: ResolveOptions): Promise<ResolvedImage> {
  const root = await o.repo.resolve(o.reference, o.signal);
  if (kindOf(root.mediaType) === 'schema1') throw schema1Error(o.shown);
  let desc = root;
  let bytes = (await o.repo.fetchManifest(root.digest, o.signal)).bytes;
  for (let depth = 0; kindOf(desc.mediaType) === 'index'; depth++) {
    if (depth > 2) throw new InvalidArgument(`invalid index ${desc.digest}: nested too deep`);
    const idx = parseJson<IndexDoc>(bytes, 'image index');
    const pick = pickPlatform(idx.manifests ?? [], o.platform);
    if (!pick) throw new NotFound(`no matching manifest for ${formatPlatform(o.platform)} in the manifest list entries`);
    if (!isDigest(pick.digest)) throw new InvalidArgument(`invalid index ${desc.digest}: bad digest ${String(pick.digest)}`);
    desc = { mediaType: pick.mediaType, digest: pick.digest, size: pick.size };
    bytes = (await o.repo.fetchManifest(pick.digest, o.signal)).bytes;
  }
  const kind = kindOf(desc.mediaType);
  if (kind === 'schema1') throw schema1Error(o.shown);
  if (kind !== 'manifest') throw new InvalidArgument(`unsupported manifest media type: ${desc.mediaType} (${o.shown})`);
  const doc = parseJson<ImageManifest>(bytes, 'image manifest');
  checkManifest(doc, desc.digest);
  const config = await fetchConfig(o.repo, doc.config, o.signal);
  checkConfig(config.doc, doc, o);
  return { root, manifest: { desc, bytes, doc }, config };
}

function checkManifest(doc: ImageManifest, digest: Digest): void {
  const bad = (why: string): InvalidArgument => new InvalidArgument(`invalid manifest ${digest}: ${why}`);
  if (!doc.config || !isDigest(String(doc.config.digest))) throw bad('missing or invalid config descriptor');
  if (!Array.isArray(doc.layers)) throw bad('missing layers');
  for (const l of doc.layers) {
    if (!l || !isDigest(String(l.digest))) throw bad(`invalid layer digest ${String(l?.digest)}`);
    if (!Number.isSafeInteger(l.size) || l.size < 0) throw bad(`invalid layer size ${String(l.size)}`);
    if (!isLayerType(l.mediaType)) throw new InvalidArgument(`unsupported layer media type ${l.mediaType} (layer ${l.digest})`);
  }
}

async function fetchConfig(repo: RepositoryReader, desc: Descriptor, signal?: AbortSignal): Promise<{ bytes: Buffer; doc: ImageConfigBlob }> {
  const { stream } = await repo.fetchBlob(desc.digest, signal);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += (c as Buffer).length;
    if (n > 16 << 20) {
      stream.destroy();
      throw new InvalidArgument(`image config ${desc.digest} is larger than 16 MiB`);
    }
    parts.push(c as Buffer);
  }
  const bytes = Buffer.concat(parts);
  if (sha256(bytes) !== desc.digest) throw new DigestMismatch(`filesystem layer verification failed for digest ${desc.digest}`);
  return { bytes, doc: parseJson<ImageConfigBlob>(bytes, 'image config') };
}

function checkConfig(cfg: ImageConfigBlob, man: ImageManifest, o: ResolveOptions): void {
  const diffIds = cfg.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.some((d) => !isDigest(String(d)))) throw new InvalidArgument(`invalid image config ${man.config.digest}: bad rootfs.diff_ids`);
  if (diffIds.length !== man.layers.length) {
    throw new InvalidArgument(`invalid image: the config has ${diffIds.length} diff IDs and the manifest ${man.layers.length} layers`);
  }
  if (o.platformGiven && cfg.os && !platformMatches(o.platform, { os: cfg.os, architecture: cfg.architecture, ...(cfg.variant ? { variant: cfg.variant } : {}) })) {
    const actual = formatPlatform({ os: cfg.os, architecture: cfg.architecture, ...(cfg.variant ? { variant: cfg.variant } : {}) });
    throw new NotFound(`image with reference ${o.shown} was found but does not match the specified platform: wanted ${formatPlatform(o.platform)}, actual: ${actual}`);
  }
}
