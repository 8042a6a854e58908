/**
 * RUN: the command runs in a container of the engine's own runtime (runc, the same OCI spec as
 * `docker run`) on a writable snapshot of the step's parent layers; its changes (the overlay upper
 * dir) become the step's layer. The container lives only as long as the command: `runc run` in
 * the foreground, its output streamed to the build's client, and whatever happens (failure, a
 * client that hangs up) the mount, bundle, runc container and snapshots are removed before the
 * step returns.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { spawnProcess } from '../../core/spawn.js';
import { trace, traceEnd } from '../../core/trace.js';
import { buildSpec, resolveUser, type MountInput } from '../runtime/index.js';
import type { ResourcesInput } from '../runtime/spec.js';
import { RUNC_PATH } from '../runtime/runc.js';
import { mergedLstat } from '../snapshots/init-layer.js';
import { isOpaque } from '../snapshots/diff.js';
import { mountAll, unmountAll } from '../snapshots/mount.js';
import type { OverlaySnapshotter } from '../snapshots/overlay.js';
import type { BuildOutput } from './legacy-stream.js';

export interface RunDeps {
  snapshotter: OverlaySnapshotter;
  /** Where build mounts and bundles live (under the data root). */
  buildRoot: string;
  /** runc's --root for build containers (under the exec root). */
  runcRoot: string;
  /** The engine's networks; without them (a builder alone) default is the host's network. */
  networks?: StepNetworkPort;
}

/** A step's network, asked of the engine's networks. */
export interface StepNetworkRequest {
  id: string;
  /** default (the default bridge), host, none, or a network's name. */
  mode: string;
  hostname: string;
  /** "name:ip" lines for /etc/hosts (ip may be host-gateway). */
  extraHosts: string[];
  /** Where the step's hostname, hosts and resolv.conf are written. */
  dir: string;
}

export interface StepSandbox {
  /** The network namespace the step's container runs in. */
  network: 'host' | 'none' | { path: string };
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  /** Settles once the namespace is on its network: awaited before the command runs. */
  joined: Promise<void>;
  /** Leaves the network: interface, address lease and namespace go. */
  release(): Promise<void>;
}

export interface StepNetworkPort {
  /** Throws docker's error for a mode the build cannot use (a network that does not exist). */
  check(mode: string): void;
  open(req: StepNetworkRequest): Promise<StepSandbox>;
}

/** What `docker build` sets for every RUN step (--memory, --cpu-shares, --shm-size, --ulimit, --cgroup-parent). */
export interface RunOptions {
  resources?: ResourcesInput;
  shmSize?: number;
  ulimits?: Array<{ name: string; soft: number; hard: number }>;
  cgroupParent?: string;
}

export interface RunInput {
  /** The parent layers' chain ID (null: scratch). */
  parent: string | null;
  args: string[];
  env: string[];
  user: string;
  cwd: string;
  /** default (the engine's default bridge), host, none (loopback only), or a network's name. */
  network: string;
  /** RUN --mount's cache (bind of a kept dir) and tmpfs mounts, never part of the layer. */
  mounts?: MountInput[];
  /** --add-host entries ("name:ip", checked): lines of the step's /etc/hosts. */
  extraHosts?: string[];
  options?: RunOptions;
  /** 12 hex digits: the step's hostname (the ID "Running in" shows). */
  runId?: string;
  /** What the error message calls the command ("/bin/sh -c exit 3"). */
  display: string;
  out: BuildOutput;
  signal?: AbortSignal;
}

export class RunFailed extends Error {
  constructor(readonly display: string, readonly code: number) {
    super(`The command '${display}' returned a non-zero code: ${code}`);
    this.name = 'RunFailed';
  }
}

/** The finished command's writable layer: handed to `use` while it exists, removed afterwards. */
export interface RunResult {
  /** The active snapshot: `use` may commit it (it is removed otherwise). */
  key: string;
  upperDir: string;
  lowerDirs: string[];
  empty: boolean;
}

const RED = '\x1b[91m';
const RESET = '\x1b[0m';

