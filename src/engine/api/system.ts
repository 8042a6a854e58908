import { cpus, hostname, release, totalmem } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { API_VERSION, MIN_API_VERSION, type Router } from './router.js';
import { ENGINE_VERSION } from '../version.js';
import { infoForVersion } from './versions.js';

export interface SystemInfoDeps {
  id: string;
  dataRoot: string;
  counts: () => { containers: number; running: number; paused: number; stopped: number; images: number };
  runtimeVersion: () => string;
  /** What the engine's configuration sets (labels, debug, runtimes, registries), as it is now. */
  daemon: () => {
    labels: string[];
    debug: boolean;
    runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
    defaultRuntime: string;
    registry: object;
    loggingDriver: string;
  };
  cgroupVersion: '1' | '2';
  eventListeners: () => number;
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

export function systemRoutes(r: Router, d: SystemInfoDeps): void {
  const ping = (ctx: Parameters<Parameters<Router['on']>[2]>[0]): void => {
    const res = ctx.res!;
    res.writeHead(200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Builder-Version': '1',
      Swarm: 'inactive',
      'Content-Length': ctx.req.method === 'HEAD' ? '0' : '2',
    });
    res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  };
  r.on(['GET', 'HEAD'], '/_ping', ping);

  r.on('GET', '/version', (ctx) => {
    const details = { ApiVersion: API_VERSION, Arch: 'amd64', BuildTime: '', Experimental: 'false', GitCommit: '', GoVersion: `node${process.versions.node}`, KernelVersion: release(), MinAPIVersion: MIN_API_VERSION, Os: 'linux' };
    ctx.send(200, {
      Platform: { Name: 'minke' },
      Components: [{ Name: 'Engine', Version: ENGINE_VERSION, Details: details }, { Name: 'runc', Version: d.runtimeVersion(), Details: { GitCommit: '' } }],
      Version: ENGINE_VERSION,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: '',
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: 'amd64',
      KernelVersion: release(),
      BuildTime: '',
    });
  });

  r.on('GET', '/info', (ctx) => {
    const c = d.counts();
    const cfg = d.daemon();
    ctx.send(200, infoForVersion(ctx.version, {
      ID: d.id,
      Containers: c.containers,
      ContainersRunning: c.running,
      ContainersPaused: c.paused,
      ContainersStopped: c.stopped,
      Images: c.images,
      Driver: 'overlay2',
      DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true'], ['Using metacopy', 'false'], ['Native Overlay Diff', 'true'], ['userxattr', 'false']],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: true,
      SwapLimit: existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes') || d.cgroupVersion === '2',
      KernelMemoryTCP: false,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1',
      BridgeNfIptables: false,
      BridgeNfIp6tables: false,
      Debug: cfg.debug,
      NFd: 0,
      OomKillDisable: d.cgroupVersion === '1',
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: cfg.loggingDriver,
      CgroupDriver: 'cgroupfs',
      CgroupVersion: d.cgroupVersion,
      NEventsListener: d.eventListeners(),
      KernelVersion: release(),
      OperatingSystem: osName(),
      OSVersion: '',
      OSType: 'linux',
      Architecture: 'x86_64',
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: cfg.registry,
      NCPU: cpus().length,
      MemTotal: totalmem(),
      GenericResources: null,
      DockerRootDir: d.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: hostname(),
      Labels: cfg.labels,
      ExperimentalBuild: false,
      ServerVersion: ENGINE_VERSION,
      Runtimes: cfg.runtimes,
      DefaultRuntime: cfg.defaultRuntime,
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: 'tini-static',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: d.runtimeVersion() },
      InitCommit: { ID: '' },
      SecurityOptions: ['name=seccomp,profile=builtin', ...(d.cgroupVersion === '2' ? ['name=cgroupns'] : [])],
      CDISpecDirs: [],
      Warnings: null,
    }));
  });
}
