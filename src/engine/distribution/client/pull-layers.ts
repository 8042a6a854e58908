/**
 * The layer steps of a pull: fetch (a bounded number at once, as dockerd's
 * max-concurrent-downloads), verify (the content store's writer checks digest and size before
 * the blob is committed), unpack (layers already there are skipped). Each layer is unpacked as
 * its bytes arrive — one pass: to the store, and through gunzip into a scratch directory of its
 * own — in parallel with the others, then the layers become committed snapshots in order, named
 * by chain ID, each only once its blob verified and its diff ID matched the config
 * (LayerAdopter: a layer's directory does not depend on its parents').
 */
import { setMaxListeners } from 'node:events';
import type { Readable } from 'node:stream';
import { rm } from 'node:fs/promises';
import type { Digest } from '../../../core/digest.js';
import { EngineError, InvalidArgument } from '../../../core/errors.js';
import { trace } from '../../../core/trace.js';
import { hasContent, type ContentStore, type Writer } from '../../content/store.js';
import type { Descriptor } from '../../images/types.js';
import { chainIds } from '../../snapshots/chain.js';
import type { DirSnapshotter, LayerAdopter } from '../../snapshots/snapshotter.js';
import { hasSnapshot, SIZE_LABEL, unpackDetached, type Detached } from '../../snapshots/unpack.js';
import { DigestMismatch, TransportError } from './errors.js';
import type { Inflight } from './inflight.js';
import { Limiter } from './limiter.js';
import { Counter, shortDigest, update, type ProgressSink } from './progress.js';
import type { RepositoryReader } from './repository.js';

export interface LayerDeps {
  content: ContentStore;
  snapshotter: DirSnapshotter & LayerAdopter;
  repo: RepositoryReader;
  sink: ProgressSink;
  inflight: Inflight;
  /** Layers fetched and unpacked at once (dockerd downloads 3 at once by default). */
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

/** The size of the pieces a download is handed on in. */
const COALESCE = 1 << 20;

/** Bytes a download may be ahead of its writes to the store. */
const WRITE_AHEAD = 8 << 20;

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
  // The socket's 64 KiB reads passed on as 1 MiB pieces: every step after this one (the store's
  // writer, gunzip, the tar reader) then runs 16 times less often per byte, which counts in an
  // engine running V8's lite mode (no optimising compiler).
  let parts: Buffer[] = [];
  let have = 0;
  try {
    for await (const chunk of src) {
      parts.push(chunk as Buffer);
      have += (chunk as Buffer).length;
      if (have >= COALESCE) {
        yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, have);
        parts = [];
        have = 0;
      }
    }
    if (have) yield Buffer.concat(parts, have);
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new TransportError(`error pulling layer ${digest}: unexpected EOF`, { cause: err });
  }
}

/** What a pull made: snapshots committed and blobs stored (a failed pull takes them back). */
interface Made {
  chains: Digest[];
  blobs: Digest[];
  /** Blob commits under way (their fsync runs while other layers go on). */
  commits: Array<Promise<void>>;
}

/** How a layer's stream ended: its verified blob's commit, or the error that stopped it. */
interface Outcome {
  error?: unknown;
  commit?: Promise<void>;
}

/**
 * The blob's bytes as they come, each written to the store too (the writes run behind, in order,
 * a bounded amount ahead); the stream ends only once the bytes are verified against the digest.
 * The blob's commit (fsync, rename) then runs on while the pull goes on.
 */
