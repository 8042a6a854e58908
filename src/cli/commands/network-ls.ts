import type { Command } from '../command.js';
import { encodeFilters } from '../client.js';
import { formatHelp } from '../flags.js';
import { goTimeText, naturalLess, shortId } from '../format.js';
import { marshalFields, renderList } from '../listing.js';
import { goType } from '../template.js';

export interface NetworkSummary {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}

const fields = ['CreatedAt', 'Driver', 'ID', 'IPv4', 'IPv6', 'Internal', 'Labels', 'Name', 'Scope'];

/** docker's networkContext: what `network ls --format` sees. */
export class NetworkRow {
  get [goType](): string {
    return '*network.networkContext';
  }
  constructor(
    private n: NetworkSummary,
    private trunc: boolean,
  ) {}
  get ID(): string {
    return this.trunc ? shortId(this.n.Id) : this.n.Id;
  }
  get Name(): string {
    return this.n.Name;
  }
  get Driver(): string {
    return this.n.Driver;
  }
  get Scope(): string {
    return this.n.Scope;
  }
  get IPv4(): string {
    return String(this.n.EnableIPv4 ?? false);
  }
  get IPv6(): string {
    return String(this.n.EnableIPv6 ?? false);
  }
  get Internal(): string {
    return String(this.n.Internal ?? false);
  }
  /** docker joins a Go map here, in no set order; sorted keeps it stable */
  get Labels(): string {
    const l = this.n.Labels ?? {};
    return Object.keys(l).sort().map((k) => `${k}=${l[k]}`).join(',');
  }
  Label(name: unknown): string {
    return (this.n.Labels ?? {})[String(name)] ?? '';
  }
  get CreatedAt(): string {
    return goTimeText(this.n.Created);
  }
  toJSON(): Record<string, unknown> {
    return marshalFields(this, fields);
  }
}

const headers = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  Label: 'LABEL',
  CreatedAt: 'CREATED AT',
};

export const command: Command = {
  spec: {
    name: 'network ls',
    usage: '[OPTIONS]',
    description: 'List networks',
    aliases: ['network ls', 'network list'],
    flags: [
      { name: 'filter', short: 'f', kind: 'list', type: 'filter', help: 'Provide filter values (e.g. "driver=bridge")' },
      { name: 'format', kind: 'string', help: formatHelp },
      { name: 'no-trunc', kind: 'bool', help: 'Do not truncate the output' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display network IDs' },
    ],
    maxArgs: 0,
  },
  async run(ctx, p) {
    const list = await ctx.client().get<NetworkSummary[]>('/networks', { filters: encodeFilters(p.list('filter')) });
    list.sort((a, b) => (naturalLess(a.Name, b.Name) ? -1 : naturalLess(b.Name, a.Name) ? 1 : 0));
    const quiet = p.bool('quiet');
    let format = p.str('format');
    if (format === 'raw') format = quiet ? 'network_id: {{.ID}}' : 'network_id: {{.ID}}\nname: {{.Name}}\ndriver: {{.Driver}}\nscope: {{.Scope}}\n';
    const rows = list.map((n) => new NetworkRow(n, !p.bool('no-trunc')));
    ctx.out.write(renderList({ format, table: '{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}', quietMode: quiet, headers }, rows));
    return 0;
  },
};
