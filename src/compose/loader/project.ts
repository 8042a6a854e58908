/**
 * The project: files found or given, the environment (.env or --env-file under the process
 * environment), the merged model finished — name, profiles, the default network, resource names,
 * env_file read into environment — and checked: every service, network, volume, secret and
 * config named exists, and depends_on has no cycle.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDotenv } from '../dotenv.js';
import type { FileModel } from '../merge.js';
import type { Dict, FileObjectConfig, NetworkConfig, Project, Service, VolumeConfig } from '../model.js';
import { checkProjectName, findComposeFiles, normalizeProjectName, ProjectError } from './discovery.js';
import { loadFiles, readEnvFiles } from './files.js';

export interface ProjectOptions {
  /** -f, in order ('-': standard input) */
  files: string[];
  /** -p */
  projectName?: string;
  /** --project-directory */
  projectDirectory?: string;
  /** --env-file */
  envFiles: string[];
  /** --profile */
  profiles: string[];
  /** services named on the command line: their profiles are enabled */
  services?: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdin?: string;
  warn: (msg: string) => void;
}


/** Services left in by profiles: no profiles, an active one, `*`, or named on the command line. */
function enabled(s: Service, active: Set<string>, named: Set<string>): boolean {
  if (!s.profiles?.length || named.has(s.name) || active.has('*')) return true;
  return s.profiles.some((p) => active.has(p));
}

function dependencyCycle(services: Record<string, Service>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'visiting') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'visiting');
    stack.push(n);
    for (const d of Object.keys(services[n]?.depends_on ?? {})) {
      if (!services[d]) continue;
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of Object.keys(services).sort()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

function readServiceEnvFiles(s: Service, lookup: (k: string) => string | undefined): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const f of s.env_file ?? []) {
    if (!existsSync(f.path)) {
      if (f.required) throw new ProjectError(`env file ${f.path} not found: stat ${f.path}: no such file or directory`);
      continue;
    }
    try {
      for (const [k, v] of parseDotenv(readFileSync(f.path, 'utf8'), (k) => out[k] ?? lookup(k))) out[k] = v;
    } catch (e) {
      throw new ProjectError(`failed to read ${f.path}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Finishes the merged model as the project. */
function finish(model: FileModel, name: string, workingDir: string, environment: Record<string, string>, opts: ProjectOptions, configFiles: string[], envFiles: string[]): Project {
  const lookup = (k: string): string | undefined => environment[k];
  const active = new Set([...opts.profiles, ...(environment.COMPOSE_PROFILES ?? '').split(',').map((p) => p.trim()).filter(Boolean)]);
  const named = new Set(opts.services ?? []);
  const services: Record<string, Service> = {};
  const disabled: Record<string, Service> = {};
  for (const s of Object.values(model.services)) (enabled(s, active, named) ? services : disabled)[s.name] = s;
  for (const n of named) if (!services[n] && !disabled[n]) throw new ProjectError(`no such service: ${n}`);

  for (const s of Object.values(services)) {
    if (!s.image && !s.build) throw new ProjectError(`service ${JSON.stringify(s.name)} has neither an image nor a build context specified: invalid compose project`);
    // env_file entries first, the service's own environment over them; KEY alone from the project's environment
    if (s.env_file?.length) s.environment = { ...readServiceEnvFiles(s, lookup), ...(s.environment ?? {}) };
    delete s.env_file;
    if (s.environment) for (const [k, v] of Object.entries(s.environment)) if (v === null && environment[k] !== undefined) s.environment[k] = environment[k]!;
    for (const [dep, d] of Object.entries(s.depends_on ?? {})) {
      if (services[dep]) continue;
      if (disabled[dep]) {
        if (d.required) throw new ProjectError(`service ${JSON.stringify(dep)} is required by ${JSON.stringify(s.name)} but is disabled. Can be enabled by profiles [${(disabled[dep]!.profiles ?? []).join(' ')}]`);
        continue;
      }
      throw new ProjectError(`service ${JSON.stringify(s.name)} depends on undefined service ${JSON.stringify(dep)}: invalid compose project`);
    }
    const mode = s.network_mode;
    if (mode === undefined && !s.networks) s.networks = { default: null };
    if (mode !== undefined && s.networks) throw new ProjectError(`service ${s.name} declares mutually exclusive \`network_mode\` and \`networks\`: invalid compose project`);
    for (const n of Object.keys(s.networks ?? {})) {
      if (n !== 'default' && !model.networks[n]) throw new ProjectError(`service ${JSON.stringify(s.name)} refers to undefined network ${n}: invalid compose project`);
    }
    for (const v of s.volumes ?? []) {
      if (v.type === 'volume' && v.source && !model.volumes[v.source]) throw new ProjectError(`service ${JSON.stringify(s.name)} refers to undefined volume ${v.source}: invalid compose project`);
    }
    for (const kind of ['secrets', 'configs'] as const) {
      for (const r of s[kind] ?? []) if (!model[kind][r.source]) throw new ProjectError(`service ${JSON.stringify(s.name)} refers to undefined ${kind.slice(0, -1)} ${r.source}: invalid compose project`);
    }
    const scale = s.scale ?? s.deploy?.replicas ?? 1;
    if (scale > 1 && s.container_name) throw new ProjectError(`services.${s.name}: can't set container_name and ${s.name} as container name must be unique: invalid compose project`);
  }
  const cycle = dependencyCycle(services);
  if (cycle) throw new ProjectError(`dependency cycle detected: ${cycle.join(' -> ')}`);

  const networks: Record<string, NetworkConfig> = {};
  const usesDefault = Object.values(services).some((s) => s.networks && 'default' in s.networks);
  if (usesDefault && !model.networks.default) model.networks.default = {};
  for (const [key, n] of Object.entries(model.networks)) {
    networks[key] = { ...n, name: typeof n.name === 'string' ? n.name : n.external ? key : `${name}_${key}` } as NetworkConfig;
  }
  const named2 = <T>(entries: Record<string, Dict>): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const [key, r] of Object.entries(entries)) out[key] = { ...r, name: typeof r.name === 'string' ? r.name : r.external ? key : `${name}_${key}` } as T;
    return out;
  };
  return {
    name,
    workingDir,
    configFiles,
    envFiles,
    environment,
    services,
    disabled,
    networks,
    volumes: named2<VolumeConfig>(model.volumes),
    secrets: named2<FileObjectConfig>(model.secrets),
    configs: named2<FileObjectConfig>(model.configs),
    extensions: model.extensions,
  };
}

