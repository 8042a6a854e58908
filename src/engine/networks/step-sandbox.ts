/**
 * A build step's network, as Docker's builder gives its RUN containers: the same sandbox a
 * container gets (a network namespace joined to the network through the bridge and host-local
 * CNI plugins, /etc/hosts with its address and --add-host's lines, resolv.conf as a container's),
 * made for the step and released when it ends. The step stands in as a container record that no
 * container list shows, so the network service's own attach and detach serve it unchanged.
 */
import { initialState, type ContainerRecord } from '../containers/model.js';
import { InvalidArgument } from '../../core/errors.js';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MNT_DETACH, sys } from '../../core/native.js';
import type { StepNetworkPort, StepNetworkRequest, StepSandbox } from '../build/run-step.js';
import type { NetworkService } from './service.js';

const STEP_PREFIX = 'build-';

export class StepNetworks implements StepNetworkPort {
  constructor(private readonly networks: NetworkService, private readonly execRoot: string) {}

  /**
   * What the steps of an engine that died mid-build left: their namespaces (which take their
   * interfaces with them) and their address leases. Run at start, before any build.
   */
  async sweep(): Promise<void> {
    const nsDir = join(this.execRoot, 'netns');
    for (const name of await readdir(nsDir).catch(() => [] as string[])) {
      if (!name.startsWith(STEP_PREFIX)) continue;
      try {
        sys().umount(join(nsDir, name), MNT_DETACH);
      } catch {
        // not mounted
      }
      await rm(join(nsDir, name), { force: true });
    }
    const ipam = join(this.execRoot, 'networks', 'ipam');
    for (const net of await readdir(ipam).catch(() => [] as string[])) {
      for (const lease of await readdir(join(ipam, net)).catch(() => [] as string[])) {
        const holder = await readFile(join(ipam, net, lease), 'utf8').catch(() => '');
        if (holder.startsWith(STEP_PREFIX)) await rm(join(ipam, net, lease), { force: true });
      }
    }
  }

  /** The build's network mode: default (the default bridge), host, none or a network by name; docker's error when there is none. */
  check(mode: string): void {
    if (mode.startsWith('container:')) throw new InvalidArgument(`network mode "${mode}" is not supported by the builder: use default, host, none or a network's name`);
    if (mode !== 'default') this.networks.get(mode);
  }

  async open(req: StepNetworkRequest): Promise<StepSandbox> {
    if (!req.id.startsWith(STEP_PREFIX)) throw new Error(`a step's ID starts with ${STEP_PREFIX}: ${req.id}`);
    this.check(req.mode);
    const rec: ContainerRecord = {
      Id: req.id, Name: `/${req.id}`, Created: new Date().toISOString(), Path: '', Args: [],
      Config: { Hostname: req.hostname, ExposedPorts: null },
      HostConfig: { NetworkMode: req.mode === 'default' ? 'bridge' : req.mode, ExtraHosts: req.extraHosts, PortBindings: null },
      Image: '', State: initialState(), RestartCount: 0, ManuallyStopped: false, LogPath: '', ConmonPid: 0,
      ResolvConfPath: join(req.dir, 'resolv.conf'), HostnamePath: join(req.dir, 'hostname'), HostsPath: join(req.dir, 'hosts'),
    };
    rec.NetworkSettings = this.networks.endpointsFor(rec.HostConfig, null);
    await this.networks.writeEtcFiles(rec);
    const sandbox = await this.networks.prepare(rec);
    const driver = Object.values(rec.NetworkSettings.Networks).map((ep) => this.networks.get(ep.NetworkID).Driver)[0];
    return {
      network: sandbox ? { path: sandbox.netns } : driver === 'host' ? 'host' : 'none',
      hostnamePath: rec.HostnamePath, hostsPath: rec.HostsPath, resolvConfPath: rec.ResolvConfPath,
      joined: sandbox?.joined ?? Promise.resolve(),
      release: async () => {
        await sandbox?.joined.catch(() => {});
        await this.networks.detach(rec);
      },
    };
  }
}
