import type { Readable, Writable } from 'node:stream';
import type { Image } from '../images/types.js';
import type { ContainerRecord, HostConfig } from './model.js';
import type { LogPolicy } from './log-config.js';
import type { EndpointConfig, NetworkSettings } from '../networks/model.js';

/**
 * What the containers service needs from the rest of the engine: small ports, so the lifecycle
 * reads on its own and each side can be tested with fakes.
 */

export interface ImagePort {
  /** Resolves a reference or ID; NotFound `No such image: x` otherwise. */
  get(ref: string): Promise<Image>;
}

export interface Mount {
  type: string;
  source: string;
  options: string[];
}

export interface RootfsPort {
  /** A writable snapshot for the container on top of the image's layers. */
  prepare(key: string, parent: string | null): Promise<void>;
  /** Mounts the container's snapshot at target. */
  mount(key: string, target: string): Promise<void>;
  unmount(target: string): Promise<void>;
  remove(key: string): Promise<void>;
  /** Bytes in the container's writable layer. */
  usage(key: string): Promise<number>;
}

/** A volume as the containers service sees it. */
export interface VolumeInfo {
  name: string;
  driver: string;
  /** Host path of the volume's data. */
  mountpoint: string;
}

/**
 * Volumes a container uses. References (by container ID) keep a volume from being removed while
 * any container, running or not, has it; mounts (by a mount ID) keep volumes with mount options
 * mounted while running containers use them.
 */
export interface VolumePort {
  /**
   * Finds or creates a volume (name '' creates an anonymous one) and records the container as a
   * user. Errors in docker's wording (`create NAME: ...`).
   */
  acquire(name: string, containerId: string, opts?: { driver?: string; driverOpts?: Record<string, string> | null; labels?: Record<string, string> | null }): Promise<VolumeInfo>;
  /** Records the container as a user of an existing volume (--volumes-from, adoption). */
  reference(name: string, containerId: string): VolumeInfo;
  release(name: string, containerId: string): void;
  /** Removes the volume unless some container still uses it. */
  removeIfUnused(name: string): Promise<void>;
  /** Makes the volume's data available; `event` attributes publish docker's mount event. */
  mount(name: string, mountId: string, event?: Record<string, string>): Promise<string>;
  unmount(name: string, mountId: string, event?: Record<string, string>): Promise<void>;
  /** Copy-up: fills an empty volume with the content of a directory of the image. */
  populate(name: string, from: string): Promise<void>;
}

/** One runtime session (a started container's stdio) the attach code talks to. */
export interface AttachStreams {
  /** Writes to the container's stdin; ending it closes stdin (unless the container keeps it open). */
  stdin: Writable | null;
  /** Docker multiplexed frames for non-TTY containers, raw bytes for TTY ones. */
  output: Readable;
  close(): void;
}

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds, as docker prints with -t. */
  time: string;
  /** The line's bytes, with the newline when the line was complete. */
  data: Buffer;
}

export interface LogQuery {
  follow: boolean;
  /** Nanoseconds since the epoch: only lines at or after. */
  since?: bigint;
  /** Nanoseconds since the epoch: only lines before. */
  until?: bigint;
  tail?: number;
  stdout: boolean;
  stderr: boolean;
  /** Start reading here (attach before start reads only this run's output). */
  from?: LogPosition;
}

/** A place in a container's log: the file (by inode) and the byte offset in it. */
export interface LogPosition { ino: number; offset: number }

export interface RunRequest {
  rec: ContainerRecord;
  image: Image;
  bundleDir: string;
  rootfs: string;
  logPath: string;
  /** Called with the container's pid after the runtime created it and before its process runs. */
  beforeStart?: (pid: number) => Promise<void>;
  /** A network namespace made for the container (else the spec's network mode decides). */
  netns?: string;
  /** Variables the engine sets before the container's own (legacy links'). */
  extraEnv?: string[];
  /** Host directory bound on /dev/shm (a shareable IPC namespace's shared memory). */
  shmSource?: string;
  /** A container's full ID from a name or ID prefix (`container:<name>` namespace modes). */
  containerId?: (ref: string) => string;
  /** How the log file is kept (its driver's rotation). */
  logPolicy: LogPolicy;
}

