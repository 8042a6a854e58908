/**
 * The compose file's shape as a JSON Schema (draft-07), written for minke from the compose
 * specification: every key a file may hold, with its types. Values a variable may stand for
 * (booleans, numbers) also take strings, as interpolation leaves strings. `x-` keys are allowed
 * wherever the specification allows extensions. schema.test.ts checks it against the
 * specification's own schema (../shared/peer/compose-spec): the same keys everywhere, and the
 * same verdict on a corpus of good and bad files.
 */

type Schema = Record<string, unknown>;

const t = (...types: string[]): Schema => ({ type: types.length === 1 ? types[0] : types });
const str = t('string');
const bool = t('boolean', 'string');
const num = t('number', 'string');
const int = t('integer', 'string');
const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const arrayOf = (items: Schema, unique = false): Schema => ({ type: 'array', items, ...(unique ? { uniqueItems: true } : {}) });
const strings = arrayOf(str);
const uniqueStrings = arrayOf(str, true);
const oneOf = (...alternatives: Schema[]): Schema => ({ oneOf: alternatives });
const ext = { '^x-': {} };

/** An object of known keys (and `x-` extensions unless closed), nothing else. */
function obj(properties: Record<string, Schema>, more: { required?: string[]; noExtensions?: boolean; nullable?: boolean } = {}): Schema {
  return {
    type: more.nullable ? ['object', 'null'] : 'object',
    properties,
    additionalProperties: false,
    ...(more.noExtensions ? {} : { patternProperties: ext }),
    ...(more.required ? { required: more.required } : {}),
  };
}

/** A map whose keys match a pattern, each value of one schema. */
const mapOf = (value: Schema, pattern = '^.+$', closed = false): Schema => ({
  type: 'object',
  patternProperties: { [pattern]: value },
  ...(closed ? { additionalProperties: false } : {}),
});

const NAME = '^[a-zA-Z0-9._-]+$';
const driverOpts = mapOf(t('string', 'number'));
const external = { type: ['boolean', 'string', 'object'], properties: { name: str }, additionalProperties: false, patternProperties: ext };

const updateConfig = obj({
  parallelism: int, delay: str, failure_action: str, monitor: str, max_failure_ratio: num,
  order: { type: 'string', enum: ['start-first', 'stop-first'] },
});

const deviceRequest = {
  capabilities: ref('list_of_strings'), count: t('string', 'integer'), device_ids: ref('list_of_strings'),
  driver: str, options: ref('list_or_dict'),
};

const serviceHook = obj({ command: ref('command'), user: str, privileged: bool, working_dir: str, environment: ref('list_or_dict') }, { required: ['command'] });

const build = oneOf(str, obj({
  context: str, dockerfile: str, dockerfile_inline: str, entitlements: strings, args: ref('list_or_dict'),
  ssh: ref('list_or_dict'), labels: ref('list_or_dict'), cache_from: strings, cache_to: strings, no_cache: bool,
  additional_contexts: ref('list_or_dict'), network: str, provenance: t('string', 'boolean'), sbom: t('string', 'boolean'),
  pull: bool, target: str, shm_size: int, extra_hosts: ref('extra_hosts'), isolation: str, privileged: bool,
  secrets: ref('service_config_or_secret'), tags: strings, ulimits: ref('ulimits'), platforms: strings,
}));

const blkioLimit = obj({ path: str, rate: int }, { noExtensions: true });
const blkioWeight = obj({ path: str, weight: int }, { noExtensions: true });

const portObject = obj({
  name: str, mode: str, host_ip: str, target: int, published: t('string', 'integer'), protocol: str, app_protocol: str,
});

const volumeObject = obj({
  type: { type: 'string', enum: ['bind', 'volume', 'tmpfs', 'cluster', 'npipe', 'image'] },
  source: str, target: str, read_only: bool, consistency: str,
  bind: obj({
    propagation: str, create_host_path: bool,
    recursive: { type: 'string', enum: ['enabled', 'disabled', 'writable', 'readonly'] },
    selinux: { type: 'string', enum: ['z', 'Z'] },
  }),
  volume: obj({ labels: ref('list_or_dict'), nocopy: bool, subpath: str }),
  tmpfs: obj({ size: oneOf({ type: 'integer', minimum: 0 }, str), mode: num }),
  image: obj({ subpath: str }),
}, { required: ['type'] });

const serviceNetwork = obj({
  aliases: ref('list_of_strings'), interface_name: str, ipv4_address: str, ipv6_address: str,
  link_local_ips: ref('list_of_strings'), mac_address: str, driver_opts: driverOpts, priority: t('number'), gw_priority: t('number'),
});

