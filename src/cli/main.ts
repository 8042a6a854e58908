/**
 * The minke command: global flags, then dispatch to one lazily imported command module, so
 * start-up loads only what the command needs. Errors and exit codes follow the docker CLI.
 */
import type { Readable, Writable } from 'node:stream';
import type { EngineClient } from './client.js';
import type { Command, Ctx } from './command.js';
import { checkArgs, helpText, parseFlags, StatusError, UsageError, usageErrorText } from './flags.js';

type Loader = () => Promise<{ command: Command }>;

const load = {
  attach: () => import('./commands/attach.js'),
  build: () => import('./commands/build.js'),
  builderPrune: () => import('./commands/builder-prune.js'),
  commit: () => import('./commands/commit.js'),
  compose: () => import('../compose/cli/main.js'),
  cp: () => import('./commands/cp.js'),
  create: () => import('./commands/create.js'),
  diff: () => import('./commands/diff.js'),
  events: () => import('./commands/events.js'),
  exec: () => import('./commands/exec.js'),
  export: () => import('./commands/export.js'),
  history: () => import('./commands/history.js'),
  images: () => import('./commands/images.js'),
  import: () => import('./commands/import.js'),
  info: () => import('./commands/info.js'),
  inspect: () => import('./commands/inspect.js'),
  kill: () => import('./commands/kill.js'),
  load: () => import('./commands/load.js'),
  login: () => import('./commands/login.js'),
  logout: () => import('./commands/logout.js'),
  logs: () => import('./commands/logs.js'),
  pause: () => import('./commands/pause.js'),
  port: () => import('./commands/port.js'),
  ps: () => import('./commands/ps.js'),
  pull: () => import('./commands/pull.js'),
  push: () => import('./commands/push.js'),
  rename: () => import('./commands/rename.js'),
  restart: () => import('./commands/restart.js'),
  rm: () => import('./commands/rm.js'),
  rmi: () => import('./commands/rmi.js'),
  run: () => import('./commands/run.js'),
  save: () => import('./commands/save.js'),
  start: () => import('./commands/start.js'),
  stats: () => import('./commands/stats.js'),
  stop: () => import('./commands/stop.js'),
  tag: () => import('./commands/tag.js'),
  top: () => import('./commands/top.js'),
  unpause: () => import('./commands/unpause.js'),
  update: () => import('./commands/update.js'),
  version: () => import('./commands/version.js'),
  wait: () => import('./commands/wait.js'),
  containerPrune: () => import('./commands/container-prune.js'),
  imageInspect: () => import('./commands/image-inspect.js'),
  containerInspect: () => import('./commands/container-inspect.js'),
  imagePrune: () => import('./commands/image-prune.js'),
  systemDf: () => import('./commands/system-df.js'),
  systemPrune: () => import('./commands/system-prune.js'),
  networkConnect: () => import('./commands/network-connect.js'),
  networkCreate: () => import('./commands/network-create.js'),
  networkDisconnect: () => import('./commands/network-disconnect.js'),
  networkInspect: () => import('./commands/network-inspect.js'),
  networkLs: () => import('./commands/network-ls.js'),
  networkPrune: () => import('./commands/network-prune.js'),
  networkRm: () => import('./commands/network-rm.js'),
  volumeCreate: () => import('./commands/volume-create.js'),
  volumeInspect: () => import('./commands/volume-inspect.js'),
  volumeLs: () => import('./commands/volume-ls.js'),
  volumePrune: () => import('./commands/volume-prune.js'),
  volumeRm: () => import('./commands/volume-rm.js'),
  dockerfileDump: () => import('./commands/dockerfile-dump.js'),
} satisfies Record<string, Loader>;

