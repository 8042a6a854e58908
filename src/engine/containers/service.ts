import { hostname } from 'node:os';
import { EventEmitter } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Conflict, InvalidArgument, NotFound, NotModified, SystemError, messageOf } from '../../core/errors.js';
import { newId, randomName, shortId } from '../../core/ids.js';
import { mountShm, shmPath, unmountShm } from './ipc-shm.js';
import { defaultBridgeLinks, legacyLinks, linkNamesOf, linkVariables, parseLink, resolveLink } from './links.js';
import { resolveInRoot } from '../snapshots/apply.js';
import { checkPlatform, commandOf, imageNameForError, mergeImageConfig, normalizeStringLists, validateEnv, validateHealth, validateHostConfig, validateName, validateNetworkMode } from './create-config.js';
import type { ContainerConfig, ContainerRecord, HostConfig } from './model.js';
import { ZERO_TIME, initialState } from './model.js';
import type { AttachStreams, ImagePort, LogPosition, NetworkPort, RootfsPort, RuntimePort, VolumePort } from './ports.js';
import { DEFAULT_LOG_DRIVER, logPolicy, validateLogConfig, type LogPolicy } from './log-config.js';
import type { EndpointConfig } from '../networks/model.js';
import { mountVolumes, populateVolumes, readOnlyNonRecursive, registerMountPoints, releaseMountPoints, unmountVolumes, validateMounts } from './mounts.js';
import { ContainerStore } from './store.js';
import { trace, traceEnd } from '../../core/trace.js';
import { discard, sweepTrash } from '../../core/trash.js';
import { Waiters, type WaitCondition, type WakeReason } from './waiters.js';
import { startFailureExitCode } from '../runtime/conmon.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../runtime/spec.js';
import type { Platform } from '../images/platforms.js';
import { FIRST_DELAY_MS, isNoRestart } from './restart-policy.js';
import { PolicyRestarts } from './restarts.js';
import { parseSignal, signalNumber } from './signals.js';
import { HealthMonitor, healthSettings, initialHealth } from './health.js';
import { runProbe } from './health-probe.js';

export type { WaitCondition } from './waiters.js';

export interface CreateRequest extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointConfig> | null } | null;
}

export interface ContainerEvent {
  action: string;
  rec: ContainerRecord;
  attributes?: Record<string, string>;
}

/**
 * The container lifecycle: create, start, exit, stop, kill, pause, remove, and adoption of
 * containers that kept running while the engine was down. State lives in ContainerRecord; the
 * runtime, images and root filesystems are reached through ports.
 */
export class ContainerService extends EventEmitter<{ event: [ContainerEvent] }> {
  readonly store: ContainerStore;
  private readonly waiters = new Waiters();
  /** Each running container's current process: its exit code, and the end of its exit handling. */
  private readonly exits = new Map<string, { code: Promise<number>; handled: Promise<void> }>();
  /** Live OOM watches of running containers, and whether this run reported one. */
  private readonly ooms = new Map<string, { stop(): void; reported: boolean }>();
  /** Work to do between the runtime's create and start (attach clients connecting). */
  private readonly beforeStart = new Map<string, Array<() => Promise<void>>>();
  /** Log offset at the last start, so attach-before-start reads just that run's output. */
  readonly logOffsets = new Map<string, LogPosition>();
  /** Restart policies: back-off per container, policy restarts under way. */
  private readonly restarts: PolicyRestarts;
  /** Containers being restarted by `docker restart` (their exit does not auto-remove them). */
  private readonly manualRestarts = new Set<string>();
  private readonly healthMonitors = new Map<string, HealthMonitor>();
  /** Set when the engine shuts down: no more policy restarts (containers keep running under conmon). */
  private closing = false;
  /** Policy restarts wait for the engine to be ready (startAtBoot()). */
  private booted!: () => void;
  private readonly ready = new Promise<void>((resolve) => { this.booted = resolve; });

  constructor(
    private readonly opts: { dataRoot: string; execRoot: string; logDriver?: string; logOpts?: Record<string, string> },
    private readonly images: ImagePort,
    private readonly rootfs: RootfsPort,
    readonly runtime: RuntimePort,
    private readonly networks: NetworkPort,
    private readonly volumes: VolumePort,
  ) {
    super();
    // As dockerd (setupDefaultLogConfig): default options that no container could use stop the engine.
    if (Object.keys(opts.logOpts ?? {}).length > 0) {
      try {
        validateLogConfig({ Type: opts.logDriver || DEFAULT_LOG_DRIVER, Config: opts.logOpts ?? {} });
      } catch (err) {
        throw new Error(`failed to set log opts: ${messageOf(err)}`);
      }
    }
    this.store = new ContainerStore(join(opts.dataRoot, 'containers'));
    this.restarts = new PolicyRestarts({
      ready: this.ready,
      closing: () => this.closing,
      current: (rec) => this.store.find(rec.Id) === rec,
      start: (rec) => this.startRecord(rec),
      setRestarting: (rec) => this.setRestarting(rec, rec.State.ExitCode, rec.State.Error, rec.State.OOMKilled),
      save: (rec) => this.store.save(rec),
      stayedDown: (rec) => this.wake(rec, rec.State.ExitCode, 'exit'),
    });
  }

