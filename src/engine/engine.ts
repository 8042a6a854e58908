import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { writeFileAtomic } from '../core/fs-atomic.js';
import { trashSettled } from '../core/trash.js';
import { Conflict, NotFound } from '../core/errors.js';
import { LocalContentStore } from './content/store.js';
import { ImageStore } from './images/image-store.js';
import { parseReference } from './images/references.js';
import { OverlaySnapshotter } from './snapshots/overlay.js';
import { mountAll, unmountAll } from './snapshots/mount.js';
import { ContainerService } from './containers/service.js';
import { ExecService } from './containers/exec.js';
import { sharedInitKey, writeInitLayer } from './snapshots/init-layer.js';
import type { RootfsPort, RuntimePort, VolumeInfo, VolumePort } from './containers/ports.js';
import { VolumeService, type VolumeView } from './volumes/service.js';
import { volumeRoutes } from './api/volumes.js';
import { Router } from './api/router.js';
import { systemRoutes } from './api/system.js';
import { DEFAULT_LOG_DRIVER } from './containers/log-config.js';
import { containerRoutes } from './api/containers.js';
import { containerProcessRoutes } from './api/container-processes.js';
import { containerFileRoutes } from './api/container-files.js';
import { execRoutes } from './api/exec.js';
import { imageRoutes } from './api/images.js';
import { distributionRoutes } from './api/distribution.js';
import { Distribution } from './distribution/client/service.js';
import { pullImage } from './distribution/client/pull.js';
import { credentialsFor } from '../core/docker-config.js';
import { systemDfRoute } from './api/system-df.js';
import { buildRoutes } from './api/build.js';
import { BuildService } from './build/service.js';
import { absentFeatureRoutes } from './api/absent.js';
import { createRuntime, RuntimeTable, type RuntimeConfig } from './runtime/index.js';
import { reloadAttributes, registryInfo, type EngineSettings } from './config/settings.js';
import { EventBus } from './events.js';
import { eventRoutes } from './api/events.js';
import { NetworkService } from './networks/service.js';
import { StepNetworks } from './networks/step-sandbox.js';
import { parseAddressPool } from './networks/subnets.js';
import { parseAddressPool6, ulaPool } from './networks/subnets6.js';
import { networkRoutes } from './api/networks.js';

export interface EngineOptions {
  dataRoot: string;
  execRoot: string;
  /** The default runtime's name (dockerd's --default-runtime), `runc` or one of `runtimes`. */
  runtime: string;
  /** Runtimes besides runc that containers may name (daemon.json "runtimes"). */
  runtimes?: Record<string, RuntimeConfig>;
  /** The engine's labels, debug and registry settings (`docker info`; a reload replaces them). */
  labels?: string[];
  debug?: boolean;
  insecureRegistries?: string[];
  registryMirrors?: string[];
  /** The default log driver and its options for containers that name none (daemon.json log-driver, log-opts). */
  logDriver?: string;
  logOpts?: Record<string, string>;
  /** Ulimits of containers that set none of that name (--default-ulimit). */
  defaultUlimits?: Record<string, { Name: string; Soft: number; Hard: number }>;
  /** resolv.conf of containers that give none of their own (--dns, --dns-search, --dns-opt). */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** The default bridge (dockerd's --bridge, --bip) and the pools of new networks. */
  bridge: string;
  bip: string;
  defaultAddressPools: string[];
  /** dockerd's --cpu-rt-period / --cpu-rt-runtime: the real-time budget of the containers' parent cgroups. */
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  log: (level: string, msg: string) => void;
}

/** A container's root filesystem: a writable overlay snapshot named by the container ID. */
class SnapshotRootfs implements RootfsPort {
  /** chainInUse: whether an image still stands on a layer snapshot (see remove). */
  constructor(private readonly sn: OverlaySnapshotter, private readonly chainInUse: (chain: string) => boolean) {}

