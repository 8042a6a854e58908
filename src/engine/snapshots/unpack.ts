/**
 * Unpacking a layer into a committed snapshot named by its chain ID: prepare on the parent chain,
 * apply the tar into the new snapshot's own dir, commit. An existing chain ID is reused without
 * reading the layer; a failure removes the half-made snapshot.
 */
import { randomBytes } from 'node:crypto';
import type { Digest } from '../../core/digest.js';
import { Conflict, InvalidArgument, NotFound } from '../../core/errors.js';
import { applyLayer } from './apply.js';
import { nextChainId } from './chain.js';
import type { DirSnapshotter, LayerAdopter } from './snapshotter.js';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface UnpackResult {
  chainId: Digest;
  diffId: Digest;
  /** Sum of regular file sizes (0 when reused and unknown). */
  size: number;
  reused: boolean;
}

export async function hasSnapshot(sn: DirSnapshotter, key: string): Promise<boolean> {
  try {
    await sn.stat(key);
    return true;
  } catch (err) {
    if (err instanceof NotFound) return false;
    throw err;
  }
}

export const SIZE_LABEL = 'minke.layer.size';

/**
 * open() is called only when the layer must really be unpacked. When diffId is known the chain is
 * looked up first; otherwise it is computed from the data.
 */
export async function unpackLayer(
  sn: DirSnapshotter,
  parent: Digest | null,
  open: () => Promise<AsyncIterable<Buffer | Uint8Array>> | AsyncIterable<Buffer | Uint8Array>,
  opts: { diffId?: Digest; signal?: AbortSignal } = {},
): Promise<UnpackResult> {
  if (opts.diffId) {
    const chainId = nextChainId(parent, opts.diffId);
    if (await hasSnapshot(sn, chainId)) {
      const info = await sn.stat(chainId);
      return { chainId, diffId: opts.diffId, size: Number(info.labels[SIZE_LABEL] ?? 0), reused: true };
    }
  }
  const key = `extract-${randomBytes(8).toString('hex')}`;
  await sn.prepare(key, parent, { labels: { 'minke.unpack': 'true' } });
  try {
    const dir = await sn.dir(key);
    const res = await applyLayer(dir, await open(), { signal: opts.signal });
    if (opts.diffId && res.diffId !== opts.diffId) {
      throw new InvalidArgument(`layer digest mismatch: expected diff ID ${opts.diffId}, got ${res.diffId}`);
    }
    const chainId = nextChainId(parent, res.diffId);
    try {
      await sn.commit(chainId, key, { labels: { [SIZE_LABEL]: String(res.size) } });
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      await sn.remove(key); // unpacked concurrently by someone else: theirs is as good
      return { chainId, diffId: res.diffId, size: res.size, reused: true };
    }
    return { chainId, diffId: res.diffId, size: res.size, reused: false };
  } catch (err) {
    await sn.remove(key).catch(() => {});
    throw err;
  }
}

export interface Detached {
  /** The scratch directory holding the layer (for LayerAdopter.adopt). */
  scratch: string;
  diffId: Digest;
  size: number;
}

/**
 * A layer unpacked into a scratch directory of its own, before its parent is there (see
 * LayerAdopter); the diff ID is checked when given. A failure removes the scratch directory.
 */
export async function unpackDetached(sn: LayerAdopter, source: AsyncIterable<Buffer | Uint8Array>, opts: { diffId?: Digest; signal?: AbortSignal } = {}): Promise<Detached> {
  const scratch = await sn.scratch();
  try {
    const res = await applyLayer(join(scratch, 'fs'), source, { signal: opts.signal });
    if (opts.diffId && res.diffId !== opts.diffId) {
      throw new InvalidArgument(`layer digest mismatch: expected diff ID ${opts.diffId}, got ${res.diffId}`);
    }
    return { scratch, diffId: res.diffId, size: res.size };
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw err;
  }
}