export async function runStep<T>(d: RunDeps, i: RunInput, use: (r: RunResult) => Promise<T>): Promise<T> {
  // The step's hostname is the ID its output shows ("Running in ..."), as a Docker build container's.
  const id = `build-${i.runId ?? randomBytes(6).toString('hex')}${randomBytes(6).toString('hex')}`;
  const target = join(d.buildRoot, 'mnt', id);
  const bundle = join(d.buildRoot, 'bundles', id);
  const cleanups: Array<() => Promise<void> | void> = [];
  trace(id, 'run step');
  try {
    await mkdir(bundle, { recursive: true, mode: 0o700 });
    cleanups.unshift(() => rm(bundle, { recursive: true, force: true }));
    const hostname = id.slice(6, 18);
    // First, so that the network is joined while the snapshot is made ready.
    const net = await stepNetwork(d, i, id, hostname, bundle, cleanups);
    // On the parent itself (no init layer): the upper dir can then be committed as the layer.
    await d.snapshotter.prepare(id, i.parent);
    cleanups.unshift(() => d.snapshotter.remove(id));
    await mkdir(target, { recursive: true });
    cleanups.unshift(() => rm(target, { recursive: true, force: true }));
    trace(id, 'snapshots prepared');
    mountAll(await d.snapshotter.mounts(id), target);
    cleanups.unshift(() => unmountAll(target));
    const mounts: MountInput[] = [...net.mounts, ...(i.mounts ?? [])];
    const spec = buildSpec({
      id, rootfs: target, args: i.args, env: i.env, cwd: i.cwd || '/', hostname,
      user: await resolveUser(target, i.user || '0'), network: net.network, mounts, cgroupParent: i.options?.cgroupParent || '/minke-build',
      ...(i.options?.resources ? { resources: i.options.resources } : {}), ...(i.options?.shmSize ? { shmSize: i.options.shmSize } : {}),
      ...(i.options?.ulimits ? { ulimits: i.options.ulimits } : {}),
    });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    trace(id, 'bundle written');
    await net.joined;
    trace(id, 'network joined');
    await execute(d.runcRoot, bundle, id, i);
    trace(id, 'command exited');
    // The network is left while the layer is made (the cleanup waits for it).
    net.release().catch(() => {});
    const upperDir = await d.snapshotter.dir(id);
    const lowerDirs = await d.snapshotter.parentDirs(id);
    unmountAll(target);
    await scrubMountPoints(upperDir, lowerDirs, spec.mounts.map((m) => m.destination));
    const r = await use({ key: id, upperDir, lowerDirs, empty: (await readdir(upperDir)).length === 0 });
    trace(id, 'layer made');
    return r;
  } finally {
    for (const c of cleanups) {
      try {
        await c();
      } catch {
        // best effort: the next cleanup still runs
      }
    }
    trace(id, 'cleaned up');
    traceEnd(id);
  }
}

/**
 * The step's network namespace and its /etc/hostname, /etc/hosts and /etc/resolv.conf: from the
 * engine's networks (as a container's), or without them the host's network (none: loopback).
 * The network is joined while the rest of the step is made ready.
 */
