import type { Command } from '../command.js';
import { println } from '../command.js';
import { ago, humanSize } from '../format.js';
import { marshalFields, renderList } from '../listing.js';
import type { ContainerSummary } from './ps.js';
import { ContainerRow } from './ps.js';
import type { ImageSummary } from './images.js';
import { imageRows } from './images.js';

interface DiskUsage {
  LayersSize?: number;
  Images?: ImageSummary[] | null;
  Containers?: ContainerSummary[] | null;
  Volumes?: { Name: string; UsageData?: { Size: number; RefCount: number } | null }[] | null;
  BuildCache?: { ID: string; Size: number; InUse: boolean; Shared: boolean; CacheType?: string; Description?: string; CreatedAt?: string; LastUsedAt?: string; UsageCount?: number }[] | null;
}

const fields = ['Active', 'Reclaimable', 'Size', 'TotalCount', 'Type'];

class DfRow {
  constructor(
    readonly Type: string,
    readonly TotalCount: string,
    readonly Active: string,
    readonly Size: string,
    readonly Reclaimable: string,
  ) {}
  toJSON(): Record<string, unknown> {
    return marshalFields(this, fields);
  }
}

function pct(reclaimable: number, total: number): string {
  return total > 0 ? `${humanSize(reclaimable)} (${Math.floor((reclaimable * 100) / total)}%)` : humanSize(reclaimable);
}

export function dfRows(du: DiskUsage): DfRow[] {
  const images = du.Images ?? [];
  const containers = du.Containers ?? [];
  const volumes = du.Volumes ?? [];
  const cache = du.BuildCache ?? [];
  const layers = du.LayersSize ?? 0;
  let used = 0;
  for (const i of images) if ((i.Containers ?? 0) > 0 && i.Size !== -1 && i.SharedSize !== -1) used += i.Size - (i.SharedSize ?? 0);
  const cSize = containers.reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const cReclaim = containers.filter((c) => c.State !== 'running' && c.State !== 'paused').reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const vSize = volumes.reduce((a, v) => a + (v.UsageData && v.UsageData.Size !== -1 ? v.UsageData.Size : 0), 0);
  const vReclaim = volumes.filter((v) => v.UsageData?.RefCount === 0).reduce((a, v) => a + (v.UsageData && v.UsageData.Size !== -1 ? v.UsageData.Size : 0), 0);
  const bSize = cache.filter((b) => !b.Shared).reduce((a, b) => a + b.Size, 0);
  const bReclaim = cache.filter((b) => !b.Shared && !b.InUse).reduce((a, b) => a + b.Size, 0);
  return [
    new DfRow('Images', String(images.length), String(images.filter((i) => (i.Containers ?? 0) > 0).length), humanSize(layers), pct(layers - used, layers)),
    new DfRow('Containers', String(containers.length), String(containers.filter((c) => c.State === 'running' || c.State === 'paused').length), humanSize(cSize), pct(cReclaim, cSize)),
    new DfRow('Local Volumes', String(volumes.length), String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), humanSize(vSize), pct(vReclaim, vSize)),
    new DfRow('Build Cache', String(cache.length), String(cache.filter((b) => b.InUse).length), humanSize(bSize), humanSize(bReclaim)),
  ];
}

export const command: Command = {
  spec: {
    name: 'system df',
    usage: '[OPTIONS]',
    description: 'Show minke disk usage',
    flags: [
      { name: 'format', kind: 'string', help: 'Format output using a custom template' },
      { name: 'verbose', short: 'v', kind: 'bool', help: 'Show detailed information on space usage' },
    ],
    maxArgs: 0,
  },
  async run(ctx, p) {
    const du = await ctx.client().get<DiskUsage>('/system/df');
    if (!p.bool('verbose')) {
      const headers = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
      ctx.out.write(renderList({ format: p.str('format'), table: '{{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}', headers }, dfRows(du)));
      return 0;
    }
    println(ctx.out, 'Images space usage:\n');
    const imgs = imageRows(du.Images ?? [], false, true).map((r) => Object.assign(r, {}));
    ctx.out.write(
      renderList(
        {
          format: '',
          table: '{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}',
          headers: { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS' },
        },
        imgs,
      ),
    );
    println(ctx.out, '\nContainers space usage:\n');
    ctx.out.write(
      renderList(
        {
          format: '',
          table: '{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}',
          headers: { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED', Status: 'STATUS', Names: 'NAMES' },
        },
        // docker: "Don't display the virtual size"
        (du.Containers ?? []).map((c) => new ContainerRow({ ...c, SizeRootFs: 0 }, true)),
      ),
    );
    println(ctx.out, '\nLocal Volumes space usage:\n');
    const vols = (du.Volumes ?? []).map((v) => ({ Name: v.Name, Links: String(v.UsageData?.RefCount ?? 0), Size: humanSize(v.UsageData?.Size ?? 0) }));
    ctx.out.write(renderList({ format: '', table: '{{.Name}}\t{{.Links}}\t{{.Size}}', headers: { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' } }, vols));
    const cache = du.BuildCache ?? [];
    println(ctx.out, `\nBuild cache usage: ${humanSize(cache.filter((b) => !b.Shared).reduce((a, b) => a + b.Size, 0))}\n`);
    const since = (t: string | undefined): string => (t ? ago(t) : '');
    const rows = cache.map((b) => ({
      ID: `${b.ID.slice(0, 12)}${b.InUse ? '*' : ''}`,
      CacheType: b.CacheType ?? '',
      Size: humanSize(b.Size, 3),
      CreatedSince: since(b.CreatedAt),
      LastUsedSince: since(b.LastUsedAt),
      UsageCount: String(b.UsageCount ?? 0),
      Shared: String(b.Shared),
    }));
    ctx.out.write(
      renderList(
        {
          format: '',
          table: '{{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}',
          headers: { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' },
        },
        rows,
      ),
    );
    return 0;
  },
};
