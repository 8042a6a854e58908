/**
 * The layer steps of a pull: fetch (a bounded number of downloads at once, as dockerd's
 * max-concurrent-downloads), verify (the content store's writer checks digest and size before
 * the blob is committed), unpack (into snapshots named by chain ID, in order; layers already
 * unpacked are skipped). A layer whose parent is already unpacked when its download starts is
 * unpacked as it arrives (one pass: the bytes go to the store and through gunzip into the
 * snapshot at once, and the snapshot is committed only after the blob verified); the others are
 * stored first and unpacked from the store once their parent is there.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../../../core/digest.js';
import { EngineError, InvalidArgument } from '../../../core/errors.js';
import { hasContent, type ContentStore, type Writer } from '../../content/store.js';
import type { Descriptor } from '../../images/types.js';
import { chainIds } from '../../snapshots/chain.js';
import type { DirSnapshotter } from '../../snapshots/snapshotter.js';
import { hasSnapshot, SIZE_LABEL, unpackLayer } from '../../snapshots/unpack.js';
import { DigestMismatch, TransportError } from './errors.js';
import { Limiter } from './limiter.js';
import { Counter, shortDigest, update, type ProgressSink } from './progress.js';
import type { RepositoryReader } from './repository.js';

/** Downloads in progress in this engine, by digest: a second pull of the same blob waits for the first. */
export class Inflight {
  private readonly blobs = new Map<string, Promise<void>>();
  /** Chain IDs that pulls in progress will stand on (a failed pull leaves those alone). */
  private readonly chains = new Map<string, number>();

  blob(digest: Digest): Promise<void> | undefined {
    return this.blobs.get(digest);
  }

  track(digest: Digest, done: Promise<void>): void {
    const p = done.catch(() => {}).finally(() => {
      if (this.blobs.get(digest) === p) this.blobs.delete(digest);
    });
    this.blobs.set(digest, p);
  }

  private readonly digests = new Map<string, number>();

  /** Marks the chains and blobs a pull will stand on; the answer releases them. */
  claim(chains: readonly string[], blobs: readonly string[]): () => void {
    const take = (m: Map<string, number>, keys: readonly string[], n: number): void => {
      for (const k of keys) {
        const v = (m.get(k) ?? 0) + n;
        if (v <= 0) m.delete(k);
        else m.set(k, v);
      }
    };
    take(this.chains, chains, 1);
    take(this.digests, blobs, 1);
    return () => {
      take(this.chains, chains, -1);
      take(this.digests, blobs, -1);
    };
  }

  /** Whether another pull in progress stands on this chain or blob too. */
  claimedByOthers(key: string, kind: 'chain' | 'blob' = 'chain'): boolean {
    return ((kind === 'chain' ? this.chains : this.digests).get(key) ?? 0) > 1;
  }
}

export interface LayerDeps {
  content: ContentStore;
  snapshotter: DirSnapshotter;
  repo: RepositoryReader;
  sink: ProgressSink;
  inflight: Inflight;
  /** Downloads at once (dockerd's default is 3). */
  concurrency: number;
  /** Whether an image stands on a chain (a failed pull removes only what none uses). */
  chainInUse: (chain: string) => boolean;
  /** Whether an image lists the blob (a failed pull deletes only blobs none lists). */
  blobInUse: (digest: Digest) => Promise<boolean>;
  signal: AbortSignal;
}

export interface LayersResult {
  /** Unpacked size of each layer (docker's layer size). */
  sizes: number[];
  /** Whether any layer was downloaded (dockerd's "Downloaded newer image" versus "up to date"). */
  downloaded: boolean;
}

/** dockerd's words for bytes that do not hash to their digest. */
function verificationFailed(digest: Digest, cause?: unknown): DigestMismatch {
  return new DigestMismatch(`filesystem layer verification failed for digest ${digest}`, { cause });
}

async function commitBlob(w: Writer, desc: Descriptor): Promise<void> {
  try {
    await w.commit({ digest: desc.digest, size: desc.size });
  } catch (err) {
    if (err instanceof InvalidArgument) throw verificationFailed(desc.digest, err);
    throw err;
  }
}