async function stepNetwork(
  d: RunDeps, i: RunInput, id: string, hostname: string, bundle: string, cleanups: Array<() => Promise<void> | void>,
): Promise<{ network: 'host' | 'none' | { path: string }; mounts: MountInput[]; joined: Promise<void>; release: () => Promise<void> }> {
  const extra = i.extraHosts ?? [];
  if (d.networks) {
    const sb = await d.networks.open({ id, mode: i.network, hostname, extraHosts: extra, dir: bundle });
    let released: Promise<void> | undefined;
    const release = (): Promise<void> => (released ??= sb.release());
    cleanups.unshift(release);
    sb.joined.catch(() => {});
    const bind = (source: string, destination: string): MountInput => ({ type: 'bind', source, destination, readonly: true });
    return {
      network: sb.network, joined: sb.joined, release,
      mounts: [bind(sb.hostnamePath, '/etc/hostname'), bind(sb.hostsPath, '/etc/hosts'), bind(sb.resolvConfPath, '/etc/resolv.conf')],
    };
  }
  const network = i.network === 'none' ? 'none' : 'host';
  await writeFile(join(bundle, 'hostname'), `${hostname}\n`);
  const mounts: MountInput[] = [{ type: 'bind', source: join(bundle, 'hostname'), destination: '/etc/hostname', readonly: true }];
  if (network === 'host' && existsSync('/etc/resolv.conf')) mounts.push({ type: 'bind', source: '/etc/resolv.conf', destination: '/etc/resolv.conf', readonly: true });
  // The host's names (its network) or loopback's (none), then --add-host's.
  const base = network === 'host' ? await readFile('/etc/hosts', 'utf8').catch(() => '') : `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
  const lines = extra.map((h) => { const at = h.search(/[:=]/); return `${h.slice(at + 1)}\t${h.slice(0, at)}\n`; });
  await writeFile(join(bundle, 'hosts'), `${base}${base && !base.endsWith('\n') ? '\n' : ''}${lines.join('')}`);
  mounts.push({ type: 'bind', source: join(bundle, 'hosts'), destination: '/etc/hosts', readonly: true });
  return { network, mounts, joined: Promise.resolve(), release: () => Promise.resolve() };
}

/** `runc run` in the foreground; output to the build's stream (stderr in red, as dockerd's). */
async function execute(runcRoot: string, bundle: string, id: string, i: RunInput): Promise<void> {
  i.signal?.throwIfAborted();
  const p = spawnProcess(RUNC_PATH, [`--root=${runcRoot}`, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  const pump = (s: NodeJS.ReadableStream | null, err: boolean): Promise<void> => new Promise((resolve) => {
    if (!s) return resolve();
    s.on('data', (b: Buffer) => i.out.stream(err ? `${RED}${b.toString()}${RESET}` : b.toString()));
    s.on('end', resolve);
    s.on('error', () => resolve());
    s.on('close', resolve);
  });
  const onAbort = (): void => {
    // runc forwards the signal to the container's process; the kill makes sure of it.
    p.kill('SIGKILL');
    void spawnProcess(RUNC_PATH, [`--root=${runcRoot}`, 'kill', id, 'KILL'], { stdio: ['ignore', 'ignore', 'ignore'] }).exited;
  };
  i.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const [st] = await Promise.all([p.exited, pump(p.stdio[1] ?? null, false), pump(p.stdio[2] ?? null, true)]);
    i.signal?.throwIfAborted();
    const code = st.code ?? 128 + (st.signal ? signalNumber(st.signal) : 0);
    if (code !== 0) throw new RunFailed(i.display, code);
  } finally {
    i.signal?.removeEventListener('abort', onAbort);
    // A runc killed mid-run leaves its container's state: delete it (no-op when runc did).
    await spawnProcess(RUNC_PATH, [`--root=${runcRoot}`, 'delete', '--force', id], { stdio: ['ignore', 'ignore', 'ignore'] }).exited;
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  return constants.signals[sig] ?? 0;
}

/**
 * What the runtime made in the upper dir to mount on (/proc, /etc/hostname, ... where the image
 * lacks them, and the directories copied up on the way) is not the command's change: removed,
 * deepest first, while it is an empty file or directory the parent layers do not have, or an
 * empty copy-up of a parent directory with the same mode and owner.
 */
export async function scrubMountPoints(upper: string, lowers: string[], destinations: string[]): Promise<void> {
  const paths = new Set<string>();
  for (const d of destinations) {
    const parts = d.split('/').filter(Boolean);
    for (let n = parts.length; n > 0; n--) paths.add(parts.slice(0, n).join('/'));
  }
  for (const rel of [...paths].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1))) {
    const abs = join(upper, rel);
    let st;
    try {
      st = await lstat(abs);
    } catch {
      continue;
    }
    const below = await mergedLstat(lowers, rel);
    if (st.isDirectory()) {
      if ((await readdir(abs)).length > 0 || isOpaque(abs)) continue;
      const same = below && below !== 'blocked' && below.isDirectory() && below.mode === st.mode && below.uid === st.uid && below.gid === st.gid;
      if (below === null || same) await rmdir(abs);
    } else if (st.isFile() && st.size === 0 && below === null) {
      await unlink(abs);
    }
  }
}