export interface RuntimeState {
  status: 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
}

export interface ExecRequest {
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  /** The container's supplementary groups (HostConfig.GroupAdd), which its execs keep. */
  groupAdd?: string[];
  tty: boolean;
  stdin: boolean;
  privileged: boolean;
  /** Docker's --detach-keys do not apply here: the API side handles them. */
  consoleSize?: [number, number];
}

/** A process started in a running container. */
export interface ExecProcess {
  pid: number;
  stdin: Writable | null;
  /** Docker multiplexed frames for non-TTY processes, raw bytes for TTY ones. */
  output: Readable;
  /** Exit code; resolves after the output has ended. */
  exit: Promise<number>;
  resize(rows: number, cols: number): Promise<void>;
}

export interface ResourceUpdate {
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
  nanoCpus?: number;
  cpuShares?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number;
  blkioWeight?: number;
}

export interface RuntimePort {
  /** The runtime a new container runs with (HostConfig.Runtime, else the default); unknown names are refused. */
  runtimeName(requested: string | undefined): string;
  /** Host PIDs of the container's processes. */
  pids(id: string): Promise<number[]>;
  /** One sample in the Engine API's stats shape (without name/id, which the caller adds). */
  stats(id: string): Promise<Record<string, unknown>>;
  update(id: string, r: ResourceUpdate): Promise<void>;
  exec(id: string, bundleDir: string, req: ExecRequest): Promise<ExecProcess>;
  /** Creates (through conmon) and starts the container; throws with the runtime's own reason. */
  run(req: RunRequest): Promise<{ pid: number; conmonPid: number }>;
  /** Resolves with the exit code once the container's process is gone. */
  waitExit(id: string): Promise<number>;
  /** Exit code conmon recorded, if the container has exited (used when adopting after a restart). */
  exitCode(id: string): Promise<number | undefined>;
  state(id: string): Promise<RuntimeState | undefined>;
  kill(id: string, signal: string, all?: boolean): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Removes the runtime's container (and cgroup); best effort when already gone. */
  delete(id: string): Promise<void>;
  oomKilled(id: string): Promise<boolean>;
  /** Calls onOom at each OOM of the running container, as it happens, until stop(). */
  watchOom(bundleDir: string, onOom: () => void): { stop(): void };
  attach(bundleDir: string, stdin: boolean): Promise<AttachStreams>;
  resize(bundleDir: string, rows: number, cols: number): Promise<void>;
  logs(path: string, q: LogQuery, signal: AbortSignal, exited: Promise<unknown>): AsyncIterable<LogEntry>;
  /** Where the log ends now. */
  logPosition(path: string): Promise<LogPosition>;
  /** Keeps an adopted running container's log per its policy again (run keeps a started one's). */
  watchLog(path: string, bundleDir: string, policy: LogPolicy): Promise<void>;
  /** The container's conmon is gone: its log is left as its rotation has it. */
  unwatchLog(path: string): Promise<void>;
  /** The engine stops: rotations settle (conmon goes on writing, within its cut). */
  closeLogs(): Promise<void>;
}

/** The container's networking: memberships at create, joining and leaving around each run. */
export interface NetworkPort {
  /** Validates the networks a new container asks for (NetworkMode and NetworkingConfig). */
  endpointsFor(hc: HostConfig, endpoints: Record<string, EndpointConfig> | null | undefined, macAddress?: string): NetworkSettings;
  /** Writes the sources of /etc/hostname, /etc/hosts and /etc/resolv.conf. */
  writeEtcFiles(rec: ContainerRecord): Promise<void>;
  /**
   * The network namespace the container is to run in, made now; its networks are joined in the
   * background (`joined`, to await before the container's process runs). Undefined: the runtime
   * makes the namespace (none) or the spec names another one (host, container:).
   */
  prepare(rec: ContainerRecord): Promise<{ netns: string; joined: Promise<void> } | undefined>;
  /** Leaves its networks and removes its namespace: after its exit, or a failed start. */
  detach(rec: ContainerRecord): Promise<void>;
}
