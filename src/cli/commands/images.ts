import type { Command } from '../command.js';
import { encodeFilters } from '../client.js';
import { ago, goTime, humanSize, shortId } from '../format.js';
import { marshalFields, renderList } from '../listing.js';
import { goType } from '../template.js';
import { familiar } from '../reference.js';

export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
  VirtualSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

const fields = ['Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize', 'VirtualSize'];

/** formatter.imageContext */
export class ImageRow {
  get [goType](): string {
    return '*formatter.imageContext';
  }
  constructor(
    private i: ImageSummary,
    readonly Repository: string,
    readonly Tag: string,
    readonly Digest: string,
    private trunc: boolean,
  ) {}
  get ID(): string {
    return this.trunc ? shortId(this.i.Id) : this.i.Id;
  }
  get CreatedSince(): string {
    return ago(this.i.Created);
  }
  get CreatedAt(): string {
    return goTime(this.i.Created);
  }
  get Size(): string {
    return humanSize(this.i.Size, 3);
  }
  get VirtualSize(): string {
    return humanSize(this.i.Size, 4);
  }
  get SharedSize(): string {
    return this.i.SharedSize === undefined || this.i.SharedSize === -1 ? 'N/A' : humanSize(this.i.SharedSize, 3);
  }
  get UniqueSize(): string {
    return this.i.SharedSize === undefined || this.i.SharedSize === -1 ? 'N/A' : humanSize(this.i.Size - this.i.SharedSize, 3);
  }
  get Containers(): string {
    return this.i.Containers === undefined || this.i.Containers === -1 ? 'N/A' : String(this.i.Containers);
  }
  toJSON(): Record<string, unknown> {
    return marshalFields(this, fields);
  }
}

function splitRef(ref: string, sep: string): [string, string] {
  const i = sep === '@' ? ref.indexOf('@') : ref.lastIndexOf(':');
  if (i < 0 || (sep === ':' && ref.slice(i).includes('/'))) return [ref, ''];
  return [ref.slice(0, i), ref.slice(i + 1)];
}

/** imageFormatTaggedAndDigest: one row per repository:tag (and per digest with --digests). */
export function imageRows(images: ImageSummary[], digests: boolean, trunc: boolean): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const dgs = (img.RepoDigests ?? []).filter((t) => t !== '<none>@<none>');
    if (!tags.length && !dgs.length) {
      rows.push(new ImageRow(img, '<none>', '<none>', '<none>', trunc));
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const t of tags) {
      const [repo, tag] = splitRef(t, ':');
      if (!tag) continue;
      const r = familiar(repo);
      repoTags.set(r, [...(repoTags.get(r) ?? []), tag]);
    }
    for (const t of dgs) {
      const [repo, dg] = splitRef(t, '@');
      if (!dg) continue;
      const r = familiar(repo);
      repoDigests.set(r, [...(repoDigests.get(r) ?? []), dg]);
    }
    for (const [repo, ts] of repoTags) {
      const ds = digests ? (repoDigests.get(repo) ?? []) : [];
      repoDigests.delete(repo);
      for (const tag of ts) {
        if (!ds.length) rows.push(new ImageRow(img, repo, tag, '<none>', trunc));
        for (const d of ds) rows.push(new ImageRow(img, repo, tag, d, trunc));
      }
    }
    for (const [repo, ds] of repoDigests) {
      if (digests) for (const d of ds) rows.push(new ImageRow(img, repo, '<none>', d, trunc));
      else rows.push(new ImageRow(img, repo, '<none>', '', trunc));
    }
  }
  return rows;
}

export const imageHeaders = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'VIRTUAL SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

export const command: Command = {
  spec: {
    name: 'images',
    usage: '[OPTIONS] [REPOSITORY[:TAG]]',
    description: 'List images',
    aliases: ['image ls', 'image list', 'images'],
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Show all images (default hides intermediate images)' },
      { name: 'digests', kind: 'bool', help: 'Show digests' },
      { name: 'filter', short: 'f', kind: 'list', type: 'filter', help: 'Filter output based on conditions provided' },
      { name: 'format', kind: 'string', help: 'Format output using a custom template' },
      { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only show image IDs' },
      { name: 'tree', kind: 'bool', help: 'List multi-platform images as a tree (EXPERIMENTAL)', hidden: true },
    ],
    maxArgs: 1,
  },
  async run(ctx, p) {
    const filters = [...p.list('filter')];
    if (p.args[0]) filters.push(`reference=${p.args[0]}`);
    const images = await ctx.client().get<ImageSummary[]>('/images/json', { all: p.bool('all') || undefined, filters: encodeFilters(filters), digests: true });
    const digests = p.bool('digests') || /\{\{\s*\.Digest\s*\}\}/.test(p.str('format'));
    const rows = imageRows(images, digests, !p.bool('no-trunc'));
    const table = p.bool('digests')
      ? '{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
      : '{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
    ctx.out.write(renderList({ format: p.str('format'), table, quietMode: p.bool('quiet'), headers: imageHeaders }, rows));
    return 0;
  },
};
