/**
 * `docker pull`: the pipeline of steps over descriptors (resolve → platform → fetch → verify →
 * unpack, see pull-resolve.ts and pull-layers.ts), then the image recorded with its tag and its
 * repo digest (`name@sha256:...`, the digest the tag named), and dockerd's progress stream
 * around it ("Pulling from", per layer, "Digest:", "Status:"). With neither tag nor digest,
 * every tag of the repository is pulled (`docker pull -a`).
 */
import { NotFound } from '../../../core/errors.js';
import { trace, traceEnd } from '../../../core/trace.js';
import { hostPlatform, type Platform } from '../../images/platforms.js';
import { familiarName, familiarString, fullName, referenceString, type Reference } from '../../images/references.js';
import type { Image } from '../../images/types.js';
import type { AuthConfig } from './auth.js';
import { RegistryError } from './errors.js';
import { message, type ProgressSink } from './progress.js';
import { pullLayers } from './pull-layers.js';
import { resolveImage } from './pull-resolve.js';
import { RemoteRepository } from './remote.js';
import type { Distribution } from './service.js';

export interface PullRequest {
  ref: Reference;
  platform?: Platform;
  auth?: AuthConfig;
}

export interface PullResult {
  images: Image[];
}

/** dockerd's translatePullError: a missing manifest or repository, or denied access, in its words (404). */
export function translatePullError(err: unknown, ref: Reference): unknown {
  if (!(err instanceof RegistryError)) return err;
  const cause = err.message;
  switch (err.code) {
    case 'DENIED':
      return new NotFound(`pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${cause}`, { cause: err });
    case 'MANIFEST_UNKNOWN':
      return new NotFound(`manifest for ${familiarString(ref)} not found: ${cause}`, { cause: err });
    case 'NAME_UNKNOWN':
      return new NotFound(`repository ${familiarName(ref)} not found: ${cause}`, { cause: err });
  }
  return err;
}

export async function pullImage(dist: Distribution, req: PullRequest, sink: ProgressSink, signal: AbortSignal): Promise<PullResult> {
  const { ref } = req;
  trace('pull', 'start');
  const creds = dist.credentials(ref.domain, req.auth);
  const all = ref.tag === undefined && ref.digest === undefined;
  try {
    return await dist.withEndpoints(ref.domain, creds, 'pull', signal, async (session) => {
      const repo = new RemoteRepository(session, ref.path, 'pull');
      const images: Image[] = [];
      let updated = false;
      const refs: Reference[] = all
        ? (await repo.listTags(signal)).sort().map((tag) => ({ domain: ref.domain, path: ref.path, tag }))
        : [ref];
      for (const one of refs) {
        const r = await pullOne(dist, repo, one, req, sink, signal);
        images.push(r.image);
        updated ||= r.updated;
      }
      const shown = all ? familiarName(ref) : familiarString(ref);
      message(sink, `Status: ${updated ? 'Downloaded newer image' : 'Image is up to date'} for ${shown}`);
      return { images };
    });
  } catch (err) {
    throw translatePullError(err, ref);
  }
}

async function pullOne(dist: Distribution, repo: RemoteRepository, ref: Reference, req: PullRequest, sink: ProgressSink, signal: AbortSignal): Promise<{ image: Image; updated: boolean }> {
  const { images, snapshotter, events } = dist.deps;
  const reference = ref.digest ?? ref.tag!;
  trace('pull', `resolving ${reference}`);
  const resolved = await resolveImage({
    repo, reference, shown: familiarString(ref), platform: req.platform ?? hostPlatform(), platformGiven: req.platform !== undefined, signal,
  });
  // After the manifest, as dockerd: a pull failing before it answers with an HTTP error.
  message(sink, `Pulling from ${ref.path}`, ref.digest ? referenceString(ref) : ref.tag);
  const { manifest, config, root } = resolved;
  const name = fullName(ref);
  const tag = ref.digest === undefined ? referenceString(ref) : undefined;
  const before = images.resolve(tag ?? `${name}@${root.digest}`);
  const configDigest = manifest.doc.config.digest;
  // The image is here already (its layers too): nothing to fetch, as dockerd.
  const known = images.resolve(configDigest) !== undefined && await hasAllLayers(dist, configDigest);
  let downloaded = false;
  let sizes: number[] | undefined;
  if (!known) {
    const r = await pullLayers({
      content: images.content, snapshotter, repo, sink, inflight: dist.inflight, concurrency: 3, signal,
      chainInUse: (c) => images.chainInUse(c),
      blobInUse: async (digest) => (await images.list()).some((i) => i.layers.some((l) => l.digest === digest)),
    }, manifest.doc.layers, config.doc.rootfs.diff_ids);
    downloaded = r.downloaded;
    sizes = r.sizes;
  }
  trace('pull', 'layers done');
  const image = await images.create({
    config: config.doc,
    configBytes: config.bytes,
    layers: manifest.doc.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    ...(sizes ? { layerSizes: sizes } : {}),
    manifest: manifest.bytes,
    tags: tag ? [tag] : [],
    repoDigests: [`${name}@${root.digest}`],
  });
  const diffIds = config.doc.rootfs.diff_ids;
  await dist.layerSources.addAll(manifest.doc.layers.map((l, i) => ({ diffId: diffIds[i]!, blob: { digest: l.digest, size: l.size, mediaType: l.mediaType } })), name);
  trace('pull', 'recorded');
  traceEnd('pull');
  message(sink, `Digest: ${root.digest}`);
  events.publish('image', 'pull', image.id, { name: familiarString(ref) });
  return { image, updated: downloaded || before !== image.id };
}

async function hasAllLayers(dist: Distribution, imageId: string): Promise<boolean> {
  const img = await dist.deps.images.get(imageId);
  if (!img.chainId) return true;
  try {
    await dist.deps.snapshotter.stat(img.chainId);
    return true;
  } catch {
    return false;
  }
}
