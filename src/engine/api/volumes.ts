import { InvalidArgument } from '../../core/errors.js';
import type { CreateVolumeRequest, VolumeService } from '../volumes/service.js';
import { normaliseFilters } from './container-views.js';
import type { Router } from './router.js';
import { VOLUME_CREATE } from './body-types.js';

/** The Engine API's volume routes (GET/POST /volumes..., DELETE /volumes/{name}). */
export function volumeRoutes(r: Router, volumes: VolumeService): void {
  r.on('GET', '/volumes', (ctx) => {
    const filters = normaliseFilters(ctx.jsonQuery('filters'));
    ctx.send(200, { Volumes: volumes.list(filters), Warnings: null });
  });

  r.on('POST', '/volumes/create', async (ctx) => {
    const body = await ctx.bodyOf<CreateVolumeRequest & { ClusterVolumeSpec: object }>(VOLUME_CREATE);
    if (body.ClusterVolumeSpec) throw new InvalidArgument('cluster volumes are only supported in swarm mode');
    ctx.send(201, await volumes.create(body));
  });

  r.on('POST', '/volumes/prune', async (ctx) => {
    const filters = normaliseFilters(ctx.jsonQuery('filters'));
    // Before API 1.42 a prune considered every unused volume, not only anonymous ones.
    if (!ctx.versionAtLeast('1.42') && !filters.all) filters.all = ['true'];
    ctx.send(200, await volumes.prune(filters));
  });

  r.on('GET', '/volumes/:name', (ctx) => {
    ctx.send(200, volumes.get(ctx.param('name')));
  });

  r.on('DELETE', '/volumes/:name', async (ctx) => {
    await volumes.remove(ctx.param('name'), { force: ctx.flag('force') });
    ctx.noContent();
  });
}
