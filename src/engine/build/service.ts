/**
 * The engine's build service: contexts, the cache and the builder behind `POST /build`,
 * `POST /build/prune` and the build cache of `/system/df`. Its directories live under the data
 * root (build/contexts, build/cache, build/mnt, build/bundles) and runc's state of build
 * containers under the exec root; whatever a crashed engine left there is removed at open.
 */
import { randomBytes } from 'node:crypto';
import { InvalidArgument } from '../../core/errors.js';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../core/digest.js';
import type { ImageStore } from '../images/image-store.js';
import type { Image } from '../images/types.js';
import { unmountAll } from '../snapshots/mount.js';
import { diskUsage, type OverlaySnapshotter } from '../snapshots/overlay.js';
import { BuildCache, type BuildCacheEntry, type CacheRecord } from './cache.js';
import { Builder, type BuildRequest, type BuilderDeps } from './builder.js';
import type { StepNetworkPort } from './run-step.js';
import { receiveContext, sweepContexts, type BuildContext } from './context.js';

export interface BuildServiceOptions {
  dataRoot: string;
  execRoot: string;
  images: ImageStore;
  snapshotter: OverlaySnapshotter;
  /** The engine's pull (the registry client), for base images the engine lacks and --pull. */
  pull?: BuilderDeps['pull'];
  /** The engine's networks, for RUN steps on the default bridge or a network by name. */
  networks?: StepNetworkPort;
}

export interface PruneResult {
  CachesDeleted: string[] | null;
  SpaceReclaimed: number;
}

export class BuildService {
  private readonly builder: Builder;
  private readonly secretSessions = new Map<string, { secrets: Map<string, Buffer>; timer: NodeJS.Timeout }>();

  private constructor(private readonly o: BuildServiceOptions, readonly cache: BuildCache, private readonly root: string) {
    this.builder = new Builder({
      images: o.images, snapshotter: o.snapshotter, cache, buildRoot: root, runcRoot: join(o.execRoot, 'build-runc'), secretsRoot: join(o.execRoot, 'build-secrets'),
      ...(o.pull ? { pull: o.pull } : {}), ...(o.networks ? { networks: o.networks } : {}),
    });
  }

  /**
   * `minke build --secret`: the values arrive before the build (POST /build/secrets) and are
   * kept in memory under a random session ID that POST /build names; taken once, or dropped
   * after five minutes.
   */
  addSecrets(secrets: Map<string, Buffer>): string {
    const id = randomBytes(16).toString('hex');
    const timer = setTimeout(() => this.secretSessions.delete(id), 5 * 60_000);
    timer.unref();
    this.secretSessions.set(id, { secrets, timer });
    return id;
  }

  takeSecrets(id: string): Map<string, Buffer> | undefined {
    const s = this.secretSessions.get(id);
    if (!s) return undefined;
    clearTimeout(s.timer);
    this.secretSessions.delete(id);
    return s.secrets;
  }

  static async open(o: BuildServiceOptions): Promise<BuildService> {
    const root = join(o.dataRoot, 'build');
    await mkdir(root, { recursive: true, mode: 0o700 });
    // A crash mid-step: its mounts, bundles and snapshots go before anything else is built.
    const mnt = join(root, 'mnt');
    await mkdir(mnt, { recursive: true });
    for (const d of await readdir(mnt)) {
      try {
        unmountAll(join(mnt, d));
      } catch {
        // not mounted
      }
    }
    await rm(mnt, { recursive: true, force: true });
    await rm(join(root, 'bundles'), { recursive: true, force: true });
    await rm(join(root, 'tmp'), { recursive: true, force: true });
    await rm(join(o.execRoot, 'build-runc'), { recursive: true, force: true });
    await rm(join(o.execRoot, 'build-secrets'), { recursive: true, force: true });
    for (const s of await o.snapshotter.walk()) {
      if (s.kind !== 'committed' && s.name.startsWith('build-')) await o.snapshotter.remove(s.name).catch(() => {});
    }
    for (const s of await o.snapshotter.walk()) {
      if (s.name.startsWith('build-') && s.name.endsWith('-init')) await o.snapshotter.remove(s.name).catch(() => {});
    }
    await sweepContexts(join(root, 'contexts'));
    const cache = await BuildCache.open(join(root, 'cache'));
    return new BuildService(o, cache, root);
  }

