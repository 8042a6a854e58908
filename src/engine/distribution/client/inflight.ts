/**
 * What the pulls in progress in an engine share: the downloads under way (a second pull of the
 * same blob waits for the first rather than fetching it again) and the chains and blobs each
 * stands on (a pull that fails takes back only what no other pull in progress needs).
 */
import type { Digest } from '../../../core/digest.js';

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