  /**
   * The container's layer goes on the init layer of its image (the engine's mount points, see
   * init-layer.ts): the same for every container of the image, so it is made once and shared,
   * rather than written and removed again with each container (two metadata writes and a walk
   * of the image's layers per run). The image's removal removes it (image-store.ts).
   */
  async prepare(key: string, parent: string | null): Promise<void> {
    const init = sharedInitKey(parent);
    for (let attempt = 0; ; attempt++) {
      await this.sn.createCommitted(init, parent, writeInitLayer).catch((err: unknown) => {
        if (!(err instanceof Conflict)) throw err; // there already
      });
      try {
        await this.sn.prepare(key, init);
        return;
      } catch (err) {
        // Removed with its image in between: made again once.
        if (!(err instanceof NotFound) || attempt > 0) throw err;
      }
    }
  }

  async mount(key: string, target: string): Promise<void> {
    mountAll(await this.sn.mounts(key), target);
  }

  async unmount(target: string): Promise<void> {
    unmountAll(target);
  }

  async remove(key: string): Promise<void> {
    const parent = await this.sn.stat(key).then((i) => i.parent, () => undefined);
    // A container made before shared init layers has one of its own; before init layers, none.
    for (const k of [key, `${key}-init`]) {
      await this.sn.remove(k).catch((err: unknown) => {
        if (!(err instanceof Error && err.name === 'NotFound')) throw err;
      });
    }
    if (parent?.startsWith('init:')) await this.releaseUnused(parent);
  }

  /**
   * The last container of an image removed with `rmi -f` while it existed: its init layer and the
   * image's layer snapshots no other image stands on go now (the image's removal had to keep them).
   */
  private async releaseUnused(init: string): Promise<void> {
    let k: string | undefined = init;
    while (k !== undefined) {
      const chain: string | undefined = k.startsWith('init:') ? k.slice('init:'.length) : k;
      if (this.chainInUse(chain)) return;
      const up: string | undefined = await this.sn.stat(k).then((i) => i.parent, () => undefined);
      try {
        await this.sn.remove(k);
      } catch {
        return; // another container or layer stands on it
      }
      k = up;
    }
  }

  async usage(key: string): Promise<number> {
    return (await this.sn.usage(key)).size;
  }
}

/** The volumes a container uses, through the volume service. */
class ServiceVolumes implements VolumePort {
  constructor(private readonly svc: VolumeService) {}

  private static info(v: VolumeView): VolumeInfo {
    return { name: v.Name, driver: v.Driver, mountpoint: v.Mountpoint };
  }

  async acquire(name: string, containerId: string, opts: { driver?: string; driverOpts?: Record<string, string> | null; labels?: Record<string, string> | null } = {}): Promise<VolumeInfo> {
    const v = await this.svc.create({ Name: name, Driver: opts.driver, DriverOpts: opts.driverOpts, Labels: opts.labels }, containerId);
    return ServiceVolumes.info(v);
  }

  reference(name: string, containerId: string): VolumeInfo {
    return ServiceVolumes.info(this.svc.reference(name, containerId));
  }

  release(name: string, containerId: string): void {
    this.svc.release(name, containerId);
  }

  removeIfUnused(name: string): Promise<void> {
    return this.svc.removeIfUnused(name);
  }

  mount(name: string, mountId: string, event?: Record<string, string>): Promise<string> {
    return this.svc.mount(name, mountId, event);
  }

  unmount(name: string, mountId: string, event?: Record<string, string>): Promise<void> {
    return this.svc.unmount(name, mountId, event);
  }

  populate(name: string, from: string): Promise<void> {
    return this.svc.populate(name, from);
  }
}

function cgroupVersion(): '1' | '2' {
  return existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1';
}

/** The engine's services and API routes, wired together (the composition root). */
export class Engine {
  private constructor(
    readonly router: Router,
    readonly containers: ContainerService,
    readonly images: ImageStore,
    private readonly runtime: RuntimePort,
    private readonly snapshotter: OverlaySnapshotter,
    private readonly events: EventBus,
    private readonly id: string,
    private settings: EngineSettings,
    private readonly runtimes: RuntimeTable,
  ) {}

  get current(): EngineSettings {
    return this.settings;
  }

