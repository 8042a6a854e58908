import { InvalidArgument, NotFound, messageOf } from '../../core/errors.js';
import { importImage } from '../archive/import.js';
import { loadImages } from '../archive/load.js';
import { saveImages } from '../archive/save.js';
import { parseFilters } from '../images/filters.js';
import type { ImageStore } from '../images/image-store.js';
import { familiar } from '../images/references.js';
import { chainIds } from '../snapshots/chain.js';
import type { DirSnapshotter } from '../snapshots/snapshotter.js';
import type { ApiContext, Router } from './router.js';
import { handlePull, handlePush, type DistributionRouteDeps } from './distribution.js';
import { writeOut } from './streams.js';
import type { EventBus } from '../events.js';
import { imageInspectForVersion, imageListForVersion, importPlatform } from './versions.js';

export interface ImageRoutesDeps {
  images: ImageStore;
  snapshotter: DirSnapshotter;
  events: EventBus;
  /** Pulls and pushes (api/distribution.ts). */
  registry: DistributionRouteDeps;
}

/** docker's `repo` + `tag` query pair as one reference (`tag` may be empty). */
function refOf(repo: string | null, tag: string | null): string | undefined {
  if (!repo) return undefined;
  return tag ? `${repo}:${tag}` : repo;
}

/** Docker's JSON progress stream: one object per line. */
function progress(ctx: ApiContext): { line: (o: Record<string, unknown>) => void; end: () => void } {
  const res = ctx.stream('application/json');
  return {
    line: (o) => res.write(JSON.stringify(o) + '\r\n'),
    end: () => res.end(),
  };
}

export function imageRoutes(r: Router, d: ImageRoutesDeps): void {
  const { images } = d;

  r.on('GET', '/images/json', (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    ctx.send(200, imageListForVersion(ctx.version, images.summary({ filters, all: ctx.flag('all') })));
  });

  r.on('POST', '/images/create', async (ctx) => {
    const fromSrc = ctx.query.get('fromSrc');
    const fromImage = ctx.query.get('fromImage');
    if (fromSrc !== null) {
      if (fromSrc !== '-') throw new InvalidArgument(`importing from a URL is not supported here: ${fromSrc} (pass the tar on stdin)`);
      const ref = refOf(ctx.query.get('repo'), ctx.query.get('tag'));
      const platform = importPlatform(ctx.version, ctx.query);
      const img = await importImage(d, ctx.bodyStream() as AsyncIterable<Buffer>, {
        ref,
        message: ctx.query.get('message') ?? undefined,
        changes: ctx.query.getAll('changes'),
        origin: '-',
        platform,
      });
      d.events.publish('image', 'import', img.id, { name: img.repoTags[0] ?? img.id });
      const p = progress(ctx);
      p.line({ status: img.id });
      p.end();
      return;
    }
    if (fromImage) {
      await handlePull(ctx, d.registry, fromImage);
      return;
    }
    throw new InvalidArgument('fromImage or fromSrc is required');
  });

  r.on('POST', '/images/load', async (ctx) => {
    // As dockerd: quiet unless asked otherwise, and a failed load is told in the 200 stream.
    const quiet = ctx.query.get('quiet') === null ? true : ctx.flag('quiet');
    const res = ctx.res!;
    const lines: string[] = [];
    let failure: string | undefined;
    try {
      const result = await loadImages(d, ctx.bodyStream() as AsyncIterable<Buffer>, { onLine: (l) => lines.push(l) });
      for (const img of result.images) d.events.publish('image', 'load', img.id, { name: img.repoTags[0] ?? img.id });
    } catch (err) {
      failure = messageOf(err);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    for (const l of lines) {
      if (!quiet || l.startsWith('Loaded')) res.write(JSON.stringify({ stream: `${l}\n` }) + '\r\n');
    }
    if (failure !== undefined) res.write(JSON.stringify({ errorDetail: { message: failure }, error: failure }) + '\r\n');
    res.end();
  });

  r.on('GET', '/images/get', async (ctx) => {
    const names = ctx.query.getAll('names');
    await save(ctx, names);
  });

  r.on('POST', '/images/prune', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    const all = filters.get('dangling')?.some((v) => ['false', '0'].includes(v.toLowerCase())) ?? false;
    const deleted: Array<Record<string, string>> = [];
    // As dockerd: the space reclaimed is that of the layers that went, not of every image's
    // layers (a layer another image keeps is still there).
    const layerSize = new Map<string, number>();
    let space = 0;
    for (const img of images.pruneCandidates(filters, all)) {
      const sizes = img.layerSizes ?? img.layers.map((l) => l.size);
      chainIds(img.config.rootfs.diff_ids).forEach((c, i) => layerSize.set(c, sizes[i] ?? 0));
      try {
        const items = await images.remove(img.id, { force: false, prune: true });
        deleted.push(...(items as Array<Record<string, string>>));
        for (const item of items) if ('Deleted' in item && item.Deleted) space += layerSize.get(item.Deleted) ?? 0;
      } catch {
        // an image that became used or has children is kept, as docker does
      }
    }
    ctx.send(200, { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space });
  });

  // Image names contain slashes: /images/{name}/json, /images/{name}/history, ...
  r.on(['GET', 'POST', 'DELETE'], '/images/*', async (ctx) => {
    const rest = ctx.param('*');
    const method = ctx.req.method;
    if (method === 'DELETE') {
      // dockerd's untag events name the image by its ID.
      const removedId = (await images.get(rest)).id;
      const items = await images.remove(rest, { force: ctx.flag('force'), prune: !ctx.flag('noprune') });
      for (const it of items) {
        if ('Untagged' in it) d.events.publish('image', 'untag', removedId, { name: removedId });
        else d.events.publish('image', 'delete', it.Deleted, { name: it.Deleted });
      }
      ctx.send(200, items);
      return;
    }
    const slash = rest.lastIndexOf('/');
    const name = rest.slice(0, slash);
    const action = rest.slice(slash + 1);
    if (slash < 0 || !name) throw new NotFound('page not found');
    if (method === 'GET' && action === 'json') {
      const view = await images.inspect(name);
      imageInspectForVersion(ctx.version, view);
      ctx.send(200, view);
    } else if (method === 'GET' && action === 'history') {
      ctx.send(200, await images.history(name));
    } else if (method === 'GET' && action === 'get') {
      await save(ctx, [name]);
    } else if (method === 'POST' && action === 'tag') {
      const repo = ctx.query.get('repo');
      if (!repo) throw new InvalidArgument('repository name must have at least one component');
      const target = refOf(repo, ctx.query.get('tag'))!;
      if (familiar(repo) === 'sha256') throw new InvalidArgument('refusing to create an ambiguous tag using digest algorithm as name');
      await images.tag(name, target);
      d.events.publish('image', 'tag', (await images.get(name)).id, { name: familiar(target) });
      ctx.send(201);
    } else if (method === 'POST' && action === 'push') {
      await handlePush(ctx, d.registry, name);
    } else {
      throw new NotFound('page not found');
    }
  });

  async function save(ctx: ApiContext, names: string[]): Promise<void> {
    if (names.length === 0) throw new InvalidArgument('no images specified');
    // one save event per image written, named as the archive names it
    const stream = await saveImages(images, names, ({ image, refs }) => {
      d.events.publish('image', 'save', image.id, { name: refs[0] ? familiar(refs[0]) : image.id });
    });
    const res = ctx.stream('application/x-tar');
    for await (const chunk of stream) {
      if (!(await writeOut(res, chunk))) return;
    }
    res.end();
  }
}
