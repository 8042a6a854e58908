/**
 * One layer of a push, as dockerd decides it: a blob the target repository is known to hold is
 * checked with HEAD ("Layer already exists"); one a sibling repository of the same registry holds
 * is mounted from there ("Mounted from x"); otherwise its compressed form is uploaded ("Pushed").
 *
 * Compression: layers minke builds, imports and loads are kept uncompressed (their blob is the
 * diff ID, which `docker save` writes as it is). A registry gets gzip, as from docker: the layer is
 * compressed once into the content store and that blob's digest recorded against the diff ID
 * (layer-sources.ts), so the next push of it — to this registry or another — sends the same bytes
 * or finds them with a HEAD, never compressing again; the image's own record (and so save/load)
 * is left as it was. Pulled layers are pushed as they were pulled.
 */
import { createGzip } from 'node:zlib';
import type { Digest } from '../../../core/digest.js';
import { NotFound } from '../../../core/errors.js';
import { hasContent, ingest } from '../../content/store.js';
import type { ImageStore } from '../../images/image-store.js';
import { MediaTypes, type Descriptor } from '../../images/types.js';
import type { LayerSource, LayerSources } from './layer-sources.js';
import { isCompressedLayer } from './media-types.js';
import { Counter, update, type ProgressSink } from './progress.js';
import type { Repository } from './repository.js';

export interface LayerPushDeps {
  images: ImageStore;
  sources: LayerSources;
  repo: Repository;
  /** The registry's domain and the repository's full name (`localhost:5000/x`). */
  domain: string;
  fullName: string;
  sink: ProgressSink;
  signal: AbortSignal;
  /** Upload in chunks of this size (tests; a registry asking for chunks gets them anyway). */
  chunkSize?: number;
}

/** Mounts tried per layer at the most, as dockerd. */
const MAX_MOUNTS = 3;

function pathIn(domain: string, repo: string): string | undefined {
  return repo.startsWith(`${domain}/`) ? repo.slice(domain.length + 1) : undefined;
}

/** The layer's compressed forms this engine knows, the image's own first. */
function candidates(d: LayerPushDeps, local: Descriptor, diffId: Digest): LayerSource[] {
  const known = d.sources.get(diffId).filter((s) => isCompressedLayer(s.mediaType) && s.digest !== local.digest);
  if (isCompressedLayer(local.mediaType)) {
    // The image's own blob first: its manifest (and digest) then still holds.
    const own = d.sources.get(diffId).find((s) => s.digest === local.digest);
    known.unshift(own ?? { digest: local.digest, size: local.size, mediaType: local.mediaType, repos: [] });
  }
  return known;
}

/** Compresses the uncompressed layer into the store (gzip, as docker pushes) and records it. */
async function compress(d: LayerPushDeps, local: Descriptor, diffId: Digest): Promise<LayerSource> {
  const { content } = d.images;
  const source = !isCompressedLayer(local.mediaType) && await hasContent(d.images.content, local.digest) ? local.digest : diffId;
  const gz = createGzip();
  const src = await content.readStream(source).catch((err: unknown) => {
    if (err instanceof NotFound) throw new NotFound(`layer ${diffId} has no blob in the content store to push`);
    throw err;
  });
  src.on('error', (e) => gz.destroy(e));
  src.pipe(gz);
  const info = await ingest(content, gz as AsyncIterable<Buffer>, undefined, { signal: d.signal });
  const made = { digest: info.digest, size: info.size, mediaType: MediaTypes.dockerLayerGzip };
  await d.sources.add(diffId, made);
  return { ...made, repos: [] };
}

/** Pushes one layer; answers the descriptor the manifest lists for it. */
export async function pushLayer(d: LayerPushDeps, id: string, local: Descriptor, diffId: Digest): Promise<Descriptor> {
  const done = async (c: LayerSource, status: string): Promise<Descriptor> => {
    await d.sources.add(diffId, { digest: c.digest, size: c.size, mediaType: c.mediaType }, d.fullName);
    update(d.sink, id, status);
    return { mediaType: c.mediaType, digest: c.digest, size: c.size };
  };
  const known = candidates(d, local, diffId);
  const checked = new Set<string>();
  for (const c of known.filter((k) => k.repos.includes(d.fullName))) {
    checked.add(c.digest);
    if (await d.repo.statBlob(c.digest, d.signal)) return done(c, 'Layer already exists');
    await d.sources.forget(diffId, c.digest, d.fullName);
  }
  let mounts = 0;
  for (const c of known) {
    for (const r of c.repos) {
      const from = pathIn(d.domain, r);
      if (from === undefined || r === d.fullName || mounts >= MAX_MOUNTS) continue;
      mounts++;
      if (await d.repo.mountBlob(c.digest, from, d.signal)) return done(c, `Mounted from ${from}`);
    }
  }
  let blob = (await Promise.all(known.map(async (c) => (await hasContent(d.images.content, c.digest) ? c : undefined)))).find((c) => c !== undefined);
  if (!blob) blob = await compress(d, local, diffId);
  if (!checked.has(blob.digest) && await d.repo.statBlob(blob.digest, d.signal)) return done(blob, 'Layer already exists');
  const counter = new Counter(d.sink, id, 'Pushing', blob.size);
  const b = blob;
  await d.repo.pushBlob(b, () => d.images.content.readStream(b.digest), { chunkSize: d.chunkSize, signal: d.signal, onProgress: (n) => counter.set(n) });
  counter.done();
  return done(b, 'Pushed');
}