async function* throughStore(src: Readable, w: Writer, desc: Descriptor, counter: Counter, sink: ProgressSink, id: string, made: Made, outcome: Outcome): AsyncGenerator<Buffer> {
  let n = 0;
  let committed = false;
  let writing: Promise<void> = Promise.resolve();
  let writeError: { err: unknown } | undefined;
  let queued = 0;
  try {
    for await (const c of received(src, desc.digest)) {
      n += c.length;
      if (n > desc.size) throw verificationFailed(desc.digest);
      queued += c.length;
      writing = writing.then(() => w.write(c)).then(() => { queued -= c.length; }, (err: unknown) => { writeError ??= { err }; });
      if (queued > WRITE_AHEAD) await writing;
      if (writeError) throw writeError.err;
      counter.set(n);
      yield c;
    }
    await writing;
    if (writeError) throw writeError.err;
    counter.done();
    update(sink, id, 'Verifying Checksum');
    if (w.offset !== desc.size || w.digest() !== desc.digest) {
      outcome.error = verificationFailed(desc.digest);
      throw outcome.error;
    }
    committed = true; // the writer is the commit's now
    update(sink, id, 'Download complete');
    outcome.commit = commitBlob(w, desc).then(() => { made.blobs.push(desc.digest); });
    outcome.commit.catch(() => {});
    made.commits.push(outcome.commit);
  } finally {
    if (!committed) {
      src.destroy();
      await writing;
      await w.abort();
    }
  }
}

/** The generator's bytes for a consumer that may stop early without ending the generator. */
function unclosable(g: AsyncGenerator<Buffer>): AsyncIterable<Buffer> {
  return { [Symbol.asyncIterator]: () => ({ next: () => g.next(), return: async () => ({ done: true, value: undefined }) }) };
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
  value: T | undefined;
  resolve!: (v: T) => void;
  reject!: (e: unknown) => void;
  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.resolve = (v) => { this.value = v; res(v); };
      this.reject = rej;
    });
    this.promise.catch(() => {});
  }
}

interface Layer {
  id: string;
  desc: Descriptor;
  diffId: Digest;
  chain: Digest;
  parent: Digest | null;
  /** The layer unpacked in its scratch directory, not yet adopted. */
  detached: Deferred<Detached>;
}

