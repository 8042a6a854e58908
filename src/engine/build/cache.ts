/**
 * The build cache: what each step produced, keyed by a digest of its parent's key, its
 * instruction after expansion and its inputs. A record holds the image state after the step (so
 * a cached rebuild gives the same image ID) and the layer the step made, if any. One JSON file
 * per record under the cache dir, written atomically, read at start: the cache survives engine
 * restarts. Layers stay in the content store; a layer snapshot an image removal took is unpacked
 * again from its blob on the next hit.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../core/digest.js';
import type { Descriptor, ImageConfigBlob } from '../images/types.js';

/** The image a build has made so far in a stage. */
export interface BuildState {
  config: ImageConfigBlob;
  layers: Descriptor[];
  layerSizes: number[];
  chainId: Digest | null;
  /** The cache key of the step that made this state. */
  key: string;
  /** The local image the stage started from (docker's Parent), if any. */
  baseImage?: Digest;
}

export interface CacheRecord {
  key: string;
  /** The parent step's key. */
  parent: string;
  /** The instruction, for `docker builder prune` / df descriptions. */
  description: string;
  state: BuildState;
  /** The layer this step added. */
  layer?: { digest: Digest; diffId: Digest; size: number; unpackedSize: number };
  created: number;
  lastUsed: number;
  usage: number;
}

export interface BuildCacheEntry {
  ID: string;
  Parent: string;
  Parents: string[];
  Type: string;
  CacheType: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string;
  UsageCount: number;
}

export class BuildCache {
  private constructor(private readonly dir: string, private readonly records: Map<string, CacheRecord>) {}

  static async open(dir: string): Promise<BuildCache> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const records = new Map<string, CacheRecord>();
    for (const f of await readdir(dir)) {
      if (!f.endsWith('.json')) {
        await rm(join(dir, f), { force: true }); // a write a crash interrupted
        continue;
      }
      try {
        const r = JSON.parse(await readFile(join(dir, f), 'utf8')) as CacheRecord;
        records.set(r.key, r);
      } catch {
        await rm(join(dir, f), { force: true });
      }
    }
    return new BuildCache(dir, records);
  }

  private file(key: string): string {
    return join(this.dir, `${key.replace(/^sha256:/, '')}.json`);
  }

  get(key: string): CacheRecord | undefined {
    return this.records.get(key);
  }

  /**
   * Written whole and renamed into place, without fsync: a record a crash tore is unreadable and
   * dropped at the next open (the step is then made again), which costs less than a sync per step.
   */
  private async write(r: CacheRecord): Promise<void> {
    const path = this.file(r.key);
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(r));
    await rename(tmp, path);
  }

  async put(r: CacheRecord): Promise<void> {
    await this.write(r);
    this.records.set(r.key, r);
  }

  /** A hit: its use is counted, written in the background (a lost write only loses the count). */
  touch(r: CacheRecord): void {
    r.lastUsed = Date.now();
    r.usage++;
    this.dirty.add(r);
    if (this.dirty.size === 1) setImmediate(() => void this.flush());
  }

  private readonly dirty = new Set<CacheRecord>();

  async flush(): Promise<void> {
    const rs = [...this.dirty];
    this.dirty.clear();
    for (const r of rs) if (this.records.get(r.key) === r) await this.write(r).catch(() => {});
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
    this.records.delete(key);
  }

  all(): CacheRecord[] {
    return [...this.records.values()];
  }

  /** docker's types.BuildCache for /system/df and prune. */
  static entry(r: CacheRecord): BuildCacheEntry {
    return {
      ID: r.key.replace(/^sha256:/, '').slice(0, 25),
      Parent: r.parent.replace(/^sha256:/, '').slice(0, 25),
      Parents: [r.parent.replace(/^sha256:/, '').slice(0, 25)],
      Type: 'regular',
      CacheType: 'regular',
      Description: r.description,
      InUse: false,
      Shared: false,
      Size: r.layer?.unpackedSize ?? 0,
      CreatedAt: new Date(r.created).toISOString(),
      LastUsedAt: new Date(r.lastUsed).toISOString(),
      UsageCount: r.usage,
    };
  }
}
