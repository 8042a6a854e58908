/** `compose ps`: the project's containers, as compose v2 lists them (table, json, a template, -q, --services). */
import type { ComposeCommand } from '../cli/context.js';
import { StatusError } from '../../cli/flags.js';
import { ago, displayablePorts, ellipsis } from '../../cli/format.js';
import { renderList } from '../../cli/listing.js';
import type { ContainerSummary } from '../engine/api.js';
import { nameOf } from '../engine/convergence.js';
import { LABEL } from '../engine/labels.js';
import { api, checkServices, projectContainers } from './common.js';

const STATES = ['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited'];

/** A row as compose's formatter shows it (the fields of its JSON). */
function row(c: ContainerSummary, trunc: boolean): Record<string, unknown> {
  const cmd = c.Command ?? '';
  const health = /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1]?.replace('health: ', '') ?? '';
  const exit = /^Exited \((\d+)\)/.exec(c.Status);
  return {
    Command: trunc ? JSON.stringify(ellipsis(cmd, 20)) : JSON.stringify(cmd),
    CreatedAt: new Date(c.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
    ExitCode: exit ? Number(exit[1]) : 0,
    Health: health,
    ID: trunc ? c.Id.slice(0, 12) : c.Id,
    Image: c.Image,
    Labels: Object.entries(c.Labels).map(([k, v]) => `${k}=${v}`).join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Type === 'volume').length),
    Mounts: (c.Mounts ?? []).map((m) => m.Name ?? m.Source ?? '').join(','),
    Name: nameOf(c),
    Names: nameOf(c),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    Ports: displayablePorts((c.Ports ?? []) as never),
    Project: c.Labels[LABEL.project] ?? '',
    Publishers: (c.Ports ?? []).map((x) => ({ URL: x.IP ?? '', TargetPort: x.PrivatePort, PublishedPort: x.PublicPort ?? 0, Protocol: x.Type })),
    RunningFor: ago(c.Created),
    Service: c.Labels[LABEL.service] ?? '',
    Size: 0,
    State: c.State,
    Status: c.Status,
  };
}

export const command: ComposeCommand = {
  spec: {
    name: 'compose ps',
    usage: '[OPTIONS] [SERVICE...]',
    description: 'List containers',
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Show all stopped containers (including those created by the run command)' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display IDs' },
      { name: 'services', kind: 'bool', help: 'Display services' },
      { name: 'status', kind: 'list', type: 'stringArray', help: 'Filter services by status. Values: [paused | restarting | removing | running | dead | created | exited]' },
      { name: 'filter', kind: 'string', help: 'Filter services by a property (supported filters: status)' },
      { name: 'format', kind: 'string', default: 'table', help: 'Format output using a custom template:\n\'table\':            Print output in table format with column headers (default)\n\'table TEMPLATE\':   Print output in table format using the given Go template\n\'json\':             Print in JSON format\n\'TEMPLATE\':         Print output using the given Go template.' },
      { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
      { name: 'orphans', kind: 'bool', default: true, help: 'Include orphaned services (not declared by project)' },
    ],
  },
  async run(c, p) {
    checkServices(c, p.args);
    const statuses = [...p.list('status')];
    const filter = p.str('filter');
    if (filter) {
      const m = /^status=(.+)$/.exec(filter);
      if (!m) throw new StatusError(`unknown filter ${filter.split('=')[0]}`, 1);
      statuses.push(m[1]!);
    }
    for (const s of statuses) if (!STATES.includes(s)) throw new StatusError(`invalid filter: status=${s}`, 1);
    const all = p.bool('all') || statuses.length > 0;
    let list = await projectContainers(api(c), c.projectName(), { all, oneoff: p.bool('all'), services: p.args });
    if (statuses.length) list = list.filter((ct) => statuses.includes(ct.State));
    if (p.bool('services')) {
      c.out.write([...new Set(list.map((ct) => ct.Labels[LABEL.service] ?? ''))].map((s) => `${s}\n`).join(''));
      return 0;
    }
    if (p.bool('quiet')) {
      c.out.write(list.map((ct) => `${ct.Id}\n`).join(''));
      return 0;
    }
    const format = p.str('format');
    const rows = list.map((ct) => row(ct, !p.bool('no-trunc')));
    if (format === 'json') {
      c.out.write(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
      return 0;
    }
    c.out.write(renderList({
      format: format === 'table' ? '' : format,
      table: '{{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}',
      headers: { Name: 'NAME', Image: 'IMAGE', Command: 'COMMAND', Service: 'SERVICE', RunningFor: 'CREATED', Status: 'STATUS', Ports: 'PORTS', ID: 'CONTAINER ID', State: 'STATE', Project: 'PROJECT', Health: 'HEALTH', ExitCode: 'EXIT CODE', CreatedAt: 'CREATED AT', Names: 'NAMES', Networks: 'NETWORKS', Labels: 'LABELS', Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE' },
    }, rows));
    return 0;
  },
};
