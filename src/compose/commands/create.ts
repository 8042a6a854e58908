/** `compose create`: the services' containers (and networks, volumes, images) made, not started. */
import type { ComposeCommand } from '../cli/context.js';
import { createProject } from '../engine/up.js';
import { api, selectServices, withProgress } from './common.js';
import { createFlags, createOptions } from './up.js';

export const command: ComposeCommand = {
  spec: { name: 'compose create', usage: '[OPTIONS] [SERVICE...]', description: 'Creates containers for a service', flags: createFlags },
  async run(c, p) {
    const full = c.project(p.args);
    const selected = selectServices(full, p.args);
    const o = createOptions(c, p, p.args);
    await withProgress(c, (progress) => createProject(api(c), full, selected, o, progress, (m) => c.warn(m)), 'Creating');
    return 0;
  },
};
