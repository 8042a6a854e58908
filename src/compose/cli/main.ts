/**
 * `minke compose` (and `docker compose` through the plugin): compose's global flags, then one
 * lazily loaded subcommand. Errors are printed as compose prints them, exit 1 (usage errors as
 * the minke CLI's).
 */
import type { Command, Ctx } from '../../cli/command.js';
import { checkArgs, helpText, parseFlags, type FlagSpec } from '../../cli/flags.js';
import { ComposeCtx, type ComposeCommand, type Globals } from './context.js';

type Loader = () => Promise<{ command: ComposeCommand }>;

const commands: Record<string, [Loader, string]> = {
  build: [() => import('../commands/build.js'), 'Build or rebuild services'],
  cp: [() => import('../commands/cp.js'), 'Copy files/folders between a service container and the local filesystem'],
  create: [() => import('../commands/create.js'), 'Creates containers for a service'],
  events: [() => import('../commands/events.js'), 'Receive real time events from containers'],
  exec: [() => import('../commands/exec.js'), 'Execute a command in a running container'],
  images: [() => import('../commands/images.js'), 'List images used by the created containers'],
  kill: [() => import('../commands/kill.js'), 'Force stop service containers'],
  ls: [() => import('../commands/ls.js'), 'List running compose projects'],
  pause: [() => import('../commands/pause.js'), 'Pause services'],
  port: [() => import('../commands/port.js'), 'Print the public port for a port binding'],
  pull: [() => import('../commands/pull.js'), 'Pull service images'],
  push: [() => import('../commands/push.js'), 'Push service images'],
  restart: [() => import('../commands/restart.js'), 'Restart service containers'],
  rm: [() => import('../commands/rm.js'), 'Removes stopped service containers'],
  run: [() => import('../commands/run.js'), 'Run a one-off command on a service'],
  start: [() => import('../commands/start.js'), 'Start services'],
  stop: [() => import('../commands/stop.js'), 'Stop services'],
  top: [() => import('../commands/top.js'), 'Display the running processes'],
  unpause: [() => import('../commands/unpause.js'), 'Unpause services'],
  version: [() => import('../commands/version.js'), 'Show the Docker Compose version information'],
  wait: [() => import('../commands/wait.js'), 'Block until containers of all (or specified) services stop.'],
  config: [() => import('../commands/config.js'), 'Parse, resolve and render compose file in canonical format'],
  down: [() => import('../commands/down.js'), 'Stop and remove containers, networks'],
  logs: [() => import('../commands/logs.js'), 'View output from containers'],
  ps: [() => import('../commands/ps.js'), 'List containers'],
  up: [() => import('../commands/up.js'), 'Create and start containers'],
};

const globalFlags: FlagSpec[] = [
  { name: 'file', short: 'f', kind: 'list', type: 'stringArray', help: 'Compose configuration files' },
  { name: 'project-name', short: 'p', kind: 'string', help: 'Project name' },
  { name: 'project-directory', kind: 'string', help: 'Specify an alternate working directory\n(default: the path of the, first specified, Compose file)' },
  { name: 'env-file', kind: 'list', type: 'stringArray', help: 'Specify an alternate environment file' },
  { name: 'profile', kind: 'list', type: 'stringArray', help: 'Specify a profile to enable' },
  { name: 'progress', kind: 'string', default: 'auto', help: 'Set type of progress output (auto, tty, plain, json, quiet)' },
  { name: 'ansi', kind: 'string', default: 'auto', help: 'Control when to print ANSI control characters ("never"|"always"|"auto")' },
  { name: 'parallel', kind: 'int', default: -1, help: 'Control max parallelism, -1 for unlimited' },
  { name: 'compatibility', kind: 'bool', help: 'Run compose in backward compatibility mode' },
  { name: 'dry-run', kind: 'bool', help: 'Execute command in dry run mode', hidden: true },
  { name: 'all-resources', kind: 'bool', help: 'Include all resources, even those not used by services', hidden: true },
];

function composeHelp(): string {
  const names = Object.keys(commands).sort();
  return [
    'Usage:  minke compose [OPTIONS] COMMAND',
    '',
    'Define and run multi-container applications with Docker',
    '',
    helpText({ name: 'compose', usage: '', description: '', flags: globalFlags }).split('\n').slice(4).join('\n').trimEnd(),
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(11)} ${commands[n]![1]}`),
    '',
    "Run 'minke compose COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}

export const command: Command = {
  spec: { name: 'compose', usage: '[OPTIONS] COMMAND', description: 'Docker Compose', flags: globalFlags, stopAtPositional: true },
  async run(ctx: Ctx, p) {
    const [name, ...rest] = p.args;
    if (name === undefined) {
      ctx.out.write(composeHelp());
      return 0;
    }
    const entry = commands[name];
    if (!entry) {
      ctx.err.write(`unknown docker command: "compose ${name}"\n`);
      return 1;
    }
    const g: Globals = {
      files: p.list('file'),
      projectName: p.str('project-name') || undefined,
      projectDirectory: p.str('project-directory') || undefined,
      envFiles: p.list('env-file'),
      profiles: p.list('profile'),
      progress: p.str('progress'),
      ansi: p.str('ansi'),
    };
    const { command: sub } = await entry[0]();
    const parsed = parseFlags(sub.spec, rest);
    if (parsed.bool('help')) {
      ctx.out.write(helpText(sub.spec));
      return 0;
    }
    checkArgs(sub.spec, parsed);
    return sub.run(new ComposeCtx(ctx, g), parsed);
  },
};

/** The docker CLI plugin's metadata (`docker-compose docker-cli-plugin-metadata`). */
export function pluginMetadata(version: string): string {
  return `${JSON.stringify({ SchemaVersion: '0.1.0', Vendor: 'minke', Version: version, ShortDescription: 'Docker Compose' }, null, 2)}\n`;
}