const dependsOn = oneOf(ref('list_of_strings'), {
  type: 'object',
  additionalProperties: false,
  patternProperties: {
    [NAME]: {
      ...obj({ restart: bool, required: { type: 'boolean', default: true }, condition: { type: 'string', enum: ['service_started', 'service_healthy', 'service_completed_successfully'] } }),
      required: ['condition'],
    },
  },
});

const service = obj({
  develop: ref('development'),
  deploy: ref('deployment'),
  annotations: ref('list_or_dict'),
  attach: bool,
  build,
  blkio_config: obj({
    device_read_bps: arrayOf(blkioLimit), device_read_iops: arrayOf(blkioLimit), device_write_bps: arrayOf(blkioLimit),
    device_write_iops: arrayOf(blkioLimit), weight: int, weight_device: arrayOf(blkioWeight),
  }, { noExtensions: true }),
  cap_add: uniqueStrings,
  cap_drop: uniqueStrings,
  cgroup: { type: 'string', enum: ['host', 'private'] },
  cgroup_parent: str,
  command: ref('command'),
  configs: ref('service_config_or_secret'),
  container_name: { type: 'string', pattern: '[a-zA-Z0-9][a-zA-Z0-9_.-]+' },
  cpu_count: oneOf(str, { type: 'integer', minimum: 0 }),
  cpu_percent: oneOf(str, { type: 'integer', minimum: 0, maximum: 100 }),
  cpu_shares: num, cpu_quota: num, cpu_period: num, cpu_rt_period: num, cpu_rt_runtime: num, cpus: num,
  cpuset: str,
  credential_spec: obj({ config: str, file: str, registry: str }),
  depends_on: dependsOn,
  device_cgroup_rules: ref('list_of_strings'),
  devices: arrayOf(oneOf(str, obj({ source: str, target: str, permissions: str }, { required: ['source'] }))),
  dns: ref('string_or_list'),
  dns_opt: uniqueStrings,
  dns_search: ref('string_or_list'),
  domainname: str,
  entrypoint: ref('command'),
  env_file: ref('env_file'),
  label_file: ref('label_file'),
  environment: ref('list_or_dict'),
  expose: arrayOf(t('string', 'number'), true),
  extends: oneOf(str, obj({ service: str, file: str }, { required: ['service'], noExtensions: true })),
  provider: obj({
    type: str,
    options: mapOf(oneOf(t('string', 'number', 'boolean'), arrayOf(t('string', 'number', 'boolean')))),
  }, { required: ['type'] }),
  external_links: uniqueStrings,
  extra_hosts: ref('extra_hosts'),
  gpus: ref('gpus'),
  group_add: arrayOf(t('string', 'number'), true),
  healthcheck: ref('healthcheck'),
  hostname: str,
  image: str,
  init: bool,
  ipc: str,
  isolation: str,
  labels: ref('list_or_dict'),
  links: uniqueStrings,
  logging: obj({ driver: str, options: mapOf(t('string', 'number', 'null')) }),
  mac_address: str,
  mem_limit: num, mem_reservation: t('string', 'integer'), mem_swappiness: int, memswap_limit: num,
  network_mode: str,
  models: oneOf(ref('list_of_strings'), mapOf(obj({ endpoint_var: str, model_var: str }), NAME)),
  networks: oneOf(ref('list_of_strings'), mapOf(oneOf(serviceNetwork, t('null')), NAME, true)),
  oom_kill_disable: bool,
  oom_score_adj: oneOf(str, { type: 'integer', minimum: -1000, maximum: 1000 }),
  pid: t('string', 'null'),
  pids_limit: num,
  platform: str,
  ports: arrayOf(oneOf(t('number'), str, portObject), true),
  post_start: arrayOf(ref('service_hook')),
  pre_stop: arrayOf(ref('service_hook')),
  privileged: bool,
  profiles: ref('list_of_strings'),
  pull_policy: { type: 'string', pattern: 'always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+' },
  pull_refresh_after: str,
  read_only: bool,
  restart: str,
  runtime: str,
  scale: int,
  security_opt: uniqueStrings,
  shm_size: num,
  secrets: ref('service_config_or_secret'),
  sysctls: ref('list_or_dict'),
  stdin_open: bool,
  stop_grace_period: str,
  stop_signal: str,
  storage_opt: t('object'),
  tmpfs: ref('string_or_list'),
  tty: bool,
  ulimits: ref('ulimits'),
  use_api_socket: t('boolean'),
  user: str,
  uts: str,
  userns_mode: str,
  volumes: arrayOf(oneOf(str, volumeObject), true),
  volumes_from: uniqueStrings,
  working_dir: str,
});