/** A blob's bytes from the registry; a connection that breaks midway is an error in Go's words. */
async function* received(src: Readable, digest: Digest): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of src) yield chunk as Buffer;
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new TransportError(`error pulling layer ${digest}: unexpected EOF`, { cause: err });
  }
}

/** The blob's bytes as they come, each written to the store first; the commit (verification) ends the stream. */
async function* throughStore(src: Readable, w: Writer, desc: Descriptor, counter: Counter, sink: ProgressSink, id: string, made: Made): AsyncGenerator<Buffer> {
  let n = 0;
  let committed = false;
  try {
    for await (const chunk of received(src, desc.digest)) {
      const c = chunk as Buffer;
      n += c.length;
      if (n > desc.size) throw verificationFailed(desc.digest);
      await w.write(c);
      counter.set(n);
      yield c;
    }
    counter.done();
    update(sink, id, 'Verifying Checksum');
    await commitBlob(w, desc);
    committed = true;
    made.blobs.push(desc.digest);
    update(sink, id, 'Download complete');
  } finally {
    if (!committed) {
      src.destroy();
      await w.abort();
    }
  }
}

async function* counting(src: AsyncIterable<Buffer>, counter: Counter): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const c of src) {
    n += c.length;
    counter.set(n);
    yield c;
  }
  counter.done();
}

/** A promise with its settling functions, and whether it settled well (read synchronously). */
class Deferred<T> {
  readonly promise: Promise<T>;
  settled = false;
  resolve!: (v: T) => void;
  reject!: (e: unknown) => void;
  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.resolve = (v) => { this.settled = true; res(v); };
      this.reject = rej;
    });
    this.promise.catch(() => {});
  }
}

/** How a layer's bytes come to its snapshot: unpacked as they arrive, or stored first (settles when stored). */
type Route = { kind: 'stream' } | { kind: 'store'; stored: Promise<void> };

interface Layer {
  id: string;
  desc: Descriptor;
  diffId: Digest;
  chain: Digest;
  parent: Digest | null;
  /** Settles with the layer's size once its snapshot is committed (or found). */
  unpacked: Deferred<number>;
  route: Deferred<Route>;
}

/** What a pull made: snapshots committed and blobs stored (a failed pull takes them back). */
interface Made {
  chains: Digest[];
  blobs: Digest[];
}

/** Fetches, verifies and unpacks an image's layers; on failure, leaves no snapshot or blob it made that nothing uses. */
export async function pullLayers(d: LayerDeps, layers: readonly Descriptor[], diffIds: readonly Digest[]): Promise<LayersResult> {
  const chains = chainIds(diffIds);
  const release = d.inflight.claim(chains, layers.map((l) => l.digest));
  const made: Made = { chains: [], blobs: [] };
  try {
    return await run(d, layers, diffIds, chains, made);
  } catch (err) {
    for (const c of made.chains.reverse()) {
      if (d.chainInUse(c) || d.inflight.claimedByOthers(c)) break;
      await d.snapshotter.remove(c).catch(() => {});
    }
    for (const b of made.blobs) {
      if (!d.inflight.claimedByOthers(b, 'blob') && !await d.blobInUse(b)) await d.content.delete(b).catch(() => {});
    }
    throw err;
  } finally {
    release();
  }
}