  /** Applies reloaded settings (SIGHUP) and tells event listeners, as dockerd's `daemon reload`. */
  reload(next: EngineSettings): void {
    this.settings = next;
    this.runtimes.replace(next.runtimes, next.defaultRuntime);
    this.events.publish('daemon', 'reload', this.id, reloadAttributes(next, hostname()));
  }

  static async open(opts: EngineOptions): Promise<Engine> {
    const { dataRoot, execRoot } = opts;
    await mkdir(dataRoot, { recursive: true, mode: 0o710 });
    await mkdir(execRoot, { recursive: true, mode: 0o700 });
    const id = await engineId(dataRoot);
    const content = await LocalContentStore.open(join(dataRoot, 'content'));
    const snapshotter = await OverlaySnapshotter.open(join(dataRoot, 'snapshots'));
    // The image store asks which container uses an image; the containers service needs the store.
    const late: { containers?: ContainerService } = {};
    const images = await ImageStore.open({
      content,
      root: join(dataRoot, 'images'),
      snapshotter,
      isInUse: (imageId) => {
        const c = late.containers?.usingImage(imageId);
        return c ? { id: c.Id, running: c.State.Running } : undefined;
      },
    });
    const runtimes = new RuntimeTable(opts.runtimes ?? {}, opts.runtime);
    // Read at each start: a reload may replace them.
    const defaultUlimits = (): NonNullable<EngineOptions['defaultUlimits']> => (live.engine?.current ?? settings).defaultUlimits;
    const runtime = await createRuntime({ execRoot, runtimes, defaultUlimits, log: opts.log, cpuRealtime: { period: opts.cpuRtPeriod, runtime: opts.cpuRtRuntime } });
    const settings: EngineSettings = {
      labels: opts.labels ?? [], debug: opts.debug ?? false, insecureRegistries: opts.insecureRegistries ?? [],
      registryMirrors: opts.registryMirrors ?? [], runtimes: opts.runtimes ?? {}, defaultRuntime: opts.runtime,
      defaultUlimits: opts.defaultUlimits ?? {},
    };
    // Filled in once the engine exists: info reads the settings a reload may have replaced.
    const live: { engine?: Engine } = {};
    const events = new EventBus();
    const volumes = await VolumeService.open(join(dataRoot, 'volumes'), (action, name, attributes) => events.publish('volume', action, name, attributes));
    const networks = new NetworkService({
      dataRoot, execRoot, defaultBridge: opts.bridge, defaultBip: opts.bip, log: opts.log,
      // IPv6 pools come through the same flag, as dockerd's --default-address-pool; without one, the engine's ULA prefix.
      pools: opts.defaultAddressPools.filter((p) => !p.includes(':')).map(parseAddressPool),
      pools6: opts.defaultAddressPools.some((p) => p.includes(':'))
        ? opts.defaultAddressPools.filter((p) => p.includes(':')).map(parseAddressPool6)
        : [ulaPool(id)],
      dns: { dns: opts.dns ?? [], dnsSearch: opts.dnsSearch ?? [], dnsOptions: opts.dnsOptions ?? [] },
    });
    const containers = new ContainerService({ dataRoot, execRoot, logDriver: opts.logDriver, logOpts: opts.logOpts }, { get: (ref) => images.get(ref) }, new SnapshotRootfs(snapshotter, (c) => images.chainInUse(c)), runtime, networks, new ServiceVolumes(volumes));
    late.containers = containers;
    await networks.open({ all: () => containers.list(), get: (ref) => containers.get(ref), save: (rec) => containers.store.save(rec) });
    networks.on('event', (e) => {
      events.publish('network', e.action, e.network.Id, { name: e.network.Name, type: e.network.Driver, ...(e.container ? { container: e.container } : {}) });
    });
    containers.on('event', (e) => {
      if (e.action === 'start-failed') return;
      events.publish('container', e.action, e.rec.Id, {
        ...(e.rec.Config.Labels ?? {}),
        image: e.rec.Config.Image ?? '',
        name: e.rec.Name.slice(1),
        ...(e.attributes ?? {}),
      });
    });
    // After the event wiring: adoption's exits and restarts are events too (die, start).
    await containers.adopt();
    await networks.resume();
    // Boot restarts once the networks of the containers that kept running are ready again.
    await containers.startAtBoot();
    const execs = new ExecService(containers);

    let runtimeVersion = '';
    void promisify(execFile)('runc', ['--version']).then(
      (r) => { runtimeVersion = /version (\S+)/.exec(r.stdout)?.[1] ?? ''; },
      () => {},
    );

    const router = new Router(opts.log);
    const svc = containers;
    systemRoutes(router, {
      id,
      dataRoot,
      runtimeVersion: () => runtimeVersion,
      daemon: () => {
        const s = live.engine?.current ?? settings;
        return {
          labels: s.labels, debug: s.debug, runtimes: runtimes.all(), defaultRuntime: runtimes.default,
          registry: registryInfo(s.insecureRegistries, s.registryMirrors), loggingDriver: opts.logDriver || DEFAULT_LOG_DRIVER,
        };
      },
      cgroupVersion: cgroupVersion(),
      eventListeners: () => events.listeners,
      counts: () => {
        const all = svc.list();
        const running = all.filter((c) => c.State.Running && !c.State.Paused).length;
        const paused = all.filter((c) => c.State.Paused).length;
        return { containers: all.length, running, paused, stopped: all.length - running - paused, images: images.summary().length };
      },
    });
    containerRoutes(router, {
      containers,
      imageIdOf: (ref) => {
        try {
          return images.getSync(ref).id;
        } catch {
          return undefined;
        }
      },
      execIdsOf: (cid) => execs.idsOf(cid),
      graphDriverOf: (cid) => ({ Name: 'overlay2', ID: cid }),
      sizeOf: async (cid) => {
        const rw = (await snapshotter.usage(cid).catch(() => ({ size: 0 }))).size;
        const rec = svc.get(cid);
        const img = await images.get(rec.Image).catch(() => undefined);
        return { rw, rootFs: rw + (img?.size ?? 0) };
      },
    });
    containerProcessRoutes(router, containers);
    containerFileRoutes(router, { containers, images, snapshotter, execRoot, volumes });
    execRoutes(router, execs);
    const distribution = await Distribution.open({
      images, snapshotter, events, dataRoot,
      settings: () => live.engine?.current ?? settings,
      storedCredentials: (registry) => credentialsFor(registry),
    });
    const registry = { distribution, log: opts.log };
    imageRoutes(router, { images, snapshotter, events, registry });
    distributionRoutes(router, registry);
    eventRoutes(router, events);
    volumeRoutes(router, volumes);
    const stepNetworks = new StepNetworks(networks, execRoot);
    await stepNetworks.sweep();
    const builds = await BuildService.open({
      dataRoot, execRoot, images, snapshotter, networks: stepNetworks,
      // a base the engine lacks (or every one, with --pull) comes through the registry client
      pull: async (name, o) => {
        const ref = parseReference(name);
        const auth = o.auth?.get(ref.domain);
        const r = await pullImage(distribution, { ref, ...(auth ? { auth } : {}) }, (m) => o.progress({ ...m }), o.signal);
        return r.images[0]!;
      },
    });
    systemDfRoute(router, { containers, images, snapshotter, volumes, buildCache: () => builds.usage() });
    buildRoutes(router, { builds, events });
    networkRoutes(router, networks);
    absentFeatureRoutes(router);
    live.engine = new Engine(router, containers, images, runtime, snapshotter, events, id, settings, runtimes);
    return live.engine;
  }

  async close(): Promise<void> {
    // Containers keep running under conmon; the engine's own timers (health probes) stop, and
    // records still being written must land, or the next engine would adopt a running container
    // as the state before (created, say).
    this.containers.close();
    await Promise.all([this.containers.store.flush(), this.snapshotter.settled(), this.runtime.closeLogs(), trashSettled()]);
  }
}

/** A stable engine ID kept in the data root (docker's engine-id). */
async function engineId(dataRoot: string): Promise<string> {
  const path = join(dataRoot, 'engine-id');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    const id = [4, 2, 2, 2, 6].map((n) => randomBytes(n).toString('hex')).join('-');
    await writeFileAtomic(path, id);
    return id;
  }
}