/** Top-level commands, with the one-line descriptions `minke --help` shows. */
const topLevel: Record<string, [Loader, string]> = {
  run: [load.run, 'Create and run a new container from an image'],
  exec: [load.exec, 'Execute a command in a running container'],
  ps: [load.ps, 'List containers'],
  pull: [load.pull, 'Download an image from a registry'],
  push: [load.push, 'Upload an image to a registry'],
  images: [load.images, 'List images'],
  version: [load.version, 'Show the minke version information'],
  info: [load.info, 'Display system-wide information'],
  attach: [load.attach, 'Attach local standard input, output, and error streams to a running container'],
  build: [load.build, 'Build an image from a Dockerfile'],
  commit: [load.commit, "Create a new image from a container's changes"],
  compose: [load.compose, 'Docker Compose'],
  cp: [load.cp, 'Copy files/folders between a container and the local filesystem'],
  create: [load.create, 'Create a new container'],
  diff: [load.diff, "Inspect changes to files or directories on a container's filesystem"],
  events: [load.events, 'Get real time events from the server'],
  export: [load.export, "Export a container's filesystem as a tar archive"],
  history: [load.history, 'Show the history of an image'],
  import: [load.import, 'Import the contents from a tarball to create a filesystem image'],
  inspect: [load.inspect, 'Return low-level information on minke objects'],
  kill: [load.kill, 'Kill one or more running containers'],
  load: [load.load, 'Load an image from a tar archive or STDIN'],
  login: [load.login, 'Log in to a registry'],
  logout: [load.logout, 'Log out from a registry'],
  logs: [load.logs, 'Fetch the logs of a container'],
  pause: [load.pause, 'Pause all processes within one or more containers'],
  port: [load.port, 'List port mappings or a specific mapping for the container'],
  rename: [load.rename, 'Rename a container'],
  restart: [load.restart, 'Restart one or more containers'],
  rm: [load.rm, 'Remove one or more containers'],
  rmi: [load.rmi, 'Remove one or more images'],
  save: [load.save, 'Save one or more images to a tar archive (streamed to STDOUT by default)'],
  start: [load.start, 'Start one or more stopped containers'],
  stats: [load.stats, 'Display a live stream of container(s) resource usage statistics'],
  stop: [load.stop, 'Stop one or more running containers'],
  tag: [load.tag, 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE'],
  top: [load.top, 'Display the running processes of a container'],
  unpause: [load.unpause, 'Unpause all processes within one or more containers'],
  update: [load.update, 'Update configuration of one or more containers'],
  wait: [load.wait, 'Block until one or more containers stop, then print their exit codes'],
};

/** Management commands: `minke container ls` and friends, as docker groups them. */
const management: Record<string, { help: string; subs: Record<string, Loader>; shown: Record<string, string> }> = {
  container: {
    help: 'Manage containers',
    subs: {
      attach: load.attach, commit: load.commit, cp: load.cp, create: load.create, diff: load.diff,
      exec: load.exec, export: load.export, inspect: load.containerInspect, kill: load.kill, logs: load.logs,
      ls: load.ps, list: load.ps, ps: load.ps, pause: load.pause, port: load.port, prune: load.containerPrune,
      rename: load.rename, restart: load.restart, rm: load.rm, remove: load.rm, run: load.run, start: load.start,
      stats: load.stats, stop: load.stop, top: load.top, unpause: load.unpause, update: load.update, wait: load.wait,
    },
    shown: {
      inspect: 'Display detailed information on one or more containers',
      ls: 'List containers',
      prune: 'Remove all stopped containers',
    },
  },
  dockerfile: {
    help: 'Inspect Dockerfiles',
    subs: { dump: load.dockerfileDump },
    shown: { dump: 'Print the parse tree of a Dockerfile' },
  },
  image: {
    help: 'Manage images',
    subs: {
      build: load.build, history: load.history, import: load.import, inspect: load.imageInspect, load: load.load, ls: load.images,
      list: load.images, prune: load.imagePrune, pull: load.pull, push: load.push, rm: load.rmi, remove: load.rmi, save: load.save, tag: load.tag,
    },
    shown: {
      inspect: 'Display detailed information on one or more images',
      ls: 'List images',
      prune: 'Remove unused images',
      rm: 'Remove one or more images',
    },
  },
  network: {
    help: 'Manage networks',
    subs: {
      connect: load.networkConnect, create: load.networkCreate, disconnect: load.networkDisconnect, inspect: load.networkInspect,
      ls: load.networkLs, list: load.networkLs, prune: load.networkPrune, rm: load.networkRm, remove: load.networkRm,
    },
    shown: {
      connect: 'Connect a container to a network',
      create: 'Create a network',
      disconnect: 'Disconnect a container from a network',
      inspect: 'Display detailed information on one or more networks',
      ls: 'List networks',
      prune: 'Remove all unused networks',
      rm: 'Remove one or more networks',
    },
  },
  builder: {
    help: 'Manage builds',
    subs: { build: load.build, prune: load.builderPrune },
    shown: { build: 'Build an image from a Dockerfile', prune: 'Remove build cache' },
  },
  system: {
    help: 'Manage minke',
    subs: { df: load.systemDf, events: load.events, info: load.info, prune: load.systemPrune },
    shown: { df: 'Show minke disk usage', prune: 'Remove unused data' },
  },
  volume: {
    help: 'Manage volumes',
    subs: {
      create: load.volumeCreate, inspect: load.volumeInspect, ls: load.volumeLs, list: load.volumeLs,
      prune: load.volumePrune, rm: load.volumeRm, remove: load.volumeRm,
    },
    shown: {
      create: 'Create a volume',
      inspect: 'Display detailed information on one or more volumes',
      ls: 'List volumes',
      prune: 'Remove unused local volumes',
      rm: 'Remove one or more volumes',
    },
  },
};

function mainHelp(): string {
  const col = (entries: [string, string][]): string[] => entries.map(([n, h]) => `  ${n.padEnd(11)} ${h}`);
  const common = ['run', 'exec', 'ps', 'build', 'pull', 'push', 'images', 'login', 'logout', 'version', 'info'];
  return [
    'Usage:  minke [OPTIONS] COMMAND',
    '',
    'A self-sufficient runtime for containers',
    '',
    'Common Commands:',
    ...col(common.map((c) => [c, topLevel[c][1]])),
    '',
    'Management Commands:',
    ...col([...Object.entries(management).map(([n, m]): [string, string] => [n, m.help]), ['daemon', 'Run the minke engine'], ['registry', 'Serve an OCI registry'], ['server', 'Run the Kubernetes API server']]),
    '',
    'Commands:',
    ...col(Object.keys(topLevel).filter((c) => !common.includes(c)).sort().map((c) => [c, topLevel[c][1]])),
    '',
    'Global Options:',
    '  -D, --debug              Enable debug mode',
    '  -H, --host string        Daemon socket to connect to (default from MINKE_HOST, else unix:///run/minke/minke.sock)',
    '  -l, --log-level string   Set the logging level ("debug", "info", "warn", "error", "fatal") (default "info")',
    '  -v, --version            Print version information and quit',
    '',
    "Run 'minke COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}

const hiddenAliases = new Set(['list', 'remove', 'ps']);
const canonical: Record<string, string> = { list: 'ls', ps: 'ls', remove: 'rm' };

function managementHelp(name: string): string {
  const m = management[name];
  const subs = Object.keys(m.subs).filter((s) => !hiddenAliases.has(s)).sort();
  const lines = subs.map((s) => `  ${s.padEnd(11)} ${m.shown[s] ?? topLevel[s]?.[1] ?? ''}`.trimEnd());
  return [`Usage:  minke ${name} COMMAND`, '', m.help, '', 'Commands:', ...lines, '', `Run 'minke ${name} COMMAND --help' for more information on a command.`, ''].join('\n');
}

export interface Io {
  out?: Writable;
  err?: Writable;
  in?: Readable;
  env?: NodeJS.ProcessEnv;
}

/**
 * Which engine to talk to: -H, else MINKE_HOST, else the default socket. Compose (a client of
 * any engine) takes DOCKER_HOST first, as docker compose does; invoked by the docker CLI as its
 * plugin, it falls back to docker's own socket when there is one.
 */
function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv, command: string): string {
  if (flag) return flag;
  if (command === 'compose') {
    if (env.DOCKER_HOST) return env.DOCKER_HOST;
    if (env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND && !env.MINKE_HOST && process.getBuiltinModule('node:fs').existsSync('/var/run/docker.sock')) return 'unix:///var/run/docker.sock';
  }
  return env.MINKE_HOST || 'unix:///run/minke/minke.sock';
}

const globalUsage = "Usage:  minke [OPTIONS] COMMAND [ARG...]\n\nRun 'minke --help' for more information\n";

const valueFlags = new Set(['-H', '--host', '-l', '--log-level', '--config', '-c', '--context', '--tlscacert', '--tlscert', '--tlskey']);
const boolFlags = new Set(['-D', '--debug', '--tls', '--tlsverify']);

/** Runs one minke invocation; returns the exit code. */
export async function runCli(argv: string[], io: Io = {}): Promise<number> {
  const out = io.out ?? process.stdout;
  const err = io.err ?? process.stderr;
  const env = io.env ?? process.env;
  let hostFlag: string | undefined;
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (a === '-v' || a === '--version') {
      const { version } = await import('./meta.js');
      out.write(`minke version ${version()}\n`);
      return 0;
    }
    if (a === '-h' || a === '--help') {
      out.write(mainHelp());
      return 0;
    }
    if (valueFlags.has(name)) {
      const v = eq > 0 && name !== a ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) {
        err.write(`flag needs an argument: ${a}\n\n${globalUsage}`);
        return 125;
      }
      if (name === '-H' || name === '--host') hostFlag = v;
      continue;
    }
    if (boolFlags.has(name)) continue;
    err.write(`${a.startsWith('--') ? `unknown flag: ${name}` : `unknown shorthand flag: '${a[1]}' in ${a}`}\n\n${globalUsage}`);
    return 125;
  }
  const name = argv[i];
  if (name === undefined) {
    out.write(mainHelp());
    return 0;
  }
  if (name === 'daemon') {
    // resolved at run time: the engine is built beside the CLI under dist/src/engine
    const spec = '../engine/daemon.js';
    const mod = (await import(spec)) as { main(argv: string[]): Promise<void> };
    await mod.main(argv.slice(i + 1));
    return 0;
  }
  if (name === 'registry') {
    // as the daemon: the registry server is built beside the CLI, and not part of its snapshot
    const spec = '../engine/distribution/registry/cli.js';
    const mod = (await import(spec)) as { run(argv: string[]): Promise<number> };
    return mod.run(argv.slice(i + 1));
  }
  if (name === 'server') {
    // as the daemon: the cluster server is built beside the CLI, and not part of its snapshot
    const spec = '../cluster/apiserver/cli.js';
    const mod = (await import(spec)) as { run(argv: string[]): Promise<number> };
    return mod.run(argv.slice(i + 1));
  }
  if (name === 'docker-cli-plugin-metadata') {
    // the docker CLI asks its plugins what they are: minke is installed as its compose plugin
    const [{ version }, { pluginMetadata }] = await Promise.all([import('./meta.js'), import('../compose/cli/main.js')]);
    out.write(pluginMetadata(version()));
    return 0;
  }
  if (name === 'help') return runCli([...argv.slice(i + 1), '--help'], io);
  let loader: Loader | undefined = topLevel[name]?.[0];
  let invoked = name;
  let rest = argv.slice(i + 1);
  if (management[name]) {
    const sub = rest[0];
    if (sub === undefined || sub === '--help' || sub === '-h') {
      // cobra: asked for, help goes to stdout; a bare management command prints it on stderr
      (sub === undefined ? err : out).write(managementHelp(name));
      return 0;
    }
    loader = management[name].subs[sub];
    if (!loader) {
      err.write(`minke: unknown command: minke ${name} ${sub}\n\nUsage:  minke ${name}\n\nRun 'minke ${name} --help' for more information\n`);
      return 1;
    }
    // cobra names a command by its own name, however it was invoked (`network list` is `network ls`)
    invoked = `${name} ${canonical[sub] ?? sub}`;
    rest = rest.slice(1);
  }
  if (!loader) {
    err.write(`minke: unknown command: minke ${name}\n\nRun 'minke --help' for more information\n`);
    return 1;
  }
  const host = resolveHost(hostFlag, env, name);
  let client: EngineClient | undefined;
  let Client: typeof EngineClient | undefined;
  const ctx: Ctx = {
    host,
    out,
    err,
    // process.stdin is made on first use: setting it up costs milliseconds most commands do not need
    get in() {
      return io.in ?? process.stdin;
    },
    inIsTerminal: io.in ? (io.in as { isTTY?: boolean }).isTTY === true : process.getBuiltinModule('node:tty').isatty(0),
    env,
    command: invoked,
    client: () => (client ??= new (Client as typeof EngineClient)(host)),
  };
  try {
    // the command and the API client load side by side; `minke --version` and help need neither
    const [{ command }, clientModule] = await Promise.all([loader(), import('./client.js')]);
    Client = clientModule.EngineClient;
    const spec = { ...command.spec, name: invoked };
    const parsed = parseFlags(spec, rest);
    if (parsed.bool('help')) {
      out.write(helpText(spec));
      return 0;
    }
    checkArgs(spec, parsed);
    return await command.run(ctx, parsed);
  } catch (e) {
    return reportError(e, err);
  } finally {
    client?.close();
  }
}

function reportError(e: unknown, err: Writable): number {
  if (e instanceof UsageError) {
    err.write(usageErrorText(e));
    return e.code;
  }
  if (e instanceof StatusError) {
    if (e.message) err.write(`${e.message}\n`);
    return e.code;
  }
  if (e instanceof Error && e.name === 'ConnectError') {
    err.write(`${e.message}\n`);
    return 1;
  }
  const msg = e instanceof Error ? ((e as { display?: string }).display ?? e.message) : String(e);
  err.write(`${msg}\n`);
  return 1;
}

/** Entry point used by bin/minke. */
export async function main(argv: string[]): Promise<void> {
  const code = await runCli(argv);
  process.exit(code);
}
