import type { ContainerService } from '../containers/service.js';
import type { ImageStore } from '../images/image-store.js';
import type { Snapshotter } from '../snapshots/snapshotter.js';
import { summaryView } from './container-views.js';
import type { Router } from './router.js';

/** GET /system/df: images, containers (with their writable layer sizes), volumes, build cache. */
export function systemDfRoute(r: Router, d: { containers: ContainerService; images: ImageStore; snapshotter: Snapshotter }): void {
  r.on('GET', '/system/df', async (ctx) => {
    const recs = d.containers.list();
    const usedBy = new Map<string, number>();
    for (const c of recs) usedBy.set(c.Image, (usedBy.get(c.Image) ?? 0) + 1);
    const images = d.images.summary({ all: true }).map((s) => ({ ...s, Containers: usedBy.get(s.Id) ?? 0 }));
    const layersSize = (await d.images.list()).reduce((a, i) => a + i.size, 0);
    const containers = await Promise.all(recs.map(async (c) => {
      const rw = (await d.snapshotter.usage(c.Id).catch(() => ({ size: 0 }))).size;
      const img = await d.images.get(c.Image).catch(() => undefined);
      return summaryView(c, { rw, rootFs: rw + (img?.size ?? 0) });
    }));
    ctx.send(200, { LayersSize: layersSize, Images: images, Containers: containers, Volumes: [], BuildCache: [] });
  });
}

/**
 * The prune endpoints `docker system prune` calls besides containers and images. This engine has
 * no user-defined networks, named volumes or build cache yet, so there is never anything to
 * delete; when those arrive, their services answer these routes instead.
 */
export function emptyPruneRoutes(r: Router): void {
  r.on('POST', '/volumes/prune', (ctx) => ctx.send(200, { VolumesDeleted: null, SpaceReclaimed: 0 }));
  r.on('POST', '/build/prune', (ctx) => ctx.send(200, { CachesDeleted: null, SpaceReclaimed: 0 }));
}
