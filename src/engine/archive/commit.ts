/**
 * `docker commit`: a container's changes (its overlay upper dir) become a new layer on top of its
 * image, with the container's runtime config (plus --change) as the new image's config.
 */
import { createHash } from 'node:crypto';
import { InvalidArgument } from '../../core/errors.js';
import type { ImageStore } from '../images/image-store.js';
import { parseTagReference } from '../images/references.js';
import { MediaTypes, type Image, type ImageConfigBlob, type ImageRuntimeConfig } from '../images/types.js';
import { diffLayer } from '../snapshots/diff.js';
import type { DirSnapshotter } from '../snapshots/snapshotter.js';
import { unpackLayer } from '../snapshots/unpack.js';
import { applyChanges } from './changes.js';
import { tap } from './compression.js';

export interface CommitOptions {
  /** The container's upper dir and its image's layer dirs (nearest first). */
  upperDir: string;
  lowerDirs: string[];
  /** The container's image (null for a container from scratch). */
  parent: Image | null;
  /** The container's runtime config to keep (docker keeps the container's Cmd/Env/...). */
  config?: ImageRuntimeConfig;
  author?: string;
  comment?: string;
  changes?: string[];
  /** The container ID (config.container) */
  containerId?: string;
  /** history created_by, e.g. the container's command. */
  createdBy?: string;
  tags?: string[];
  signal?: AbortSignal;
}

export interface CommitDeps {
  images: ImageStore;
  snapshotter: DirSnapshotter;
}

export async function commitLayer(deps: CommitDeps, o: CommitOptions): Promise<Image> {
  const runtime = applyChanges(o.config ?? o.parent?.config.config, o.changes ?? []);
  if (o.tags) {
    for (const t of o.tags) parseTagReference(t);
  }
  const hash = createHash('sha256');
  const blob = await deps.images.content.writeStream(tap(diffLayer(o.upperDir, o.lowerDirs), (c) => hash.update(c)), undefined, { signal: o.signal });
  const diffId = blob.digest; // uncompressed: the blob digest is the diff ID
  if (`sha256:${hash.digest('hex')}` !== diffId) throw new InvalidArgument('layer changed while committing');
  // The new layer as a committed snapshot, so containers run from the new image without a pull.
  const unpacked = await unpackLayer(deps.snapshotter, o.parent?.chainId ?? null, () => deps.images.content.readStream(diffId), { diffId, signal: o.signal });
  const now = new Date().toISOString();
  const base: Partial<ImageConfigBlob> = o.parent ? structuredClone(o.parent.config) : {};
  const config: ImageConfigBlob = {
    ...base,
    architecture: base.architecture ?? 'amd64',
    os: base.os ?? 'linux',
    config: runtime,
    created: now,
    rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), diffId] },
    history: [...(base.history ?? []), {
      created: now,
      ...(o.author ? { author: o.author } : {}),
      ...(o.createdBy ? { created_by: o.createdBy } : {}),
      ...(o.comment ? { comment: o.comment } : {}),
    }],
  };
  delete config.author;
  delete config.comment;
  delete config.container;
  if (o.author) config.author = o.author;
  if (o.comment) config.comment = o.comment;
  if (o.containerId) config.container = o.containerId;
  return deps.images.create({
    config,
    layers: [...(o.parent?.layers ?? []), { mediaType: MediaTypes.ociLayer, digest: blob.digest, size: blob.size }],
    layerSizes: [...(o.parent?.layerSizes ?? o.parent?.layers.map((l) => l.size) ?? []), unpacked.size],
    tags: o.tags ?? [],
    ...(o.parent ? { parent: o.parent.id } : {}),
  });
}
