/** `compose ls`: the projects the engine's containers belong to, with their state and files. */
import type { ComposeCommand } from '../cli/context.js';
import { StatusError } from '../../cli/flags.js';
import { tabwrite } from '../../cli/format.js';
import { LABEL } from '../engine/labels.js';
import { api } from './common.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose ls',
    usage: '[OPTIONS]',
    description: 'List running compose projects',
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Show all stopped Compose projects' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display project names.' },
      { name: 'format', kind: 'string', default: 'table', help: 'Format the output. Values: [table | json]' },
      { name: 'filter', kind: 'list', type: 'filter', help: 'Filter output based on conditions provided' },
    ],
    maxArgs: 0,
  },
  async run(c, p) {
    const list = await api(c).containers(JSON.stringify({ label: [LABEL.project] }), p.bool('all'));
    const projects = new Map<string, { states: Map<string, number>; files: string }>();
    for (const ct of list) {
      const name = ct.Labels[LABEL.project]!;
      const e = projects.get(name) ?? { states: new Map<string, number>(), files: ct.Labels[LABEL.configFiles] ?? '' };
      e.states.set(ct.State, (e.states.get(ct.State) ?? 0) + 1);
      projects.set(name, e);
    }
    let names = [...projects.keys()].sort();
    for (const f of p.list('filter')) {
      const [k, v = ''] = f.split('=');
      if (k !== 'name') throw new StatusError(`invalid filter '${k}'`, 1);
      names = names.filter((n) => n.includes(v));
    }
    const status = (n: string): string => [...projects.get(n)!.states].sort().map(([s, k]) => `${s}(${k})`).join(', ');
    if (p.bool('quiet')) c.out.write(names.map((n) => `${n}\n`).join(''));
    else if (p.str('format') === 'json') c.out.write(`${JSON.stringify(names.map((n) => ({ Name: n, Status: status(n), ConfigFiles: projects.get(n)!.files })))}\n`);
    else c.out.write(tabwrite(`NAME\tSTATUS\tCONFIG FILES\n${names.map((n) => `${n}\t${status(n)}\t${projects.get(n)!.files}\n`).join('')}`));
    return 0;
  },
};
