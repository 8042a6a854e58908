/**
 * The Go types dockerd decodes each Engine API body into (moby's api/types, as of API 1.47-1.51),
 * so that errors name the struct and type as dockerd's do. Embedded structs are listed with their
 * fields promoted (Go's errors then name the outer struct: "HostConfig.HostConfig.Memory").
 * A field name ending in '!' is one the engine's interfaces declare required: it is filled with
 * its zero value when absent, as Go's struct would hold it.
 */
import {
  array, bool, duration, embed, emptyStruct, fileMode, int, int64, map, ptr, slice, str, strslice, struct, uint, uint16, uint64,
  type GoType,
} from './go-decode.js';

const strings = slice(str());
const stringMap = map(str());

const healthConfig = struct('container.HealthConfig', {
  Test: strings, Interval: duration, Timeout: duration, StartPeriod: duration, StartInterval: duration, Retries: int,
});

const containerConfig = struct('container.Config', {
  Hostname: str(), Domainname: str(), User: str(), AttachStdin: bool, AttachStdout: bool, AttachStderr: bool,
  ExposedPorts: map(emptyStruct, 'nat.PortSet'), Tty: bool, OpenStdin: bool, StdinOnce: bool, Env: strings, Cmd: strslice,
  Healthcheck: ptr(healthConfig), ArgsEscaped: bool, Image: str(), Volumes: map(emptyStruct), WorkingDir: str(),
  Entrypoint: strslice, NetworkDisabled: bool, MacAddress: str(), OnBuild: strings, Labels: stringMap, StopSignal: str(),
  StopTimeout: ptr(int), Shell: strslice,
}, 'Config');

const restartPolicy = struct('container.RestartPolicy', { 'Name!': str('container.RestartPolicyMode'), MaximumRetryCount: int });
const weightDevice = struct('blkiodev.WeightDevice', { Path: str(), Weight: uint16 });
const throttleDevice = struct('blkiodev.ThrottleDevice', { Path: str(), Rate: uint64 });

const resources = struct('container.Resources', {
  CpuShares: int64, Memory: int64, NanoCpus: int64, CgroupParent: str(), BlkioWeight: uint16,
  BlkioWeightDevice: slice(ptr(weightDevice)), BlkioDeviceReadBps: slice(ptr(throttleDevice)),
  BlkioDeviceWriteBps: slice(ptr(throttleDevice)), BlkioDeviceReadIOps: slice(ptr(throttleDevice)),
  BlkioDeviceWriteIOps: slice(ptr(throttleDevice)), CpuPeriod: int64, CpuQuota: int64, CpuRealtimePeriod: int64,
  CpuRealtimeRuntime: int64, CpusetCpus: str(), CpusetMems: str(),
  Devices: slice(struct('container.DeviceMapping', { 'PathOnHost!': str(), 'PathInContainer!': str(), 'CgroupPermissions!': str() })),
  DeviceCgroupRules: strings,
  DeviceRequests: slice(struct('container.DeviceRequest', { Driver: str(), Count: int, DeviceIDs: strings, Capabilities: slice(strings), Options: stringMap })),
  KernelMemory: int64, KernelMemoryTCP: int64, MemoryReservation: int64, MemorySwap: int64, MemorySwappiness: ptr(int64),
  OomKillDisable: ptr(bool), PidsLimit: ptr(int64),
  Ulimits: slice(ptr(struct('units.Ulimit', { 'Name!': str(), 'Hard!': int64, 'Soft!': int64 }))),
  CpuCount: int64, CpuPercent: int64, IOMaximumIOps: uint64, IOMaximumBandwidth: uint64,
});

const mount = struct('mount.Mount', {
  'Type!': str('mount.Type'), Source: str(), 'Target!': str(), ReadOnly: bool, Consistency: str('mount.Consistency'),
  BindOptions: ptr(struct('mount.BindOptions', {
    Propagation: str('mount.Propagation'), NonRecursive: bool, CreateMountpoint: bool, ReadOnlyNonRecursive: bool, ReadOnlyForceRecursive: bool,
  })),
  VolumeOptions: ptr(struct('mount.VolumeOptions', {
    NoCopy: bool, Labels: stringMap, Subpath: str(), DriverConfig: ptr(struct('mount.Driver', { Name: str(), Options: stringMap })),
  })),
  TmpfsOptions: ptr(struct('mount.TmpfsOptions', { SizeBytes: int64, Mode: fileMode, Options: slice(strings) })),
  ClusterOptions: ptr(struct('mount.ClusterOptions', {})),
});

