/** `compose images`: the images the project's containers run. */
import type { ComposeCommand } from '../cli/context.js';
import { humanSize, tabwrite } from '../../cli/format.js';
import { splitTag } from '../../cli/reference.js';
import { nameOf } from '../engine/convergence.js';
import { api, checkServices, projectContainers } from './common.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose images',
    usage: '[OPTIONS] [SERVICE...]',
    description: 'List images used by the created containers',
    flags: [
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display IDs' },
      { name: 'format', kind: 'string', default: 'table', help: 'Format the output. Values: [table | json]' },
    ],
  },
  async run(c, p) {
    checkServices(c, p.args);
    const a = api(c);
    const list = await projectContainers(a, c.projectName(), { services: p.args });
    const rows = await Promise.all(list.map(async (ct) => {
      const img = await a.image(ct.ImageID ?? ct.Image);
      const ref = img?.RepoTags?.[0] ?? ct.Image;
      const { repo, tag } = splitTag(ref);
      return { ContainerName: nameOf(ct), Repository: repo, Tag: tag || 'latest', ID: (img?.Id ?? '').replace(/^sha256:/, ''), Size: img?.Size ?? 0, Created: img?.Created };
    }));
    if (p.bool('quiet')) {
      c.out.write([...new Set(rows.map((r) => r.ID))].map((id) => `${id}\n`).join(''));
      return 0;
    }
    if (p.str('format') === 'json') {
      c.out.write(`${JSON.stringify(rows)}\n`);
      return 0;
    }
    const lines = rows.map((r) => [r.ContainerName, r.Repository, r.Tag, r.ID.slice(0, 12), humanSize(r.Size)].join('\t'));
    c.out.write(tabwrite(`CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE\n${lines.map((l) => `${l}\n`).join('')}`));
    return 0;
  },
};