/** Loads the project the options describe. */
export function loadProject(opts: ProjectOptions): Project {
  const env = opts.env;
  let files = opts.files.map((f) => (f === '-' ? '-' : path.resolve(opts.cwd, f)));
  if (!files.length && env.COMPOSE_FILE) files = env.COMPOSE_FILE.split(env.COMPOSE_PATH_SEPARATOR || ':').filter(Boolean).map((f) => path.resolve(opts.cwd, f));
  if (!files.length) files = findComposeFiles(opts.cwd, opts.warn);
  const workingDir = opts.projectDirectory ? path.resolve(opts.cwd, opts.projectDirectory) : files[0] === '-' ? opts.cwd : path.dirname(files[0]!);
  const envFiles = opts.envFiles.length ? opts.envFiles.map((f) => path.resolve(opts.cwd, f)) : [path.join(workingDir, '.env')];
  const dotenv = readEnvFiles(envFiles, (k) => env[k], opts.envFiles.length > 0);
  const environment: Record<string, string> = {};
  for (const [k, v] of dotenv) environment[k] = v;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) environment[k] = v;
  if (opts.projectName) environment.COMPOSE_PROJECT_NAME = checkProjectName(opts.projectName);
  const model = loadFiles(files, workingDir, { lookup: (k) => environment[k], home: env.HOME, warn: opts.warn, stdin: opts.stdin });
  let name = opts.projectName || environment.COMPOSE_PROJECT_NAME || model.name;
  if (name) checkProjectName(name);
  else {
    name = normalizeProjectName(path.basename(workingDir));
    if (!name) throw new ProjectError(`project name must not be empty`);
  }
  return finish(model, name, workingDir, environment, opts, files, envFiles.filter((f) => existsSync(f)));
}