  /** `docker update --restart`: the new policy applies to the next exit. */
  restartPolicyUpdated(rec: ContainerRecord): void {
    this.restarts.policyUpdated(rec);
  }

  bundleDir(id: string): string {
    return join(this.opts.execRoot, 'containers', id);
  }

  logPath(id: string): string {
    return join(this.store.dir(id), 'container.log');
  }

  private emitEvent(action: string, rec: ContainerRecord, attributes?: Record<string, string>): void {
    this.emit('event', { action, rec, attributes });
  }

  get(ref: string): ContainerRecord {
    return this.store.get(ref);
  }

  list(): ContainerRecord[] {
    return this.store.all();
  }

  /**
   * `platform`: the image must be of it (dockerd's create ?platform=); `readOnlyNonRecursive`:
   * read-only binds as before API 1.44 (no `rro`).
   */
  async create(req: CreateRequest, name?: string, opts: { platform?: Platform; readOnlyNonRecursive?: boolean } = {}): Promise<{ Id: string; Warnings: string[] }> {
    const { HostConfig: hostConfig, NetworkingConfig: netConfig, ...config } = req;
    normalizeStringLists(config, hostConfig);
    if (!config.Image) {
      throw new InvalidArgument(config.Cmd?.length || config.Entrypoint?.length ? 'config cannot be empty in order to create a container' : 'no command specified');
    }
    const warnings: string[] = [];
    const hc = validateHostConfig(hostConfig ?? {}, { Type: this.opts.logDriver || DEFAULT_LOG_DRIVER, Config: this.opts.logOpts ?? {} }, warnings);
    hc.Runtime = this.runtime.runtimeName(hc.Runtime);
    // As dockerd: the container a container: mode names is looked up at start, not now.
    validateNetworkMode(config, hc);
    // As dockerd: the default masked and read-only /proc paths are stored (inspect shows them).
    if (!hc.Privileged && !(hc.SecurityOpt ?? []).some((o) => /^systempaths[=:]unconfined$/.test(o))) {
      hc.MaskedPaths ??= [...DEFAULT_MASKED_PATHS];
      hc.ReadonlyPaths ??= [...DEFAULT_READONLY_PATHS];
    }
    // As dockerd (adaptContainerSettings): a memory limit alone allows as much swap again.
    if (hc.Memory && hc.Memory > 0 && !hc.MemorySwap) hc.MemorySwap = hc.Memory * 2;
    const networkSettings = this.networks.endpointsFor(hc, netConfig?.EndpointsConfig, config.MacAddress);
    validateHealth(config);
    validateEnv(config);
    validateMounts(hc, config.Volumes);
    const links = defaultBridgeLinks(this.store, hc);
    let image;
    try {
      image = await this.images.get(config.Image);
    } catch (err) {
      if (err instanceof NotFound) throw new NotFound(`No such image: ${imageNameForError(config.Image)}`);
      throw err;
    }
    trace(config.Image, 'create: image resolved');
    warnings.push(...checkPlatform(config.Image, image.config, opts.platform));
    const merged = mergeImageConfig(config, image.config.config);
    const { path, args } = commandOf(merged);
    const id = newId();
    let fullName: string;
    if (name) {
      fullName = validateName(name);
      this.store.reserveName(fullName, id);
    } else {
      fullName = `/${randomName()}`;
      for (let i = 1; this.store.hasName(fullName); i++) fullName = `/${randomName(i)}`;
      this.store.reserveName(fullName, id);
    }
    // As dockerd: the host's name on the host's network, else the short ID.
    merged.Hostname ||= hc.NetworkMode === 'host' ? hostname() : id.slice(0, 12);
    // Stored as dockerd does: /linked:/this/alias.
    if (links.length) hc.Links = links.map((l) => `${l.name}:${fullName}/${l.alias}`);
    merged.Domainname ??= '';
    merged.Image = config.Image;
    const dir = this.store.dir(id);
    const rec: ContainerRecord = {
      Id: id,
      Name: fullName,
      Created: new Date().toISOString(),
      Path: path,
      Args: args,
      Config: merged,
      HostConfig: hc,
      Image: image.id,
      State: initialState(),
      RestartCount: 0,
      ManuallyStopped: false,
      LogPath: join(dir, 'container.log'),
      ResolvConfPath: join(dir, 'resolv.conf'),
      HostnamePath: join(dir, 'hostname'),
      HostsPath: join(dir, 'hosts'),
      ConmonPid: 0,
      NetworkSettings: networkSettings,
    };
    try {
      await mkdir(dir, { recursive: true });
      await this.rootfs.prepare(id, image.chainId);
      trace(config.Image, 'create: snapshot prepared');
      // As dockerd: the working directory asked for exists from the create on (cp and commit see it).
      if (config.WorkingDir && config.WorkingDir !== '/') await this.makeWorkingDir(rec);
      await this.createMounts(rec);
      if (opts.readOnlyNonRecursive) readOnlyNonRecursive(rec.MountPoints);
      await this.store.add(rec);
      trace(config.Image, 'create: record saved');
      traceEnd(config.Image);
    } catch (err) {
      this.store.releaseName(fullName, id);
      await releaseMountPoints(id, rec.MountPoints, this.volumes, true);
      await this.rootfs.remove(id).catch(() => {});
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    this.emitEvent('create', rec);
    return { Id: id, Warnings: warnings };
  }

  /**
   * Resolves the new container's mounts (creating and referencing its volumes) and copies the
   * image's content into new volumes; the rootfs is mounted for that only when needed.
   */
  private async createMounts(rec: ContainerRecord): Promise<void> {
    const target = join(this.opts.execRoot, 'mounts', `${rec.Id.slice(0, 12)}-create`);
    let mounted = false;
    const rootfs = async (): Promise<string> => {
      if (!mounted) {
        await mkdir(target, { recursive: true });
        await this.rootfs.mount(rec.Id, target);
        mounted = true;
      }
      return target;
    };
    try {
      rec.MountPoints = await registerMountPoints({
        containerId: rec.Id,
        hostConfig: rec.HostConfig,
        volumes: rec.Config.Volumes,
        container: (ref) => this.get(ref),
        rootfs,
        daemonRoot: resolve(this.opts.dataRoot),
      }, this.volumes);
      await populateVolumes(rec.MountPoints, rootfs, this.volumes);
    } finally {
      if (mounted) await this.rootfs.unmount(target).catch(() => {});
      await rm(target, { recursive: true, force: true }).catch(() => {});
    }
  }

  /** Registers work to run once the runtime created the container, before its process starts. */
  onBeforeStart(id: string, fn: () => Promise<void>): void {
    const list = this.beforeStart.get(id) ?? [];
    list.push(fn);
    this.beforeStart.set(id, list);
  }

  async start(ref: string): Promise<void> {
    const rec = this.get(ref);
    if (rec.State.Paused) throw new Conflict('cannot start a paused container, try unpause instead');
    if (rec.State.Running) throw new NotModified('container already started');
    if (rec.State.Status === 'removing') throw new Conflict(`container is marked for removal and cannot be started`);
    this.restarts.reset(rec);
    await this.startRecord(rec);
  }

  /** Docker's SetRestarting: still "running" for stop/rm/wait, without a process. */
  private setRestarting(rec: ContainerRecord, code: number, error: string, oom: boolean): void {
    this.setProcessGone(rec, code, error, oom, true);
  }

  /** The process ended: exited, or (restarting) waiting for the policy's next start. */
  private setProcessGone(rec: ContainerRecord, code: number, error: string, oom: boolean, restarting: boolean): void {
    rec.State = {
      ...rec.State,
      Status: restarting ? 'restarting' : 'exited',
      Running: restarting,
      Restarting: restarting,
      Paused: false,
      OOMKilled: oom,
      Pid: 0,
      ExitCode: code,
      Error: error,
      FinishedAt: new Date().toISOString(),
    };
    rec.ConmonPid = 0;
  }

  /** Probes the container's health check while it runs (reset: a fresh start, status back to starting). */
  private startHealth(rec: ContainerRecord, reset: boolean): void {
    this.stopHealth(rec.Id);
    const settings = healthSettings(rec.Config);
    if (!settings) return;
    if (reset || !rec.State.Health) rec.State.Health = initialHealth(rec.State.Health);
    const health = rec.State.Health;
    this.healthMonitors.set(rec.Id, new HealthMonitor({
      settings,
      startedAtMs: Date.parse(rec.State.StartedAt),
      health,
      probe: (signal) => runProbe({
        runtime: this.runtime,
        rec,
        bundleDir: this.bundleDir(rec.Id),
        settings,
        signal,
        emit: (action, attributes) => this.emitEvent(action, rec, attributes),
      }),
      onResult: (changed) => {
        if (!changed) return;
        this.emitEvent(`health_status: ${health.Status}`, rec);
        void this.store.save(rec).catch(() => {});
      },
    }));
  }

  private stopHealth(id: string): void {
    this.healthMonitors.get(id)?.stop();
    this.healthMonitors.delete(id);
  }

  /** The variables of the container's legacy links to running containers (its process and its execs get them). */
  linkVariables(rec: ContainerRecord): string[] {
    return linkVariables(rec, this.store);
  }

  /**
   * The host directory to bind on /dev/shm: a shareable container's own tmpfs (mounted now), or
   * that of the container whose IPC namespace it joins; undefined for a private one (a tmpfs of
   * its own in its mount namespace).
   */
  private ipcShm(rec: ContainerRecord): string | undefined {
    const mode = rec.HostConfig.IpcMode ?? '';
    if (mode === 'shareable') {
      const path = shmPath(this.store.dir(rec.Id));
      mountShm(path, rec.HostConfig.ShmSize);
      return path;
    }
    if (!mode.startsWith('container:')) return undefined;
    const donor = this.get(mode.slice('container:'.length));
    if (!donor.State.Running) throw new Conflict(`cannot join IPC of a non running container: ${donor.Name.slice(1)}`);
    if (donor.HostConfig.IpcMode !== 'shareable') throw new InvalidArgument('non-shareable IPC (hint: use IpcMode:shareable for the donor container)');
    return shmPath(this.store.dir(donor.Id));
  }

  private async startRecord(rec: ContainerRecord): Promise<void> {
    // As dockerd: every legacy link's target must be running.
    for (const entry of legacyLinks(rec) ?? []) {
      const { target, name } = parseLink(entry);
      const other = this.store.find(target);
      if (!other) throw new NotFound(`Could not get container for ${target.replace(/^\//, '')}`);
      if (!other.State.Running) throw new SystemError(`Cannot link to a non running container: ${other.Name} AS ${name}`);
    }
    const image = await this.images.get(rec.Image).catch(() => {
      throw new NotFound(`No such image: ${rec.Config.Image}`);
    });
    // As dockerd: the driver's options are read when it starts, before anything is made; a bad
    // one fails the start with its own words (500), the container keeps its state with the reason.
    let logPolicyNow: LogPolicy;
    try {
      logPolicyNow = logPolicy(rec.HostConfig.LogConfig);
    } catch (err) {
      rec.State = { ...rec.State, Error: messageOf(err), ExitCode: 128 };
      await this.store.save(rec).catch(() => {});
      throw err;
    }
    const bundleDir = this.bundleDir(rec.Id);
    const rootfsDir = join(bundleDir, 'rootfs');
    await mkdir(rootfsDir, { recursive: true });
    let mounted = false;
    let volumesFailed = false;
    let sandbox: { netns: string; joined: Promise<void> } | undefined;
    try {
      trace(rec.Id, 'start: begin');
      await this.rootfs.mount(rec.Id, rootfsDir);
      mounted = true;
      trace(rec.Id, 'start: mounted');
      try {
        // Records made before volumes existed: resolve their mounts once.
        rec.MountPoints ??= await registerMountPoints({
          containerId: rec.Id, hostConfig: rec.HostConfig, volumes: rec.Config.Volumes, container: (ref) => this.get(ref), rootfs: async () => rootfsDir,
          daemonRoot: resolve(this.opts.dataRoot),
        }, this.volumes);
        await mountVolumes(rec, this.volumes);
      } catch (err) {
        volumesFailed = true;
        throw err;
      }
      // As dockerd: a container on another's network takes that one's host and domain names.
      const netMode = rec.HostConfig.NetworkMode ?? '';
      if (netMode.startsWith('container:')) {
        const other = this.get(netMode.slice('container:'.length));
        if (other.Id === rec.Id) throw new InvalidArgument('cannot join own network');
        if (!other.State.Running) throw new Conflict(`cannot join network of a non running container: ${other.Name.slice(1)}`);
        rec.Config.Hostname = other.Config.Hostname;
        rec.Config.Domainname = other.Config.Domainname;
      }
      await this.networks.writeEtcFiles(rec);
      trace(rec.Id, 'start: etc files');
      this.logOffsets.set(rec.Id, await this.runtime.logPosition(rec.LogPath));
      const hooks = this.beforeStart.get(rec.Id) ?? [];
      this.beforeStart.delete(rec.Id);
      const shmSource = this.ipcShm(rec);
      sandbox = await this.networks.prepare(rec);
      trace(rec.Id, 'start: sandbox made');
      const { pid, conmonPid } = await this.runtime.run({
        rec,
        image,
        bundleDir,
        rootfs: rootfsDir,
        logPath: rec.LogPath,
        netns: sandbox?.netns,
        extraEnv: this.linkVariables(rec),
        shmSource,
        containerId: (ref) => this.get(ref).Id,
        logPolicy: logPolicyNow,
        beforeStart: async () => {
          trace(rec.Id, 'start: runtime created');
          await sandbox?.joined;
          trace(rec.Id, 'start: networks joined');
          await Promise.all(hooks.map((h) => h().catch(() => {})));
          trace(rec.Id, 'start: attached');
        },
      });
      trace(rec.Id, 'start: runtime started');
      rec.State = {
        ...rec.State,
        Status: 'running',
        Running: true,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: pid,
        ExitCode: 0,
        Error: '',
        StartedAt: new Date().toISOString(),
        FinishedAt: rec.State.FinishedAt === '' ? ZERO_TIME : rec.State.FinishedAt,
      };
      rec.ConmonPid = conmonPid;
      this.watchExit(rec);
      this.startHealth(rec, true);
      // Saved before the start is acknowledged: an engine crash right after must find the
      // container running, with the addresses and ports it holds.
      await this.store.save(rec).catch(() => {});
      this.emitEvent('start', rec);
    } catch (err) {
      const message = messageOf(err);
      if (rec.HostConfig.IpcMode === 'shareable') unmountShm(shmPath(this.store.dir(rec.Id)));
      await sandbox?.joined.catch(() => {});
      await this.networks.detach(rec).catch(() => {});
      await unmountVolumes(rec, this.volumes, false);
      if (mounted) await this.rootfs.unmount(rootfsDir).catch(() => {});
      await rm(bundleDir, { recursive: true, force: true }).catch(() => {});
      rec.State = { ...rec.State, Running: false, Restarting: false, Pid: 0, Error: message, ExitCode: startFailureExitCode(message) };
      if (rec.State.Status !== 'created') rec.State.Status = 'exited';
      await this.store.save(rec).catch(() => {});
      this.wake(rec, rec.State.ExitCode, 'start-failed');
      this.emitEvent('start-failed', rec);
      // As docker: a --rm container whose start failed is removed.
      if (rec.HostConfig.AutoRemove) await this.removeRecord(rec, rec.State.ExitCode, true).catch(() => {});
      if (!volumesFailed && (err instanceof SystemError || !(err instanceof Error) || !('status' in err))) {
        // As dockerd: a command that cannot be found or invoked is the request's fault (400).
        const Err = rec.State.ExitCode === 126 || rec.State.ExitCode === 127 ? InvalidArgument : SystemError;
        throw new Err(`failed to create task for container: ${message}`, { cause: err });
      }
      throw err;
    }
  }

  /** A container adopted at boot: its log is rotated again (its options were read when it started). */
  private watchLogOf(rec: ContainerRecord): void {
    let policy;
    try {
      policy = logPolicy(rec.HostConfig.LogConfig);
    } catch {
      return; // options that no longer parse: the file stays bounded by conmon's cut
    }
    void this.runtime.watchLog(rec.LogPath, this.bundleDir(rec.Id), policy).catch(() => {});
  }

  private watchExit(rec: ContainerRecord): void {
    this.watchOom(rec);
    const code = this.runtime.waitExit(rec.Id);
    const handled = code.then(
      (c) => this.handleExit(rec, c),
      (err: unknown) => this.handleExit(rec, 255, messageOf(err)),
    ).catch(() => {});
    this.exits.set(rec.Id, { code, handled });
  }

  /**
   * As dockerd at containerd's TaskOOM: an `oom` event as it happens (a process killed, or the
   * cgroup stalled under --oom-kill-disable), and State.OOMKilled from then on for this run.
   */
  private watchOom(rec: ContainerRecord): void {
    this.ooms.get(rec.Id)?.stop();
    const entry = { reported: false, stop: (): void => {} };
    this.ooms.set(rec.Id, entry);
    entry.stop = this.runtime.watchOom(this.bundleDir(rec.Id), () => {
      entry.reported = true;
      rec.State.OOMKilled = true;
      void this.store.save(rec).catch(() => {});
      this.emitEvent('oom', rec);
    }).stop;
  }

  /** The container's process ended: record why, release runtime resources, wake waiters. */
  private async handleExit(rec: ContainerRecord, code: number, error = ''): Promise<void> {
    trace(rec.Id, 'exit: noticed');
    this.stopHealth(rec.Id);
    void this.runtime.unwatchLog(rec.LogPath).catch(() => {});
    // Its last notice (before the bundle goes); the cgroup's own count covers one conmon missed.
    const live = this.ooms.get(rec.Id);
    live?.stop();
    this.ooms.delete(rec.Id);
    const reported = live?.reported ?? false;
    const bundleDir = this.bundleDir(rec.Id);
    // A --rm container's writable layer goes now, beside the rest, rather than after it.
    const removing = rec.HostConfig.AutoRemove && !this.manualRestarts.has(rec.Id);
    let released = true;
    // The runtime's cleanup (OOM read before its cgroup goes) and the filesystem's run side by side.
    const [killed] = await Promise.all([
      this.runtime.oomKilled(rec.Id).catch(() => false).then(async (oom) => {
        trace(rec.Id, 'exit: oom read');
        await this.runtime.delete(rec.Id).catch(() => {});
        trace(rec.Id, 'exit: runtime deleted');
        return oom;
      }),
      this.rootfs.unmount(join(bundleDir, 'rootfs')).catch(() => {})
        // a few small files on the exec root: at once, rather than a dozen trips through libuv's threads
        .then(async () => { trace(rec.Id, 'exit: unmounted'); await discard(bundleDir); trace(rec.Id, 'exit: bundle removed'); })
        .then(() => (removing ? this.rootfs.remove(rec.Id) : undefined)).then(() => trace(rec.Id, 'exit: layer removed')).catch(() => {
          released = false; // the removal does it again
        }),
      this.networks.detach(rec).catch(() => {}),
      unmountVolumes(rec, this.volumes),
    ]);
    if (rec.HostConfig.IpcMode === 'shareable') unmountShm(shmPath(this.store.dir(rec.Id)));
    trace(rec.Id, 'exit: cleaned up');
    this.exits.delete(rec.Id);
    const oom = killed || reported;
    const oomEvent = killed && !reported;
    const ranMs = Date.now() - Date.parse(rec.State.StartedAt);
    const attributes = { exitCode: String(code), execDuration: String(Math.max(0, Math.floor(ranMs / 1000))) };
    const delay = rec.HostConfig.AutoRemove ? undefined : this.restarts.manager(rec).shouldRestart({
      exitCode: code,
      manuallyStopped: rec.ManuallyStopped,
      restartCount: rec.RestartCount,
      ranMs,
    });
    if (delay !== undefined) {
      // As docker: die, then (after the back-off) start; no separate restart event.
      rec.RestartCount++;
      this.setRestarting(rec, code, error, oom);
      if (oomEvent) this.emitEvent('oom', rec);
      this.emitEvent('die', rec, attributes);
      await this.store.save(rec).catch(() => {});
      this.wake(rec, code, 'exit');
      this.restarts.schedule(rec, delay);
      return;
    }
    this.setProcessGone(rec, code, error, oom, false);
    if (oomEvent) this.emitEvent('oom', rec);
    this.emitEvent('die', rec, attributes);
    if (rec.HostConfig.AutoRemove && !this.manualRestarts.has(rec.Id)) {
      this.wake(rec, code, 'exit');
      // The exit's clean-up above already unmounted it and removed its bundle and writable layer.
      await this.removeRecord(rec, code, true, released).catch(() => {});
      return;
    }
    await this.store.save(rec).catch(() => {});
    this.wake(rec, code, 'exit');
  }

  private wake(rec: ContainerRecord, code: number, why: WakeReason): void {
    this.waiters.wake(rec.Id, code, why);
  }

  /** Docker's wait: resolves with the exit code when the condition is met. */
  wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<number> {
    const rec = this.get(ref);
    if (condition === 'not-running' && !rec.State.Running) return Promise.resolve(rec.State.ExitCode);
    return this.waiters.wait(rec.Id, condition, signal);
  }

  /** Stops with the stop signal, then SIGKILL after the timeout (seconds; -1 waits forever). */
  async stop(ref: string, opts: { signal?: string; timeout?: number }): Promise<void> {
    const rec = this.get(ref);
    if (!rec.State.Running) throw new NotModified('container already stopped');
    rec.ManuallyStopped = true;
    await this.stopRecord(rec, opts);
  }

  private async stopRecord(rec: ContainerRecord, opts: { signal?: string; timeout?: number }): Promise<void> {
    this.restarts.manager(rec).cancel();
    if (rec.State.Restarting || this.restarts.pending(rec.Id)) {
      await this.restarts.settle(rec);
      // Stopped while waiting to restart: nothing to signal (docker emits only "stop").
      if (!this.exits.get(rec.Id)) {
        this.emitEvent('stop', rec);
        return;
      }
    }
    const exit = this.exits.get(rec.Id);
    if (!exit) return;
    const sig = parseSignal(opts.signal || rec.Config.StopSignal || 'SIGTERM');
    const timeout = opts.timeout ?? rec.Config.StopTimeout ?? 10;
    if (rec.State.Paused) await this.runtime.resume(rec.Id).catch(() => {});
    let stopped = false;
    if (sig !== 'SIGKILL' && sig !== '9') {
      await this.runtime.kill(rec.Id, sig).catch(() => {});
      this.emitEvent('kill', rec, { signal: String(signalNumber(sig)) });
      stopped = await Promise.race([
        this.exitedAndHandled(rec).then(() => true),
        ...(timeout < 0 ? [] : [new Promise<false>((r) => setTimeout(r, timeout * 1000, false).unref())]),
      ]);
    }
    if (!stopped) {
      await this.runtime.kill(rec.Id, 'SIGKILL', true).catch(() => {});
      this.emitEvent('kill', rec, { signal: '9' });
      await this.exitedAndHandled(rec);
    }
    this.emitEvent('stop', rec);
  }

  /** Resolves once the exit has been processed (state saved, waiters woken). */
  private exitedAndHandled(rec: ContainerRecord): Promise<void> {
    return this.exits.get(rec.Id)?.handled ?? Promise.resolve();
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const rec = this.get(ref);
    const sig = parseSignal(signal);
    if (!rec.State.Running) {
      throw new Conflict(`cannot kill container: ${ref}: container ${rec.Id} is not running`);
    }
    if (rec.State.Paused && sig !== 'SIGKILL' && sig !== '9') {
      throw new Conflict(`cannot kill container: ${ref}: container ${rec.Id} is paused. Unpause the container before stopping or killing`);
    }
    const isKill = sig === 'SIGKILL' || sig === '9';
    // As docker: any kill counts as a manual stop; SIGKILL or the stop signal also ends restarting.
    rec.ManuallyStopped = true;
    const stopSignal = rec.Config.StopSignal ? parseSignal(rec.Config.StopSignal) : undefined;
    const ends = isKill || !stopSignal || signalNumber(stopSignal) === signalNumber(sig);
    if (ends) this.restarts.manager(rec).cancel();
    if (rec.State.Restarting || this.restarts.pending(rec.Id)) {
      // No process to signal while waiting to restart (docker sends nothing then either).
      if (!ends) return;
      await this.restarts.settle(rec);
      if (!this.exits.get(rec.Id)) return;
    }
    await this.runtime.kill(rec.Id, sig, isKill);
    this.emitEvent('kill', rec, { signal: String(signalNumber(sig)) });
    if (isKill) {
      await this.exitedAndHandled(rec);
    }
  }

  async restart(ref: string, opts: { signal?: string; timeout?: number }): Promise<void> {
    const rec = this.get(ref);
    if (rec.State.Running) {
      this.manualRestarts.add(rec.Id);
      try {
        await this.stopRecord(rec, opts);
      } finally {
        this.manualRestarts.delete(rec.Id);
      }
    }
    this.restarts.reset(rec);
    await this.startRecord(rec);
    this.emitEvent('restart', rec);
  }

  async pause(ref: string): Promise<void> {
    const rec = this.get(ref);
    if (!rec.State.Running) throw new Conflict(`Container ${rec.Id} is not running`);
    if (rec.State.Paused) throw new Conflict(`Container ${rec.Id} is already paused`);
    if (rec.State.Restarting) throw new Conflict(`Container ${rec.Id} is restarting, wait until the container is running`);
    await this.runtime.pause(rec.Id);
    this.stopHealth(rec.Id);
    rec.State = { ...rec.State, Paused: true, Status: 'paused' };
    await this.store.save(rec);
    this.emitEvent('pause', rec);
  }

  async unpause(ref: string): Promise<void> {
    const rec = this.get(ref);
    if (!rec.State.Paused) throw new Conflict(`Container ${rec.Id} is not paused`);
    await this.runtime.resume(rec.Id);
    rec.State = { ...rec.State, Paused: false, Status: 'running' };
    this.startHealth(rec, false);
    await this.store.save(rec);
    this.emitEvent('unpause', rec);
  }

  async rename(ref: string, newName: string): Promise<void> {
    const rec = this.get(ref);
    if (!newName) throw new InvalidArgument('Neither old nor new names may be empty');
    const full = validateName(newName);
    if (full === rec.Name) throw new InvalidArgument(`Renaming a container with the same name as its current name`);
    this.store.reserveName(full, rec.Id);
    const old = rec.Name;
    this.store.releaseName(old, rec.Id);
    rec.Name = full;
    await this.store.save(rec);
    // Legacy links follow the rename: as their target, and as the linking container (/new/alias).
    for (const other of this.store.all()) {
      const links = other.HostConfig.Links;
      if (!links?.length) continue;
      const next = links.map((entry) => {
        const { target, name } = parseLink(entry);
        const t = target === old ? full : target;
        const n = other.Id === rec.Id && name.startsWith(`${old}/`) ? `${full}${name.slice(old.length)}` : name;
        return `${t}:${n}`;
      });
      if (next.some((l, i) => l !== links[i])) {
        other.HostConfig.Links = next;
        await this.store.save(other);
      }
    }
    this.emitEvent('rename', rec, { oldName: old });
  }

  /** Creates the container's working directory (root, 0755) in its writable layer. */
  private async makeWorkingDir(rec: ContainerRecord): Promise<void> {
    const target = join(this.bundleDir(rec.Id), 'rootfs');
    await mkdir(target, { recursive: true });
    await this.rootfs.mount(rec.Id, target);
    try {
      await mkdir(await resolveInRoot(target, rec.Config.WorkingDir!), { recursive: true, mode: 0o755 });
    } finally {
      await this.rootfs.unmount(target);
      rmSync(this.bundleDir(rec.Id), { recursive: true, force: true }); // made again at start
    }
  }

  /** The names other containers' legacy links give this one (/web/db); ps lists them after its own. */
  linkNamesOf(rec: ContainerRecord): string[] {
    return linkNamesOf(rec, this.store);
  }

  /** DELETE /containers/{name}?link=1: the linking container forgets the link; both containers stay. */
  async removeLink(ref: string): Promise<void> {
    const full = ref.startsWith('/') ? ref : `/${ref}`;
    if (full.lastIndexOf('/') === 0) throw new InvalidArgument('Conflict, cannot remove the default link name of the container');
    const { parent, entry } = resolveLink(this.store, full);
    const rest = parent.HostConfig.Links!.filter((l) => l !== entry);
    parent.HostConfig.Links = rest.length ? rest : null;
    await this.store.save(parent);
  }

  /** DELETE /containers/{parent}/{alias} without link=1 removes the container the link names, as dockerd. */
  async removeByLinkName(ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    await this.remove(resolveLink(this.store, ref).target.Id, opts);
  }

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    const rec = this.get(ref);
    if (rec.State.Status === 'removing') throw new Conflict(`removal of container ${rec.Id} is already in progress`);
    if (rec.State.Running) {
      if (!opts.force) {
        const what = rec.State.Paused ? 'paused' : rec.State.Restarting ? 'restarting' : 'running';
        throw new Conflict(
          `cannot remove container "${rec.Name}": container is ${what}: stop the container before removing or force remove`,
        );
      }
      rec.HostConfig.AutoRemove = false;
      this.restarts.manager(rec).cancel();
      await this.restarts.settle(rec);
      if (this.exits.get(rec.Id)) {
        await this.runtime.kill(rec.Id, 'SIGKILL', true).catch(() => {});
        await this.exitedAndHandled(rec);
      }
    }
    await this.removeRecord(rec, rec.State.ExitCode, opts.volumes ?? false);
  }