const definitions: Record<string, Schema> = {
  service,
  healthcheck: obj({ disable: bool, interval: str, retries: num, test: oneOf(str, strings), timeout: str, start_period: str, start_interval: str }),
  development: obj({
    watch: arrayOf(obj({
      ignore: ref('string_or_list'), include: ref('string_or_list'), path: str,
      action: { type: 'string', enum: ['rebuild', 'sync', 'restart', 'sync+restart', 'sync+exec'] },
      target: str, exec: ref('service_hook'), initial_sync: t('boolean'),
    }, { required: ['path', 'action'] })),
  }, { nullable: true }),
  deployment: obj({
    mode: str, endpoint_mode: str, replicas: int, labels: ref('list_or_dict'),
    rollback_config: updateConfig, update_config: updateConfig,
    resources: obj({
      limits: obj({ cpus: num, memory: str, pids: int }),
      reservations: obj({ cpus: num, memory: str, generic_resources: ref('generic_resources'), devices: ref('devices') }),
    }),
    restart_policy: obj({ condition: str, delay: str, max_attempts: int, window: str }),
    placement: obj({ constraints: strings, preferences: arrayOf(obj({ spread: str })), max_replicas_per_node: int }),
  }, { nullable: true }),
  generic_resources: arrayOf(obj({ discrete_resource_spec: obj({ kind: str, value: num }) })),
  devices: arrayOf(obj(deviceRequest, { required: ['capabilities'] })),
  gpus: oneOf({ type: 'string', enum: ['all'] }, { type: 'array', items: { type: 'object', properties: deviceRequest }, additionalProperties: false, patternProperties: ext }),
  include: oneOf(str, obj({ path: ref('string_or_list'), env_file: ref('string_or_list'), project_directory: str }, { noExtensions: true })),
  network: obj({
    name: str, driver: str, driver_opts: driverOpts,
    ipam: obj({
      driver: str,
      config: arrayOf(obj({ subnet: str, ip_range: str, gateway: str, aux_addresses: mapOf(str, '^.+$', true) })),
      options: mapOf(str, '^.+$', true),
    }),
    external, internal: bool, enable_ipv4: bool, enable_ipv6: bool, attachable: bool, labels: ref('list_or_dict'),
  }, { nullable: true }),
  volume: obj({ name: str, driver: str, driver_opts: driverOpts, external, labels: ref('list_or_dict') }, { nullable: true }),
  secret: obj({
    name: str, environment: str, file: str, external: { type: ['boolean', 'string', 'object'], properties: { name: str } },
    labels: ref('list_or_dict'), driver: str, driver_opts: driverOpts, template_driver: str,
  }),
  config: obj({
    name: str, content: str, environment: str, file: str, external: { type: ['boolean', 'string', 'object'], properties: { name: str } },
    labels: ref('list_or_dict'), template_driver: str,
  }),
  model: obj({ name: str, model: str, context_size: t('integer'), runtime_flags: strings }, { required: ['model'] }),
  command: oneOf(t('null'), str, strings),
  service_hook: serviceHook,
  env_file: oneOf(str, arrayOf(oneOf(str, {
    type: 'object', additionalProperties: false,
    properties: { path: str, format: str, required: { type: ['boolean', 'string'], default: true } }, required: ['path'],
  }))),
  label_file: oneOf(str, strings),
  string_or_list: oneOf(str, ref('list_of_strings')),
  list_of_strings: uniqueStrings,
  list_or_dict: oneOf(mapOf(t('string', 'number', 'boolean', 'null'), '.+', true), uniqueStrings),
  extra_hosts: oneOf(mapOf(oneOf(str, strings), '.+', true), uniqueStrings),
  service_config_or_secret: arrayOf(oneOf(str, obj({ source: str, target: str, uid: str, gid: str, mode: num }))),
  ulimits: mapOf(oneOf(int, obj({ hard: int, soft: int }, { required: ['soft', 'hard'] })), '^[a-z]+$'),
};

/** The compose file schema. */
export const composeSchema: Schema = {
  $id: 'minke:compose',
  type: 'object',
  properties: {
    version: str,
    name: str,
    include: arrayOf(ref('include')),
    services: mapOf(ref('service'), NAME, true),
    models: mapOf(ref('model'), NAME),
    networks: mapOf(ref('network'), NAME),
    volumes: mapOf(ref('volume'), NAME, true),
    secrets: mapOf(ref('secret'), NAME, true),
    configs: mapOf(ref('config'), NAME, true),
  },
  patternProperties: ext,
  additionalProperties: false,
  definitions,
};
