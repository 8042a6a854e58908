/**
 * The canonical compose model: what a file means once short forms are made long (ports,
 * volumes, depends_on, lists of KEY=VALUE made maps, durations and sizes parsed), files merged,
 * extends and include applied and profiles chosen. Keys keep the file's names (snake_case), so
 * `compose config` prints this model as it is.
 */

export type Dict = Record<string, unknown>;

export interface PortConfig {
  name?: string;
  mode: string;
  host_ip?: string;
  target: number;
  /** a port or a range of the host ("8080", "8000-8010"); absent: any free port */
  published?: string;
  protocol: string;
  app_protocol?: string;
}

export interface VolumeMount {
  type: 'bind' | 'volume' | 'tmpfs' | 'cluster' | 'npipe' | 'image';
  source?: string;
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: { propagation?: string; create_host_path?: boolean; recursive?: string; selinux?: string };
  volume?: { nocopy?: boolean; subpath?: string; labels?: Record<string, string> };
  tmpfs?: { size?: number; mode?: number };
  image?: { subpath?: string };
}

export interface Dependency {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  required: boolean;
  restart?: boolean;
}

export interface ServiceNetwork {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  priority?: number;
  gw_priority?: number;
  mac_address?: string;
  link_local_ips?: string[];
  driver_opts?: Record<string, string>;
  interface_name?: string;
}

export interface Healthcheck {
  test?: string[];
  interval?: string;
  timeout?: string;
  start_period?: string;
  start_interval?: string;
  retries?: number;
  disable?: boolean;
}

export interface BuildConfig {
  context: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  args?: Record<string, string | null>;
  labels?: Record<string, string>;
  target?: string;
  network?: string;
  no_cache?: boolean;
  pull?: boolean;
  tags?: string[];
  extra_hosts?: string[];
  shm_size?: number;
  secrets?: FileReference[];
  cache_from?: string[];
  platforms?: string[];
  [key: string]: unknown;
}

export interface FileReference {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

/** A service as normalised (only the keys minke acts on are typed; the others pass through). */
export interface Service {
  name: string;
  image?: string;
  build?: BuildConfig;
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  env_file?: Array<{ path: string; required: boolean; format?: string }>;
  ports?: PortConfig[];
  expose?: string[];
  volumes?: VolumeMount[];
  tmpfs?: string[];
  networks?: Record<string, ServiceNetwork | null>;
  network_mode?: string;
  depends_on?: Record<string, Dependency>;
  healthcheck?: Healthcheck;
  restart?: string;
  deploy?: Dict & { replicas?: number; resources?: Dict; restart_policy?: Dict; labels?: Record<string, string> };
  scale?: number;
  user?: string;
  working_dir?: string;
  hostname?: string;
  domainname?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  stop_signal?: string;
  stop_grace_period?: string;
  init?: boolean;
  read_only?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  privileged?: boolean;
  security_opt?: string[];
  ulimits?: Record<string, number | { soft: number; hard: number }>;
  sysctls?: Record<string, string>;
  extra_hosts?: string[];
  dns?: string[];
  dns_search?: string[];
  dns_opt?: string[];
  devices?: Array<{ source: string; target?: string; permissions?: string }>;
  shm_size?: number;
  ipc?: string;
  pid?: string | null;
  configs?: FileReference[];
  secrets?: FileReference[];
  profiles?: string[];
  container_name?: string;
  links?: string[];
  external_links?: string[];
  logging?: { driver?: string; options?: Record<string, string | null> };
  pull_policy?: string;
  attach?: boolean;
  stdin_open?: boolean;
  tty?: boolean;
  mem_limit?: number;
  mem_reservation?: number;
  memswap_limit?: number;
  cpus?: number;
  cpu_shares?: number;
  pids_limit?: number;
  group_add?: string[];
  volumes_from?: string[];
  platform?: string;
  [key: string]: unknown;
}

export interface NetworkConfig {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  ipam?: { driver?: string; config?: Array<{ subnet?: string; ip_range?: string; gateway?: string; aux_addresses?: Record<string, string> }>; options?: Record<string, string> };
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv4?: boolean;
  enable_ipv6?: boolean;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

export interface VolumeConfig {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

export interface FileObjectConfig {
  name: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

export interface Project {
  name: string;
  /** the project directory: relative paths in the files are resolved from it */
  workingDir: string;
  /** absolute paths of the files loaded ('-' for standard input) */
  configFiles: string[];
  /** the environment files read (.env or --env-file) */
  envFiles: string[];
  /** the variables interpolation saw: the process environment over the .env files */
  environment: Record<string, string>;
  services: Record<string, Service>;
  /** services left out by profiles (still known, for depends_on and `--profile`) */
  disabled: Record<string, Service>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  secrets: Record<string, FileObjectConfig>;
  configs: Record<string, FileObjectConfig>;
  /** top-level `x-` keys */
  extensions: Dict;
}