async function run(d: LayerDeps, descs: readonly Descriptor[], diffIds: readonly Digest[], chains: Digest[], made: Made): Promise<LayersResult> {
  const layers: Layer[] = descs.map((desc, i) => ({
    id: shortDigest(desc.digest), desc, diffId: diffIds[i]!, chain: chains[i]!, parent: i === 0 ? null : chains[i - 1]!,
    unpacked: new Deferred<number>(), route: new Deferred<Route>(),
  }));
  const present = await Promise.all(layers.map((l) => hasSnapshot(d.snapshotter, l.chain)));
  layers.forEach((l, i) => update(d.sink, l.id, present[i] ? 'Already exists' : 'Pulling fs layer'));
  for (let i = 0; i < layers.length; i++) {
    if (!present[i]) continue;
    const info = await d.snapshotter.stat(layers[i]!.chain);
    layers[i]!.unpacked.resolve(Number(info.labels[SIZE_LABEL] ?? 0));
  }
  const todo = layers.filter((_, i) => !present[i]);
  const limiter = new Limiter(d.concurrency);
  const failed = new AbortController();
  const signal = AbortSignal.any([d.signal, failed.signal]);
  const fail = (err: unknown): never => {
    failed.abort(err);
    for (const l of todo) {
      l.unpacked.reject(err);
      l.route.reject(err);
    }
    throw err;
  };
  const tasks = todo.map((l) => {
    if (!limiter.free) update(d.sink, l.id, 'Waiting');
    return fetchLayer(d, l, limiter, signal, layers, made).catch(fail);
  });
  // Unpacking in order: each stored layer once its parent is committed.
  const chain = (async () => {
    for (const l of todo) {
      const route = await l.route.promise;
      if (route.kind === 'stream') {
        await l.unpacked.promise;
        continue;
      }
      await route.stored;
      const i = layers.indexOf(l);
      if (i > 0) await layers[i - 1]!.unpacked.promise;
      signal.throwIfAborted();
      const counter = new Counter(d.sink, l.id, 'Extracting', l.desc.size);
      const r = await unpackLayer(d.snapshotter, l.parent, async () => counting(await d.content.readStream(l.desc.digest) as AsyncIterable<Buffer>, counter), { diffId: l.diffId, signal });
      if (!r.reused) made.chains.push(r.chainId);
      update(d.sink, l.id, 'Pull complete');
      l.unpacked.resolve(r.size);
    }
  })().catch(fail);
  const results = await Promise.allSettled([...tasks, chain]);
  const firstError = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (firstError) throw signal.reason ?? firstError.reason;
  const sizes: number[] = [];
  for (const l of layers) sizes.push(await l.unpacked.promise);
  return { sizes, downloaded: todo.length > 0 };
}

/** One layer's download: streamed into its snapshot when its parent is ready, else into the store. */
async function fetchLayer(d: LayerDeps, l: Layer, limiter: Limiter, signal: AbortSignal, layers: Layer[], made: Made): Promise<void> {
  const others = d.inflight.blob(l.desc.digest);
  if (others || await hasContent(d.content, l.desc.digest)) {
    // Stored already, or on its way by another pull: unpacked from the store.
    const ready = (others ?? Promise.resolve()).then(async () => {
      if (!await hasContent(d.content, l.desc.digest)) throw verificationFailed(l.desc.digest);
      update(d.sink, l.id, 'Download complete');
    });
    l.route.resolve({ kind: 'store', stored: ready });
    return ready;
  }
  const stored = new Deferred<void>();
  d.inflight.track(l.desc.digest, stored.promise);
  let releaseSlot: (() => void) | undefined;
  try {
    releaseSlot = await limiter.acquire(signal);
    const i = layers.indexOf(l);
    const stream = i === 0 || layers[i - 1]!.unpacked.settled;
    l.route.resolve(stream ? { kind: 'stream' } : { kind: 'store', stored: stored.promise });
    const counter = new Counter(d.sink, l.id, 'Downloading', l.desc.size);
    const blob = await d.repo.fetchBlob(l.desc.digest, signal);
    const w = await d.content.writer({ signal }).catch((err: unknown) => {
      blob.stream.destroy();
      throw err;
    });
    const bytes = throughStore(blob.stream, w, l.desc, counter, d.sink, l.id, made);
    if (!stream) {
      for await (const _ of bytes) { /* stored as it passes */ }
      stored.resolve();
      return;
    }
    let opened = false;
    const r = await unpackLayer(d.snapshotter, l.parent, () => { opened = true; return bytes; }, { diffId: l.diffId, signal }).finally(async () => {
      if (opened) return;
      // Unpacked meanwhile by another pull: this download is not needed.
      blob.stream.destroy();
      await w.abort();
    });
    stored.resolve();
    if (!r.reused) made.chains.push(r.chainId);
    new Counter(d.sink, l.id, 'Extracting', l.desc.size).done();
    update(d.sink, l.id, 'Pull complete');
    l.unpacked.resolve(r.size);
  } catch (err) {
    stored.reject(err);
    throw err;
  } finally {
    releaseSlot?.();
  }
}
