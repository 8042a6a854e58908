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
import { hasSnapshot, SIZE_LABEL, unpackLayer } from '../snapshots/unpack.js';
import { nextChainId } from '../snapshots/chain.js';
import { diskUsage } from '../snapshots/overlay.js';
import { Conflict } from '../../core/errors.js';

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

/**
 * The tar goes to the content store and into the new snapshot at the same time (one pass, the
 * writes queued behind the unpack, a few chunks at most); the blob is committed once the unpack
 * has verified the same digest, and a blob that fails takes the snapshot with it.
 */
async function layerFromTar(d: LayerDeps, parent: Digest | null, tar: AsyncIterable<Buffer>, opts: { signal?: AbortSignal }): Promise<NewLayer> {
  const w = await d.content.writer({ signal: opts.signal });
  let pending: Promise<void> = Promise.resolve();
  let queued = 0;
  async function* teed(): AsyncGenerator<Buffer> {
    for await (const c of tar) {
      queued++;
      pending = pending.then(() => w.write(c)).then(() => { queued--; });
      if (queued > 16) await pending;
      yield c;
    }
  }
  let u: Awaited<ReturnType<typeof unpackLayer>>;
  try {
    u = await unpackLayer(d.snapshotter, parent, teed, { signal: opts.signal });
    await pending;
  } catch (err) {
    await pending.catch(() => {});
    await w.abort();
    throw err;
  }
  let blob: Awaited<ReturnType<typeof w.commit>>;
  try {
    blob = await w.commit({ digest: u.diffId });
  } catch (err) {
    if (!u.reused) await d.snapshotter.remove(u.chainId).catch(() => {});
    throw err;
  }
  return { descriptor: { mediaType: MediaTypes.ociLayer, digest: blob.digest, size: blob.size }, diffId: u.diffId, chainId: u.chainId, size: u.size };
}

/** A RUN's upper dir as a layer. */
export function layerFromUpper(d: LayerDeps, parent: Digest | null, upperDir: string, opts: { epochMs?: number; signal?: AbortSignal } = {}): Promise<NewLayer> {
  if (opts.epochMs === undefined) return layerFromTar(d, parent, diffLayer(upperDir), opts);
  async function* entries(): AsyncGenerator<TarSourceEntry> {
    for await (const e of readTar(diffLayer(upperDir))) yield { header: e.header, body: e.body };
  }
  return layerFromEntries(d, parent, entries(), opts);
}

/**
 * A RUN's active snapshot committed as its layer in place (no copy): the tar of its upper dir goes
 * to the content store for the image, the dir itself becomes the committed snapshot of the chain
 * ID. When that chain exists already (the same layer made before) the existing one is kept.
 */
export async function commitUpper(d: LayerDeps & { snapshotter: DirSnapshotter & { commit(name: string, key: string, opts?: { labels?: Record<string, string> }): Promise<void> } }, parent: Digest | null, key: string, upperDir: string, opts: { signal?: AbortSignal } = {}): Promise<NewLayer> {
  const hash = createHash('sha256');
  const blob = await d.content.writeStream(tap(diffLayer(upperDir), (c) => hash.update(c)), undefined, { signal: opts.signal });
  const diffId = blob.digest;
  if (`sha256:${hash.digest('hex')}` !== diffId) throw new Error('layer changed while it was written');
  const chainId = nextChainId(parent, diffId);
  const descriptor = { mediaType: MediaTypes.ociLayer, digest: blob.digest, size: blob.size };
  if (await hasSnapshot(d.snapshotter, chainId)) {
    const info = await d.snapshotter.stat(chainId);
    return { descriptor, diffId, chainId, size: Number(info.labels[SIZE_LABEL] ?? 0) };
  }
  const size = (await diskUsage(upperDir)).size;
  try {
    await d.snapshotter.commit(chainId, key, { labels: { [SIZE_LABEL]: String(size) } });
  } catch (err) {
    if (!(err instanceof Conflict)) throw err; // committed concurrently by another build: as good
  }
  return { descriptor, diffId, chainId, size };
}
