import type { HealthConfig } from '../images/types.js';
import type { Health } from './health.js';
import type { NetworkSettings } from '../networks/model.js';

/** The Engine API's container Config (what `POST /containers/create` sends and inspect shows). */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig | null;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  Shell?: string[] | null;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

export interface MountSpec {
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> | null; Subpath?: string; DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] };
}

/**
 * One resolved mount of a container (docker's MountPoint): what `-v`, `--mount`, `--volumes-from`
 * and the image's volumes became at create. Kept in the container's record.
 */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** The volume's name (volumes only). */
  Name?: string;
  /** Host path: the bind source, or the volume's data directory. */
  Source: string;
  Destination: string;
  Driver?: string;
  RW: boolean;
  /** The mode as given (`ro,rshared`); `z` for local volumes given without one, as docker. */
  Mode: string;
  Propagation: string;
  /** Fill an empty volume from the image's content at Destination (copy-up). */
  CopyData: boolean;
  /** The mount as requested; an empty Spec.Source marks an anonymous volume, which rm -v removes. */
  Spec: MountSpec;
  /** A --mount bind: its source must exist and is never created. */
  SkipMountpointCreation?: boolean;
}

/** The Engine API's HostConfig: how the host runs the container. */
export interface HostConfig {
  Binds?: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: { Type: string; Config: Record<string, string> };
  NetworkMode?: string;
  PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }>> | null;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[] | null;
  Mounts?: MountSpec[] | null;
  ConsoleSize?: [number, number];
  Annotations?: Record<string, string> | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  CgroupnsMode?: string;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj?: number;
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  Tmpfs?: Record<string, string> | null;
  UTSMode?: string;
  UsernsMode?: string;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  Isolation?: string;
  CpuShares?: number;
  Memory?: number;
  NanoCpus?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  /** Windows only in dockerd: kept and shown, no effect on Linux. */
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }> | null;
  DeviceCgroupRules?: string[] | null;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  PidsLimit?: number | null;
  Ulimits?: Ulimit[] | null;
  Init?: boolean | null;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  /** Present once a container with a health check has started. */
  Health?: Health;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** What the engine persists per container (config.v2.json). */
export interface ContainerRecord {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  /** Image ID (config digest) the container was created from. */
  Image: string;
  State: ContainerState;
  /** Restarts by the restart policy since the last manual start. */
  RestartCount: number;
  /** Whether the user stopped it (for unless-stopped and restart decisions). */
  ManuallyStopped: boolean;
  LogPath: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  /** Runtime bookkeeping: conmon's pid, for adoption after an engine restart. */
  ConmonPid: number;
  /** The networks the container is on, and its addresses and published ports while it runs. */
  NetworkSettings?: NetworkSettings;
  /** Resolved mounts by destination (absent in records made before volumes existed). */
  MountPoints?: Record<string, MountPoint>;
}

export function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
  };
}