  /** Removes the container; with removeVolumes (rm -v, --rm) its anonymous volumes too. */
  private async removeRecord(rec: ContainerRecord, code: number, removeVolumes = false, releasedAtExit = false): Promise<void> {
    // The runtime's state went when the process exited; only a dead container may hold some.
    const runtimeLeft = rec.State.Dead;
    rec.State = { ...rec.State, Status: 'removing' };
    try {
      if (!releasedAtExit) {
        if (runtimeLeft) await this.runtime.delete(rec.Id).catch(() => {});
        await this.rootfs.unmount(join(this.bundleDir(rec.Id), 'rootfs')).catch(() => {});
        await discard(this.bundleDir(rec.Id));
        await unmountVolumes(rec, this.volumes, false);
      }
      if (rec.HostConfig.IpcMode === 'shareable') unmountShm(shmPath(this.store.dir(rec.Id)));
      // The log's rotation (a compression under way) is done with the directory first.
      await this.runtime.unwatchLog(rec.LogPath).catch(() => {});
      await Promise.all([releasedAtExit ? undefined : this.rootfs.remove(rec.Id), this.store.delete(rec)]);
      trace(rec.Id, 'remove: record deleted');
    } catch (err) {
      rec.State = { ...rec.State, Status: 'dead', Dead: true };
      await this.store.save(rec).catch(() => {});
      throw new SystemError(`unable to remove container ${shortId(rec.Id)}: ${messageOf(err)}`, { cause: err });
    }
    this.stopHealth(rec.Id);
    this.restarts.forget(rec.Id);
    this.logOffsets.delete(rec.Id);
    await releaseMountPoints(rec.Id, rec.MountPoints, this.volumes, removeVolumes);
    trace(rec.Id, 'removed');
    traceEnd(rec.Id);
    this.emitEvent('destroy', rec);
    this.wake(rec, code, 'removed');
  }

