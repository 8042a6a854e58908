import type { Command } from '../command.js';
import { encodeFilters } from '../client.js';
import type { ApiPort } from '../format.js';
import { ago, displayablePorts, ellipsis, goTime, humanSize, shortId } from '../format.js';
import { StatusError } from '../flags.js';
import { marshalFields, renderList } from '../listing.js';
import { goType, Template, TemplateError } from '../template.js';

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: ApiPort[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  Mounts?: { Name?: string; Source?: string; Driver?: string }[] | null;
  ImageManifestDescriptor?: { platform?: OciPlatform | null } | null;
}

interface OciPlatform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

/** formatter.Platform: JSON as the OCI platform, printed as platforms.FormatAll does. */
class Platform {
  constructor(private p: OciPlatform) {}
  toString(): string {
    const os = this.p['os.version'] ? `${this.p.os}(${this.p['os.version']})` : this.p.os;
    return [os, this.p.architecture, this.p.variant].filter(Boolean).join('/');
  }
  toJSON(): OciPlatform {
    return this.p;
  }
}

const fields = ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Platform', 'Ports', 'RunningFor', 'Size', 'State', 'Status'];

/** formatter.ContainerContext */
export class ContainerRow {
  get [goType](): string {
    return '*formatter.ContainerContext';
  }
  constructor(
    private c: ContainerSummary,
    private trunc: boolean,
  ) {}
  get ID(): string {
    return this.trunc ? shortId(this.c.Id) : this.c.Id;
  }
  get Names(): string {
    let names = (this.c.Names ?? []).map((n) => n.replace(/^\//, ''));
    if (this.trunc) {
      const plain = names.find((n) => !n.includes('/'));
      if (plain !== undefined) names = [plain];
    }
    return names.join(',');
  }
  get Image(): string {
    const img = this.c.Image;
    if (!img) return '<no image>';
    if (this.trunc) {
      if (this.c.ImageID && shortId(this.c.ImageID) === shortId(img)) return shortId(img);
      const at = img.indexOf('@');
      if (at >= 0) return img.slice(0, at);
    }
    return img;
  }
  get Command(): string {
    return JSON.stringify(this.trunc ? ellipsis(this.c.Command, 20) : this.c.Command);
  }
  get CreatedAt(): string {
    return goTime(this.c.Created);
  }
  get RunningFor(): string {
    return ago(this.c.Created);
  }
  get Ports(): string {
    return displayablePorts(this.c.Ports ?? []);
  }
  get State(): string {
    return this.c.State;
  }
  get Status(): string {
    return this.c.Status;
  }
  get Size(): string {
    if (this.c.SizeRw === undefined && this.c.SizeRootFs === undefined) return '0B';
    const srw = humanSize(this.c.SizeRw ?? 0, 3);
    const sv = humanSize(this.c.SizeRootFs ?? 0, 3);
    return (this.c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${sv})` : srw;
  }
  get Labels(): string {
    const l = this.c.Labels ?? {};
    return Object.keys(l).sort().map((k) => `${k}=${l[k]}`).join(',');
  }
  Label(name: unknown): string {
    return (this.c.Labels ?? {})[String(name)] ?? '';
  }
  get Mounts(): string {
    return (this.c.Mounts ?? []).map((m) => {
      const name = m.Name || m.Source || '';
      return this.trunc ? ellipsis(name, 15) : name;
    }).join(',');
  }
  get LocalVolumes(): string {
    return String((this.c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
  }
  get Platform(): Platform | null {
    const p = this.c.ImageManifestDescriptor?.platform;
    return p ? new Platform(p) : null;
  }
  get Networks(): string {
    return Object.keys(this.c.NetworkSettings?.Networks ?? {}).sort().join(',');
  }
  toJSON(): Record<string, unknown> {
    return marshalFields(this, fields);
  }
}

export const containerHeaders = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Label: 'LABEL',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};

/** docker ps checks its --format against an empty container before asking for the list. */
function validateTemplate(format: string): void {
  let tmpl: Template;
  try {
    tmpl = new Template(format);
  } catch (e) {
    throw new StatusError(`failed to parse template: ${e instanceof TemplateError ? e.goMessage : (e as Error).message}`, 1);
  }
  const empty: ContainerSummary = { Id: '', Names: [], Image: '', ImageID: '', Command: '', Created: 0, Ports: [], Labels: {}, State: '', Status: '' };
  try {
    tmpl.execute(new ContainerRow(empty, true));
  } catch (e) {
    if (e instanceof TemplateError) throw new StatusError(`failed to execute template: ${e.goMessage}`, 1);
  }
}

export const command: Command = {
  spec: {
    name: 'ps',
    usage: '[OPTIONS]',
    description: 'List containers',
    aliases: ['container ls', 'container list', 'container ps', 'ps'],
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Show all containers (default shows just running)' },
      { name: 'filter', short: 'f', kind: 'list', type: 'filter', help: 'Filter output based on conditions provided' },
      { name: 'format', kind: 'string', help: 'Format output using a custom template' },
      { name: 'last', short: 'n', kind: 'int', help: 'Show n last created containers (includes all states)', default: -1 },
      { name: 'latest', short: 'l', kind: 'bool', help: 'Show the latest created container (includes all states)' },
      { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display container IDs' },
      { name: 'size', short: 's', kind: 'bool', help: 'Display total file sizes' },
    ],
    maxArgs: 0,
  },
  async run(ctx, p) {
    const format = p.str('format');
    if (format) validateTemplate(format);
    let limit = p.num('last');
    if (p.bool('latest') && limit === -1) limit = 1;
    // docker asks for sizes when -s says so, else when the template uses them (`{{json .}}` does)
    const templateSize = /\.Size\b/.test(format) || /\{\{-?\s*json\s+\.\s*-?\}\}/.test(format);
    const size = p.has('size') ? p.bool('size') : !!format && !p.bool('quiet') && templateSize;
    const list = await ctx.client().get<ContainerSummary[]>('/containers/json', {
      all: p.bool('all') || limit !== -1 || undefined,
      limit: limit > 0 ? limit : undefined,
      size: size || undefined,
      filters: encodeFilters(p.list('filter')),
    });
    const rows = list.map((c) => new ContainerRow(c, !p.bool('no-trunc')));
    let table = '{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
    if (p.bool('size')) table += '\t{{.Size}}';
    ctx.out.write(renderList({ format, table, quietMode: p.bool('quiet'), headers: containerHeaders }, rows));
    return 0;
  },
};