/** Fetches, verifies and unpacks an image's layers; on failure, leaves no snapshot, scratch or blob it made that nothing uses. */
export async function pullLayers(d: LayerDeps, descs: readonly Descriptor[], diffIds: readonly Digest[]): Promise<LayersResult> {
  const chains = chainIds(diffIds);
  const release = d.inflight.claim(chains, descs.map((l) => l.digest));
  const made: Made = { chains: [], blobs: [], commits: [] };
  const layers: Layer[] = descs.map((desc, i) => ({
    id: shortDigest(desc.digest), desc, diffId: diffIds[i]!, chain: chains[i]!, parent: i === 0 ? null : chains[i - 1]!, detached: new Deferred<Detached>(),
  }));
  try {
    const r = await run(d, layers, made);
    await Promise.all(made.commits);
    return r;
  } catch (err) {
    await Promise.allSettled(made.commits);
    for (const l of layers) if (l.detached.value) await rm(l.detached.value.scratch, { recursive: true, force: true });
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

async function run(d: LayerDeps, layers: Layer[], made: Made): Promise<LayersResult> {
  const present = await Promise.all(layers.map((l) => hasSnapshot(d.snapshotter, l.chain)));
  layers.forEach((l, i) => update(d.sink, l.id, present[i] ? 'Already exists' : 'Pulling fs layer'));
  const sizes: number[] = [];
  for (const [i, l] of layers.entries()) sizes.push(present[i] ? Number((await d.snapshotter.stat(l.chain)).labels[SIZE_LABEL] ?? 0) : 0);
  const limiter = new Limiter(d.concurrency);
  const failed = new AbortController();
  const signal = AbortSignal.any([d.signal, failed.signal]);
  // Every layer's requests, writers and waits listen to it: not a leak.
  setMaxListeners(0, signal, failed.signal, d.signal);
  const todo = layers.filter((_, i) => !present[i]);
  const fail = (err: unknown): never => {
    if (!failed.signal.aborted) failed.abort(err);
    throw err;
  };
  const tasks = todo.map((l) => {
    if (!limiter.free) update(d.sink, l.id, 'Waiting');
    return fetchAndUnpack(d, l, limiter, signal, made).then((r) => l.detached.resolve(r), (err: unknown) => {
      l.detached.reject(err);
      fail(err);
    });
  });
  // Adopted in order, as many at once as are ready (one metadata write for them).
  const adopting = (async () => {
    let next = 0;
    while (next < todo.length) {
      await todo[next]!.detached.promise;
      signal.throwIfAborted();
      const batch: Layer[] = [];
      while (next < todo.length && todo[next]!.detached.value) batch.push(todo[next++]!);
      const adopted = await d.snapshotter.adopt(batch.map((l) => ({ name: l.chain, parent: l.parent, scratch: l.detached.value!.scratch, labels: { [SIZE_LABEL]: String(l.detached.value!.size) } })));
      for (const [k, l] of batch.entries()) {
        if (adopted[k]) made.chains.push(l.chain);
        l.detached.value = undefined; // adopted or dropped: no scratch of ours left
        update(d.sink, l.id, 'Pull complete');
        trace('pull', `${l.id} committed`);
      }
    }
  })().catch(fail);
  const results = await Promise.allSettled([...tasks, adopting]);
  if (results.some((r) => r.status === 'rejected')) throw failed.signal.reason ?? (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
  for (const [i, l] of layers.entries()) {
    if (!present[i]) sizes[i] = Number((await d.snapshotter.stat(l.chain)).labels[SIZE_LABEL] ?? 0);
  }
  return { sizes, downloaded: todo.length > 0 };
}

/** One layer: its bytes from the registry (or the store, when already there), unpacked as they come. */
async function fetchAndUnpack(d: LayerDeps, l: Layer, limiter: Limiter, signal: AbortSignal, made: Made): Promise<Detached> {
  const release = await limiter.acquire(signal);
  try {
    const others = d.inflight.blob(l.desc.digest);
    if (others) await others;
    if (await hasContent(d.content, l.desc.digest)) {
      // Stored already (an earlier pull, or another one just now): unpacked from the store.
      update(d.sink, l.id, 'Download complete');
      const counter = new Counter(d.sink, l.id, 'Extracting', l.desc.size);
      const r = await unpackDetached(d.snapshotter, counting(await d.content.readStream(l.desc.digest) as AsyncIterable<Buffer>, counter), { diffId: l.diffId, signal });
      trace('pull', `${l.id} unpacked from the store`);
      return r;
    }
    const stored = new Promise<void>((resolve, reject) => {
      void download().then(resolve, reject);
    });
    let result: Detached | undefined;
    let commit: Promise<void> | undefined;
    async function download(): Promise<void> {
      const counter = new Counter(d.sink, l.id, 'Downloading', l.desc.size);
      trace('pull', `${l.id} download`);
      const blob = await d.repo.fetchBlob(l.desc.digest, signal);
      const w = await d.content.writer({ signal }).catch((err: unknown) => {
        blob.stream.destroy();
        throw err;
      });
      const outcome: Outcome = {};
      const bytes = throughStore(blob.stream, w, l.desc, counter, d.sink, l.id, made, outcome);
      try {
        result = await unpackDetached(d.snapshotter, unclosable(bytes), { diffId: l.diffId, signal });
      } catch (err) {
        // Bad layer data is most often bytes that are not the blob: the rest is read, so that
        // the digest check says so, as dockerd (which verifies before it unpacks) would.
        if (err instanceof InvalidArgument && !signal.aborted) {
          try {
            while (!(await bytes.next()).done) { /* drained */ }
          } catch {
            // outcome has it
          }
        } else await bytes.return(undefined);
        throw outcome.error ?? err;
      }
      // The unpack read the stream to its end, so the blob is verified; made sure of here.
      while (!(await bytes.next()).done) { /* nothing left, normally */ }
      if (!outcome.commit) {
        await rm(result.scratch, { recursive: true, force: true });
        throw outcome.error ?? verificationFailed(l.desc.digest);
      }
      commit = outcome.commit;
    }
    // Another pull of this blob waits for its commit, then unpacks it from the store.
    d.inflight.track(l.desc.digest, stored.then(() => commit));
    await stored;
    new Counter(d.sink, l.id, 'Extracting', l.desc.size).done();
    trace('pull', `${l.id} downloaded and unpacked`);
    return result!;
  } finally {
    release();
  }
}
