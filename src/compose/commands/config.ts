/** `compose config`: the project normalised, or its service, volume, profile or image names. */
import type { ComposeCommand } from '../cli/context.js';
import { configText } from '../config-output.js';
import { StatusError } from '../../cli/flags.js';
import { imageName } from '../engine/names.js';
import { writeFileSync } from 'node:fs';

export const command: ComposeCommand = {
  spec: {
    name: 'compose config',
    usage: '[OPTIONS] [SERVICE...]',
    description: 'Parse, resolve and render compose file in canonical format',
    flags: [
      { name: 'format', kind: 'string', default: 'yaml', help: 'Format the output. Values: [yaml | json]' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only validate the configuration, don\'t print anything' },
      { name: 'services', kind: 'bool', help: 'Print the service names, one per line' },
      { name: 'volumes', kind: 'bool', help: 'Print the volume names, one per line' },
      { name: 'networks', kind: 'bool', help: 'Print the network names, one per line' },
      { name: 'profiles', kind: 'bool', help: 'Print the profile names, one per line' },
      { name: 'images', kind: 'bool', help: 'Print the image names, one per line' },
      { name: 'output', short: 'o', kind: 'string', help: 'Save to file (default to stdout)' },
      { name: 'no-interpolate', kind: 'bool', help: 'Don\'t interpolate environment variables', hidden: true },
    ],
  },
  async run(c, p) {
    const format = p.str('format');
    if (format !== 'yaml' && format !== 'json') throw new StatusError(`unsupported format "${format}"`, 1);
    const project = c.project(p.args);
    if (p.args.length) {
      for (const name of Object.keys(project.services)) if (!p.args.includes(name)) delete project.services[name];
    }
    let text: string;
    if (p.bool('services')) text = lines(Object.keys(project.services).sort());
    else if (p.bool('volumes')) text = lines(Object.keys(project.volumes).sort());
    else if (p.bool('networks')) text = lines(Object.keys(project.networks).sort());
    else if (p.bool('profiles')) text = lines([...new Set([...Object.values(project.services), ...Object.values(project.disabled)].flatMap((s) => s.profiles ?? []))].sort());
    else if (p.bool('images')) text = lines(Object.values(project.services).map((s) => imageName(project.name, s)).sort());
    else text = configText(project, format);
    if (p.bool('quiet')) return 0;
    if (p.str('output')) writeFileSync(p.str('output'), text);
    else c.out.write(text);
    return 0;
  },
};

function lines(items: string[]): string {
  return items.map((i) => `${i}\n`).join('');
}