  /** Streams to and from a container's stdio (see attach.ts for the API side). */
  async attachRuntime(rec: ContainerRecord, stdin: boolean): Promise<AttachStreams> {
    return this.runtime.attach(this.bundleDir(rec.Id), stdin);
  }

  exitPromise(id: string): Promise<number> | undefined {
    return this.exits.get(id)?.code;
  }

  /**
   * After an engine restart: containers that kept running are watched (and health-checked) again;
   * those that exited meanwhile get their exit code from conmon's exit file and then follow their
   * restart policy; stale mounts and bundles are cleaned. Policy restarts wait for startAtBoot(),
   * which the engine calls once the rest of it (networks) is ready.
   */
  async adopt(): Promise<void> {
    const recs = await this.store.load();
    sweepTrash(join(this.opts.execRoot, 'containers'));
    // Volumes in use stay in use across engine restarts; those of containers that were running (or
    // starting) count as mounted until their exit is handled (all registered before any exit unmounts).
    for (const rec of recs) {
      for (const mp of Object.values(rec.MountPoints ?? {})) {
        if (mp.Type !== 'volume' || !mp.Name) continue;
        try {
          this.volumes.reference(mp.Name, rec.Id);
        } catch {
          // removed behind the engine's back
        }
      }
      // (A restarting container has no process: its volumes were unmounted at its exit.)
      if ((rec.State.Running && !rec.State.Restarting) || existsSync(this.bundleDir(rec.Id))) await mountVolumes(rec, this.volumes, false).catch(() => {});
    }
    await Promise.all(recs.map(async (rec) => {
      if (rec.State.Status === 'removing') rec.State = { ...rec.State, Status: 'dead', Dead: true };
      // A bundle without a running state is a start the engine did not finish: treat it as started.
      const midStart = !(rec.State.Running && !rec.State.Restarting) && existsSync(this.bundleDir(rec.Id));
      if (rec.State.Restarting && !midStart) {
        // The engine went down during a restart's back-off: that restart is still due.
        if (isNoRestart(rec.HostConfig.RestartPolicy)) {
          rec.State = { ...rec.State, Status: 'exited', Running: false, Restarting: false };
          await this.store.save(rec).catch(() => {});
        } else {
          this.restarts.schedule(rec, FIRST_DELAY_MS);
        }
        return;
      }
      if (!rec.State.Running && !midStart) return;
      const st = await this.runtime.state(rec.Id).catch(() => undefined);
      if (st && (st.status === 'running' || st.status === 'paused')) {
        rec.State = {
          ...rec.State, Running: true, Restarting: false, Pid: st.pid || rec.State.Pid, Paused: st.status === 'paused', Status: st.status === 'paused' ? 'paused' : 'running',
        };
        this.watchExit(rec);
        this.watchLogOf(rec);
        if (st.status === 'running') this.startHealth(rec, true);
        return;
      }
      // Exited while the engine was down (or the host rebooted: no exit file, 255 as docker's unknown).
      const code = (await this.runtime.exitCode(rec.Id).catch(() => undefined)) ?? 255;
      await this.handleExit(rec, code);
    }));
  }

