/** `compose logs`: the services' output, each line prefixed with its container (coloured on a terminal). */
import type { ComposeCommand } from '../cli/context.js';
import { sinceUntil } from '../../cli/format.js';
import { LogPrinter, logName } from '../logs.js';
import { api, checkServices, projectContainers } from './common.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose logs',
    usage: '[OPTIONS] [SERVICE...]',
    description: 'View output from containers',
    flags: [
      { name: 'follow', short: 'f', kind: 'bool', help: 'Follow log output' },
      { name: 'tail', short: 'n', kind: 'string', default: 'all', help: 'Number of lines to show from the end of the logs for each container' },
      { name: 'timestamps', short: 't', kind: 'bool', help: 'Show timestamps' },
      { name: 'since', kind: 'string', help: 'Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)' },
      { name: 'until', kind: 'string', help: 'Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)' },
      { name: 'no-color', kind: 'bool', help: 'Produce monochrome output' },
      { name: 'no-log-prefix', kind: 'bool', help: "Don't print prefix in logs" },
      { name: 'index', kind: 'int', help: 'index of the container if service has multiple replicas' },
    ],
  },
  async run(c, p) {
    checkServices(c, p.args);
    const a = api(c);
    let list = await projectContainers(a, c.projectName(), { all: true, services: p.args });
    if (p.has('index')) list = list.filter((ct) => ct.Labels['com.docker.compose.container-number'] === String(p.num('index')));
    const color = (c.out as { isTTY?: boolean }).isTTY === true && !p.bool('no-color') && c.g.ansi !== 'never';
    const printer = new LogPrinter(c.out, list.map(logName), color || c.g.ansi === 'always', !p.bool('no-log-prefix'));
    const { since, until } = sinceUntil(p.str('since'), p.str('until'));
    await Promise.all(list.map(async (ct) => {
      const tty = (await a.inspect(ct.Id)).Config.Tty === true;
      await printer.print(a, ct, { follow: p.bool('follow') || undefined, tail: p.str('tail'), timestamps: p.bool('timestamps') || undefined, since, until }, tty);
    }));
    return 0;
  },
};