  /** The build's network mode (--network) as given: default, bridge (the same), host, none or a network's name; throws docker's error for one the steps cannot use. */
  networkMode(mode: string | null): string {
    const m = mode === null || mode === '' || mode === 'bridge' ? 'default' : mode;
    if (this.o.networks) this.o.networks.check(m);
    else if (m !== 'default' && m !== 'host' && m !== 'none') throw new InvalidArgument(`network mode "${m}" not supported by the builder without the engine's networks: use default, host or none`);
    return m;
  }

  /** Whether images can be pulled (a registry client is wired in). */
  get canPull(): boolean {
    return this.o.pull !== undefined;
  }

  receive(body: AsyncIterable<Buffer | Uint8Array>, signal?: AbortSignal): Promise<BuildContext> {
    return receiveContext(join(this.root, 'contexts'), body, signal);
  }

  build(req: BuildRequest): Promise<Image> {
    return this.builder.build(req);
  }

  usage(): BuildCacheEntry[] {
    return this.cache.all().map((r) => BuildCache.entry(r));
  }

  /**
   * docker builder prune: every record (all) or those unused for `until`; the layer blobs and
   * snapshots only the removed records held go too.
   */
  async prune(opts: { all?: boolean; untilMs?: number; keepBytes?: number } = {}): Promise<PruneResult> {
    const now = Date.now();
    let doomed = this.cache.all().filter((r) => opts.untilMs === undefined || now - r.lastUsed > opts.untilMs);
    if (opts.keepBytes) {
      doomed.sort((a, b) => a.lastUsed - b.lastUsed);
      let total = this.cache.all().reduce((n, r) => n + (r.layer?.unpackedSize ?? 0), 0);
      const keep: CacheRecord[] = [];
      doomed = doomed.filter((r) => {
        if (total <= opts.keepBytes!) {
          keep.push(r);
          return false;
        }
        total -= r.layer?.unpackedSize ?? 0;
        return true;
      });
    }
    const deleted: string[] = [];
    let space = 0;
    for (const r of doomed) {
      await this.cache.delete(r.key);
      deleted.push(BuildCache.entry(r).ID);
    }
    const stillUsed = new Set<string>();
    for (const r of this.cache.all()) for (const l of r.state.layers) stillUsed.add(l.digest);
    for (const img of await this.o.images.list()) for (const l of img.layers) stillUsed.add(l.digest);
    const usedChains = new Set<string>();
    for (const img of await this.o.images.list()) if (img.chainId) usedChains.add(img.chainId);
    for (const r of doomed) {
      if (!r.layer || stillUsed.has(r.layer.digest)) continue;
      stillUsed.add(r.layer.digest); // counted once
      space += r.layer.unpackedSize;
      // The layer's snapshot (when nothing stacks on it) and its blob.
      if (r.state.chainId && !usedChains.has(r.state.chainId)) await this.o.snapshotter.remove(r.state.chainId).catch(() => {});
      await this.o.images.content.delete(r.layer.digest as Digest).catch(() => {});
    }
    // RUN --mount=type=cache directories go with everything else (`prune -a` without filters), as BuildKit's cache mounts.
    if (opts.all && opts.untilMs === undefined && !opts.keepBytes) {
      const dir = join(this.root, 'cache-mounts');
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        space += (await diskUsage(join(dir, name))).size;
        await rm(join(dir, name), { recursive: true, force: true });
        deleted.push(`cache-mount:${name.slice(0, 12)}`);
      }
    }
    return { CachesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
  }
}
