/** `compose exec`: a command in a service's running container (a terminal by default when there is one). */
import type { ComposeCommand } from '../cli/context.js';
import { nameOf } from '../engine/convergence.js';
import { serviceContainer } from './common.js';
import { delegate } from './delegate.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose exec',
    usage: '[OPTIONS] SERVICE COMMAND [ARGS...]',
    description: 'Execute a command in a running container',
    flags: [
      { name: 'detach', short: 'd', kind: 'bool', help: 'Detached mode: Run command in the background' },
      { name: 'env', short: 'e', kind: 'list', type: 'stringArray', help: 'Set environment variables' },
      { name: 'index', kind: 'int', help: 'Index of the container if service has multiple replicas' },
      { name: 'no-TTY', short: 'T', kind: 'bool', help: 'Disable pseudo-TTY allocation. By default `docker compose exec` allocates a TTY.' },
      { name: 'interactive', short: 'i', kind: 'bool', default: true, help: 'Keep STDIN open even if not attached', hidden: true },
      { name: 'tty', short: 't', kind: 'bool', default: true, help: 'Allocate a pseudo-TTY', hidden: true },
      { name: 'privileged', kind: 'bool', help: 'Give extended privileges to the process' },
      { name: 'user', short: 'u', kind: 'string', help: 'Run the command as this user' },
      { name: 'workdir', short: 'w', kind: 'string', help: 'Path to workdir directory for this command' },
    ],
    stopAtPositional: true,
    minArgs: 2,
  },
  async run(c, p) {
    const [service, ...cmd] = p.args as [string, ...string[]];
    const ct = await serviceContainer(c, service, p.has('index') ? p.num('index') : undefined);
    const tty = !p.bool('no-TTY') && p.bool('tty') && c.cli.inIsTerminal && !p.bool('detach');
    const argv = [
      ...(p.bool('detach') ? ['-d'] : []),
      ...(p.bool('interactive') && !p.bool('detach') ? ['-i'] : []),
      ...(tty ? ['-t'] : []),
      ...p.list('env').flatMap((e) => ['-e', e]),
      ...(p.str('user') ? ['-u', p.str('user')] : []),
      ...(p.str('workdir') ? ['-w', p.str('workdir')] : []),
      ...(p.bool('privileged') ? ['--privileged'] : []),
      nameOf(ct),
      ...cmd,
    ];
    return delegate(c, () => import('../../cli/commands/exec.js'), argv);
  },
};