const hostConfig = embed('container.HostConfig', struct('container.HostConfig', {
  Binds: strings, ContainerIDFile: str(),
  LogConfig: struct('container.LogConfig', { 'Type!': str(), 'Config!': stringMap }),
  NetworkMode: str('container.NetworkMode'),
  PortBindings: map(slice(struct('nat.PortBinding', { HostIp: str(), HostPort: str() })), 'nat.PortMap'),
  RestartPolicy: restartPolicy, AutoRemove: bool, VolumeDriver: str(), VolumesFrom: strings, ConsoleSize: array(uint, 2),
  Annotations: stringMap, CapAdd: strslice, CapDrop: strslice, CgroupnsMode: str('container.CgroupnsMode'), Dns: strings,
  DnsOptions: strings, DnsSearch: strings, ExtraHosts: strings, GroupAdd: strings, IpcMode: str('container.IpcMode'),
  Cgroup: str('container.CgroupSpec'), Links: strings, OomScoreAdj: int, PidMode: str('container.PidMode'), Privileged: bool,
  PublishAllPorts: bool, ReadonlyRootfs: bool, SecurityOpt: strings, StorageOpt: stringMap, Tmpfs: stringMap,
  UTSMode: str('container.UTSMode'), UsernsMode: str('container.UsernsMode'), ShmSize: int64, Sysctls: stringMap,
  Runtime: str(), Isolation: str('container.Isolation'),
}), resources, struct('container.HostConfig', { Mounts: slice(mount), MaskedPaths: strings, ReadonlyPaths: strings, Init: ptr(bool) }));

const endpointSettings = struct('network.EndpointSettings', {
  IPAMConfig: ptr(struct('network.EndpointIPAMConfig', { IPv4Address: str(), IPv6Address: str(), LinkLocalIPs: strings })),
  Links: strings, Aliases: strings, MacAddress: str(), DriverOpts: stringMap, GwPriority: int, NetworkID: str(),
  EndpointID: str(), Gateway: str(), IPAddress: str(), IPPrefixLen: int, IPv6Gateway: str(), GlobalIPv6Address: str(),
  GlobalIPv6PrefixLen: int, DNSNames: strings,
});

/** POST /containers/create, and the config of POST /commit (dockerd decodes both with its container decoder). */
export const CONTAINER_CREATE: GoType = embed('container.CreateRequest', containerConfig, struct('container.CreateRequest', {
  HostConfig: ptr(hostConfig),
  NetworkingConfig: ptr(struct('network.NetworkingConfig', { EndpointsConfig: map(ptr(endpointSettings)) })),
}));

/** POST /containers/{id}/update. */
export const CONTAINER_UPDATE: GoType = embed('container.UpdateConfig', resources, struct('container.UpdateConfig', { RestartPolicy: restartPolicy }));

const consoleSize = ptr(array(uint, 2));

/** POST /containers/{id}/exec. */
export const EXEC_CREATE: GoType = struct('container.ExecOptions', {
  User: str(), Privileged: bool, Tty: bool, ConsoleSize: consoleSize, AttachStdin: bool, AttachStderr: bool,
  AttachStdout: bool, Detach: bool, DetachKeys: str(), Env: strings, WorkingDir: str(), Cmd: strings,
});

/** POST /exec/{id}/start. */
export const EXEC_START: GoType = struct('container.ExecStartOptions', { Detach: bool, Tty: bool, ConsoleSize: consoleSize });

/** POST /networks/create. */
export const NETWORK_CREATE: GoType = struct('network.CreateRequest', {
  Driver: str(), Scope: str(), EnableIPv4: ptr(bool), EnableIPv6: ptr(bool),
  IPAM: ptr(struct('network.IPAM', {
    Driver: str(), Options: stringMap,
    Config: slice(struct('network.IPAMConfig', { Subnet: str(), IPRange: str(), Gateway: str(), AuxiliaryAddresses: stringMap })),
  })),
  Internal: bool, Attachable: bool, Ingress: bool, ConfigOnly: bool,
  ConfigFrom: ptr(struct('network.ConfigReference', { Network: str() })), Options: stringMap, Labels: stringMap,
  Name: str(), CheckDuplicate: ptr(bool),
});

/** POST /networks/{id}/connect. */
export const NETWORK_CONNECT: GoType = struct('network.ConnectOptions', { Container: str(), EndpointConfig: ptr(endpointSettings) });

/** POST /networks/{id}/disconnect. */
export const NETWORK_DISCONNECT: GoType = struct('network.DisconnectOptions', { Container: str(), Force: bool });

/** POST /volumes/create (a cluster volume's spec is only looked at for being there: minke has no swarm). */
export const VOLUME_CREATE: GoType = struct('volume.CreateOptions', {
  ClusterVolumeSpec: ptr(struct('volume.ClusterVolumeSpec', {})), Driver: str(), DriverOpts: stringMap, Labels: stringMap, Name: str(),
});

/** POST /build/secrets (minke's own: `minke build --secret`): base64 values by secret id. */
export const BUILD_SECRETS: GoType = struct('build.SecretsRequest', { Secrets: stringMap });
