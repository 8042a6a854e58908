/**
 * `docker import`: a rootfs tar (plain or compressed) stream becomes a one-layer image. The input is read
 * once: each chunk goes to the content store (the layer blob, as given) and to the layer apply
 * (which decompresses and computes the diff ID) at the same time.
 */
import type { Digest } from '../../core/digest.js';
import { InvalidArgument } from '../../core/errors.js';
import type { ImageStore } from '../images/image-store.js';
import { parseTagReference } from '../images/references.js';
import { MediaTypes, type Image, type ImageConfigBlob } from '../images/types.js';
import type { DirSnapshotter } from '../snapshots/snapshotter.js';
import { unpackLayer } from '../snapshots/unpack.js';
import { applyChanges } from './changes.js';
import { decompressed, peekCompression } from './compression.js';

export interface ImportOptions {
  /** Repository[:tag] to tag the image with. */
  ref?: string;
  /** -m, --message */
  message?: string;
  /** -c, --change */
  changes?: string[];
  /** Where the data came from: '-' for stdin, else the file name or URL (history's created_by). */
  origin?: string;
  platform?: { os?: string; architecture?: string; variant?: string };
  signal?: AbortSignal;
}

export interface ImportDeps {
  images: ImageStore;
  snapshotter: DirSnapshotter;
}

export async function importImage(deps: ImportDeps, source: AsyncIterable<Buffer | Uint8Array>, opts: ImportOptions = {}): Promise<Image> {
  // Validate everything the user typed before reading any data.
  const runtime = applyChanges({}, opts.changes ?? []);
  if (opts.ref !== undefined && opts.ref !== '') {
    parseTagReference(opts.ref);
  }
  const platform = opts.platform ?? {};
  if (platform.os && platform.os !== 'linux') throw new InvalidArgument(`operating system is not supported: ${platform.os}`);

  const { compression, raw } = await peekCompression(source);
  // The blob is the data as given where a layer media type names its compression (none, gzip);
  // bzip2 and xz have none (and zstd layers are not read everywhere): the plain tar then, as dockerd keeps.
  const gzip = compression === 'gzip';
  const blobData = gzip || compression === 'none' ? raw : decompressed(compression, raw);
  const writer = await deps.images.content.writer({ signal: opts.signal });
  async function* teed(): AsyncGenerator<Buffer> {
    for await (const chunk of blobData) {
      await writer.write(chunk);
      yield chunk;
    }
  }
  let blob: { digest: Digest; size: number };
  let unpacked;
  try {
    unpacked = await unpackLayer(deps.snapshotter, null, () => teed(), { signal: opts.signal });
    blob = await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const now = new Date().toISOString();
  const config: ImageConfigBlob = {
    architecture: platform.architecture ?? 'amd64',
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: 'linux',
    config: runtime,
    created: now,
    rootfs: { type: 'layers', diff_ids: [unpacked.diffId] },
    // As dockerd: no created_by; the comment is the message, else where the archive came from.
    history: [{ created: now, comment: opts.message || `Imported from ${opts.origin ?? '-'}` }],
    ...(opts.message ? { comment: opts.message } : {}),
  };
  return deps.images.create({
    config,
    layers: [{ mediaType: gzip ? MediaTypes.ociLayerGzip : MediaTypes.ociLayer, digest: blob.digest, size: blob.size }],
    layerSizes: [unpacked.size],
    tags: opts.ref ? [opts.ref] : [],
  });
}
