/**
 * A step's changes as a layer: a tar (made from entries, or from a RUN's upper dir) written to
 * the content store, unpacked as the committed snapshot of its chain ID. With SOURCE_DATE_EPOCH
 * every file time later than the epoch is clamped to it, so the same inputs give the same bytes.
 */
import { createHash } from 'node:crypto';
import type { Digest } from '../../core/digest.js';
import { readTar, writeTar, type TarSourceEntry } from '../archive/tar.js';
import { tap } from '../archive/compression.js';
import type { ContentStore } from '../content/store.js';
import { MediaTypes, type Descriptor } from '../images/types.js';
import { diffLayer } from '../snapshots/diff.js';
import type { DirSnapshotter } from '../snapshots/snapshotter.js';
import { unpackLayer } from '../snapshots/unpack.js';

export interface LayerDeps {
  content: ContentStore;
  snapshotter: DirSnapshotter;
}

export interface NewLayer {
  descriptor: Descriptor;
  diffId: Digest;
  chainId: Digest;
  /** Bytes of the unpacked files (docker history's SIZE). */
  size: number;
}

async function* clamp(entries: AsyncIterable<TarSourceEntry>, epochMs: number | undefined): AsyncGenerator<TarSourceEntry> {
  for await (const e of entries) {
    if (epochMs !== undefined && e.header.mtime > epochMs) e.header = { ...e.header, mtime: epochMs };
    yield e;
  }
}

export function layerFromEntries(d: LayerDeps, parent: Digest | null, entries: AsyncIterable<TarSourceEntry>, opts: { epochMs?: number; signal?: AbortSignal } = {}): Promise<NewLayer> {
  return layerFromTar(d, parent, writeTar(clamp(entries, opts.epochMs)), opts);
}

async function layerFromTar(d: LayerDeps, parent: Digest | null, tar: AsyncIterable<Buffer>, opts: { signal?: AbortSignal }): Promise<NewLayer> {
  const hash = createHash('sha256');
  const blob = await d.content.writeStream(tap(tar, (c) => hash.update(c)), undefined, { signal: opts.signal });
  const diffId = blob.digest; // uncompressed: the blob is the diff
  if (`sha256:${hash.digest('hex')}` !== diffId) throw new Error('layer changed while it was written');
  const u = await unpackLayer(d.snapshotter, parent, () => d.content.readStream(diffId), { diffId, signal: opts.signal });
  return { descriptor: { mediaType: MediaTypes.ociLayer, digest: blob.digest, size: blob.size }, diffId, chainId: u.chainId, size: u.size };
}

/** A RUN's upper dir as a layer. */
export function layerFromUpper(d: LayerDeps, parent: Digest | null, upperDir: string, opts: { epochMs?: number; signal?: AbortSignal } = {}): Promise<NewLayer> {
  if (opts.epochMs === undefined) return layerFromTar(d, parent, diffLayer(upperDir), opts);
  async function* entries(): AsyncGenerator<TarSourceEntry> {
    for await (const e of readTar(diffLayer(upperDir))) yield { header: e.header, body: e.body };
  }
  return layerFromEntries(d, parent, entries(), opts);
}
