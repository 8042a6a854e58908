import type { Command } from '../command.js';
import { encodeFilters } from '../client.js';
import { humanSize } from '../format.js';
import { marshalFields, renderList } from '../listing.js';
import { goType } from '../template.js';

export interface VolumeSummary {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Scope?: string;
  Labels?: Record<string, string> | null;
  UsageData?: { Size: number; RefCount: number } | null;
}

const fields = ['Availability', 'Driver', 'Group', 'Labels', 'Links', 'Mountpoint', 'Name', 'Scope', 'Size', 'Status'];

/** formatter.volumeContext */
export class VolumeRow {
  get [goType](): string {
    return '*formatter.volumeContext';
  }
  constructor(private readonly v: VolumeSummary) {}
  get Name(): string {
    return this.v.Name;
  }
  get Driver(): string {
    return this.v.Driver;
  }
  get Scope(): string {
    return this.v.Scope ?? '';
  }
  get Mountpoint(): string {
    return this.v.Mountpoint;
  }
  get Labels(): string {
    const l = this.v.Labels;
    if (!l) return '';
    return Object.keys(l).sort().map((k) => `${k}=${l[k]}`).join(',');
  }
  Label(name: unknown): string {
    return (this.v.Labels ?? {})[String(name)] ?? '';
  }
  get Links(): string {
    return this.v.UsageData ? String(this.v.UsageData.RefCount) : 'N/A';
  }
  get Size(): string {
    return this.v.UsageData ? humanSize(this.v.UsageData.Size) : 'N/A';
  }
  get Group(): string {
    return 'N/A';
  }
  get Availability(): string {
    return 'N/A';
  }
  get Status(): string {
    return 'N/A';
  }
  toJSON(): Record<string, unknown> {
    return marshalFields(this, fields);
  }
}

/** sortorder.NaturalLess: digit runs compare as numbers. */
export function naturalLess(a: string, b: string): boolean {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = BigInt(x);
      const ny = BigInt(y);
      if (nx !== ny) return nx < ny;
      return x.length < y.length;
    }
    return x < y;
  }
  return pa.length < pb.length;
}

export const command: Command = {
  spec: {
    name: 'volume ls',
    usage: '[OPTIONS]',
    description: 'List volumes',
    aliases: ['volume ls', 'volume list'],
    flags: [
      { name: 'cluster', kind: 'bool', help: 'Display only cluster volumes, and use cluster volume list formatting', hidden: true },
      { name: 'filter', short: 'f', kind: 'list', type: 'filter', help: 'Provide filter values (e.g. "dangling=true")' },
      { name: 'format', kind: 'string', help: 'Format output using a custom template' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display volume names' },
    ],
    maxArgs: 0,
  },
  async run(ctx, p) {
    const r = await ctx.client().get<{ Volumes?: VolumeSummary[] | null }>('/volumes', { filters: encodeFilters(p.list('filter')) });
    const vols = [...(r.Volumes ?? [])].sort((a, b) => (naturalLess(a.Name, b.Name) ? -1 : naturalLess(b.Name, a.Name) ? 1 : 0));
    ctx.out.write(
      renderList(
        {
          format: p.str('format'),
          table: '{{.Driver}}\t{{.Name}}',
          quiet: '{{.Name}}',
          quietMode: p.bool('quiet'),
          headers: { Driver: 'DRIVER', Name: 'VOLUME NAME', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE', Group: 'GROUP', Availability: 'AVAILABILITY', Status: 'STATUS' },
        },
        vols.map((v) => new VolumeRow(v)),
      ),
    );
    return 0;
  },
};
