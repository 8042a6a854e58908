import type { ContainerService } from '../containers/service.js';
import type { ImageStore } from '../images/image-store.js';
import type { Snapshotter } from '../snapshots/snapshotter.js';
import type { VolumeService } from '../volumes/service.js';
import type { BuildCacheEntry } from '../build/cache.js';
import { summaryView } from './container-views.js';
import type { Router } from './router.js';
import { InvalidArgument } from '../../core/errors.js';
import { diskUsageTypes, imageListForVersion } from './versions.js';

/** GET /system/df: images, containers (with their writable layer sizes), volumes, build cache. */
export function systemDfRoute(r: Router, d: { containers: ContainerService; images: ImageStore; snapshotter: Snapshotter; volumes: VolumeService; buildCache: () => BuildCacheEntry[] }): void {
  r.on('GET', '/system/df', async (ctx) => {
    // ?type=container|image|volume|build-cache (repeated): only those sections, as dockerd.
    const types = new Set(diskUsageTypes(ctx.version, ctx.query));
    for (const t of types) if (!['container', 'image', 'volume', 'build-cache'].includes(t)) throw new InvalidArgument(`unknown object type: ${t}`);
    const want = (t: string): boolean => types.size === 0 || types.has(t);
    const recs = d.containers.list();
    const usedBy = new Map<string, number>();
    for (const c of recs) usedBy.set(c.Image, (usedBy.get(c.Image) ?? 0) + 1);
    const images = want('image') ? imageListForVersion(ctx.version, d.images.summary({ all: true }).map((s) => ({ ...s, Containers: usedBy.get(s.Id) ?? 0 }))) : null;
    const layersSize = want('image') ? (await d.images.list()).reduce((a, i) => a + i.size, 0) : 0;
    const containers = want('container') ? await Promise.all(recs.map(async (c) => {
      const rw = (await d.snapshotter.usage(c.Id).catch(() => ({ size: 0 }))).size;
      const img = await d.images.get(c.Image).catch(() => undefined);
      return summaryView(c, { rw, rootFs: rw + (img?.size ?? 0) });
    })) : null;
    const volumes = want('volume') ? await d.volumes.usage() : null;
    ctx.send(200, { LayersSize: layersSize, Images: images, Containers: containers, Volumes: volumes, BuildCache: want('build-cache') ? d.buildCache() : null });
  });
}
