/**
 * `docker push`: for each tag pushed, the layers (at most 5 at once, as dockerd's
 * max-concurrent-uploads; see push-layer.ts), the config, and the manifest last, with dockerd's
 * progress stream ("The push refers to repository [...]", per layer, "TAG: digest: ... size: N"
 * and its aux). An empty tag pushes every tag of the repository (`docker push --all-tags`).
 * A pulled image keeps the manifest it was pulled with (and so its digest) where it still
 * describes the blobs pushed; others get a Docker schema 2 manifest, as from docker.
 */
import { setMaxListeners } from 'node:events';
import { Readable } from 'node:stream';
import { sha256, type Digest } from '../../../core/digest.js';
import { NotFound } from '../../../core/errors.js';
import { familiarName, fullName, parseNormalizedNamed, referenceString, type Reference } from '../../images/references.js';
import { MediaTypes, type Descriptor, type Image, type ImageManifest } from '../../images/types.js';
import type { AuthConfig } from './auth.js';
import { Limiter } from './limiter.js';
import { message, shortDigest, update, type ProgressSink } from './progress.js';
import { pushLayer, type LayerPushDeps } from './push-layer.js';
import { RemoteRepository } from './remote.js';
import type { ManifestBytes } from './repository.js';
import type { Distribution } from './service.js';

export interface PushRequest {
  /** The repository (`localhost:5000/x`), normalised. */
  ref: Reference;
  /** The tag; '' or undefined: every tag of the repository. */
  tag?: string;
  auth?: AuthConfig;
  /** Upload in chunks of this size (tests). */
  chunkSize?: number;
}

export interface PushedTag {
  tag: string;
  digest: Digest;
  size: number;
}

const MAX_UPLOADS = 5;

/** The local tags a push covers, as normalised references, sorted. */
function targets(dist: Distribution, req: PushRequest): Promise<string[]> {
  const name = fullName(req.ref);
  return dist.deps.images.list().then((imgs) => {
    if (req.tag) {
      const t = referenceString({ ...req.ref, tag: req.tag, digest: undefined });
      return imgs.some((i) => i.repoTags.includes(t)) ? [t] : [];
    }
    return imgs.flatMap((i) => i.repoTags).filter((t) => fullName(parseNormalizedNamed(t)) === name).sort();
  });
}

export async function pushImage(dist: Distribution, req: PushRequest, sink: ProgressSink, signal: AbortSignal): Promise<PushedTag[]> {
  const name = fullName(req.ref);
  message(sink, `The push refers to repository [${name}]`);
  const tags = await targets(dist, req);
  if (tags.length === 0) throw new NotFound(`An image does not exist locally with the tag: ${familiarName(req.ref)}`);
  const creds = dist.credentials(req.ref.domain, req.auth);
  return dist.withEndpoints(req.ref.domain, creds, 'push', signal, async (session) => {
    const repo = new RemoteRepository(session, req.ref.path, 'push');
    const out: PushedTag[] = [];
    for (const t of tags) {
      const image = await dist.deps.images.get(t);
      const tag = parseNormalizedNamed(t).tag!;
      const deps: LayerPushDeps = { images: dist.deps.images, sources: dist.layerSources, repo, domain: req.ref.domain, fullName: name, sink, signal, chunkSize: req.chunkSize };
      out.push(await pushTag(dist, deps, image, tag));
    }
    return out;
  });
}

async function pushTag(dist: Distribution, d: LayerPushDeps, image: Image, tag: string): Promise<PushedTag> {
  const diffIds = image.config.rootfs.diff_ids;
  const ids = diffIds.map(shortDigest);
  // As dockerd: the top layer first in the list.
  for (let i = diffIds.length - 1; i >= 0; i--) update(d.sink, ids[i]!, 'Preparing');
  const limiter = new Limiter(MAX_UPLOADS);
  const failed = new AbortController();
  const signal = AbortSignal.any([d.signal, failed.signal]);
  setMaxListeners(0, signal, failed.signal, d.signal);
  const ld: LayerPushDeps = { ...d, signal };
  const pushed = await Promise.all(diffIds.map(async (diffId, i) => {
    if (!limiter.free) update(d.sink, ids[i]!, 'Waiting');
    const release = await limiter.acquire(signal);
    try {
      return await pushLayer(ld, ids[i]!, image.layers[i]!, diffId);
    } catch (err) {
      failed.abort(err);
      throw err;
    } finally {
      release();
    }
  })).catch((err: unknown) => {
    throw signal.reason ?? err;
  });
  const configBytes = await dist.deps.images.content.readBuffer(image.id);
  if (!await d.repo.statBlob(image.id, d.signal)) {
    await d.repo.pushBlob({ digest: image.id, size: configBytes.length }, () => Readable.from([configBytes]), { signal: d.signal });
  }
  const manifest = await manifestFor(dist, image, pushed, configBytes.length);
  const digest = await d.repo.pushManifest(tag, manifest, d.signal);
  message(d.sink, `${tag}: digest: ${digest} size: ${manifest.bytes.length}`);
  d.sink({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.bytes.length } });
  // The pushed image has this repo digest now, as dockerd records it.
  await dist.deps.images.create({ config: image.config, configBytes, layers: image.layers, repoDigests: [`${d.fullName}@${digest}`] });
  return { tag, digest, size: manifest.bytes.length };
}

/** The manifest to push: the image's own when it lists exactly these blobs, else a Docker schema 2 one. */
async function manifestFor(dist: Distribution, image: Image, layers: Descriptor[], configSize: number): Promise<ManifestBytes> {
  const own = await dist.deps.images.content.readBuffer(image.manifestDigest).catch(() => undefined);
  if (own) {
    try {
      const doc = JSON.parse(own.toString('utf8')) as ImageManifest;
      const same = doc.config?.digest === image.id && doc.layers?.length === layers.length && doc.layers.every((l, i) => l.digest === layers[i]!.digest);
      if (same && sha256(own) === image.manifestDigest) return { mediaType: doc.mediaType ?? MediaTypes.ociManifest, bytes: own };
    } catch {
      // not a manifest we can reuse
    }
  }
  const allGzip = layers.every((l) => /gzip/.test(l.mediaType));
  const docker = {
    schemaVersion: 2,
    mediaType: allGzip ? MediaTypes.dockerManifest : MediaTypes.ociManifest,
    config: { mediaType: allGzip ? MediaTypes.dockerConfig : MediaTypes.ociConfig, size: configSize, digest: image.id },
    layers: layers.map((l) => ({ mediaType: allGzip ? MediaTypes.dockerLayerGzip : l.mediaType, size: l.size, digest: l.digest })),
  };
  // Go's json.MarshalIndent(m, "", "   "), as docker writes its manifests.
  return { mediaType: docker.mediaType, bytes: Buffer.from(JSON.stringify(docker, null, 3)) };
}