  /**
   * As dockerd at boot: containers with `always` (or `unless-stopped` and not stopped by the user)
   * that are down are started, with a fresh restart count; then the policy restarts adopt() found
   * due go ahead.
   */
  async startAtBoot(): Promise<void> {
    await Promise.all(this.store.all().filter((rec) => this.startsAtBoot(rec)).map(async (rec) => {
      this.restarts.reset(rec);
      await this.startRecord(rec).catch(() => {});
    }));
    this.booted();
  }

  /** Containers the engine starts at boot although they were down before it stopped. */
  private startsAtBoot(rec: ContainerRecord): boolean {
    const s = rec.State;
    if (s.Running || s.Dead || s.Status === 'created' || s.StartedAt === ZERO_TIME) return false;
    const p = rec.HostConfig.RestartPolicy?.Name;
    return p === 'always' || (p === 'unless-stopped' && !rec.ManuallyStopped);
  }

  /** Engine shutdown: health checks stop; containers, and restarts still due, are left to the next engine. */
  close(): void {
    this.closing = true;
    for (const id of [...this.healthMonitors.keys()]) this.stopHealth(id);
  }

  /** Containers using an image (for rmi's conflict check). */
  usingImage(imageId: string): ContainerRecord | undefined {
    return this.store.all().find((c) => c.Image === imageId);
  }

  async prune(filter: (rec: ContainerRecord) => boolean): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    let space = 0;
    for (const rec of this.store.all()) {
      if (rec.State.Running || rec.State.Status === 'removing' || !filter(rec)) continue;
      space += await this.rootfs.usage(rec.Id).catch(() => 0);
      await this.removeRecord(rec, rec.State.ExitCode);
      deleted.push(rec.Id);
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: space };
  }
}
