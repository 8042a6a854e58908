/**
 * From files to one merged model: each file parsed (anchors, merge keys, !reset/!override),
 * interpolated, validated against the schema, its `include`s loaded, normalised, its `extends`
 * applied, then merged over the files before it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { interpolateTree, type Lookup } from '../interpolate.js';
import { mergeFiles, mergeService, type FileModel } from '../merge.js';
import type { Dict, Service } from '../model.js';
import { normalizeService, type FileContext } from '../normalize/service.js';
import { resolvePath } from '../normalize/volumes.js';
import { toBool, toStringMap } from '../normalize/values.js';
import { validateCompose } from '../schema/validate.js';
import { parseComposeYaml } from '../yaml-file.js';
import { parseDotenv } from '../dotenv.js';
import { ProjectError } from './discovery.js';

export interface LoadContext {
  lookup: Lookup;
  home: string | undefined;
  warn: (msg: string) => void;
  /** the content of `-f -` */
  stdin?: string;
  /** files being loaded (include and extends cycles) */
  stack?: string[];
}

export function emptyModel(): FileModel {
  return { services: {}, networks: {}, volumes: {}, secrets: {}, configs: {}, extensions: {} };
}

function readText(file: string, ctx: LoadContext): string {
  if (file === '-') return ctx.stdin ?? '';
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ProjectError(code === 'ENOENT' ? `open ${file}: no such file or directory` : `${file}: ${(e as Error).message}`);
  }
}

function section(tree: Dict, key: string): Record<string, Dict> {
  const v = tree[key];
  if (v === undefined || v === null) return {};
  const out: Record<string, Dict> = {};
  for (const [name, x] of Object.entries(v as Dict)) out[name] = x === null || x === undefined ? {} : (x as Dict);
  return out;
}

/** Top-level networks, volumes, secrets and configs: types cast, paths resolved. */
function normalizeResources(tree: Dict, fc: FileContext): Pick<FileModel, 'networks' | 'volumes' | 'secrets' | 'configs'> {
  const res = { networks: section(tree, 'networks'), volumes: section(tree, 'volumes'), secrets: section(tree, 'secrets'), configs: section(tree, 'configs') };
  for (const [kind, entries] of Object.entries(res)) {
    for (const [name, r] of Object.entries(entries)) {
      const at = `${kind}.${name}`;
      if (r.external !== undefined) {
        if (r.external !== null && typeof r.external === 'object') {
          const n = (r.external as Dict).name;
          if (n !== undefined) r.name = String(n);
          r.external = true;
        } else r.external = toBool(r.external, `${at}.external`);
      }
      for (const k of ['internal', 'attachable', 'enable_ipv4', 'enable_ipv6']) if (r[k] !== undefined) r[k] = toBool(r[k], `${at}.${k}`);
      if (r.labels !== undefined) r.labels = toStringMap(r.labels);
      if (r.driver_opts !== undefined) r.driver_opts = toStringMap(r.driver_opts);
      if ((kind === 'secrets' || kind === 'configs') && typeof r.file === 'string') r.file = resolvePath(r.file, fc.dir, fc.home);
    }
  }
  return res;
}

/** Variables of .env files, in order, each file able to use the ones before and the environment. */
export function readEnvFiles(files: string[], lookup: Lookup, required: boolean): Map<string, string> {
  const vars = new Map<string, string>();
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      if (!required) continue;
      throw new ProjectError(`couldn't find env file: ${f}`);
    }
    try {
      for (const [k, v] of parseDotenv(text, (k) => lookup(k) ?? vars.get(k), true)) vars.set(k, v);
    } catch (e) {
      throw new ProjectError(`failed to read ${f}: ${(e as Error).message}`);
    }
  }
  return vars;
}

/** Loads the `include` entries of a file: each a project of its own, merged in without conflicts. */
function applyIncludes(model: FileModel, includes: unknown[], fileDir: string, ctx: LoadContext): void {
  for (const inc of includes) {
    const spec = typeof inc === 'string' ? { path: inc } : (inc as { path: string | string[]; project_directory?: string; env_file?: string | string[] });
    const paths = (Array.isArray(spec.path) ? spec.path : [spec.path]).map((p) => resolvePath(p, fileDir, ctx.home));
    const dir = spec.project_directory ? resolvePath(spec.project_directory, fileDir, ctx.home) : path.dirname(paths[0]!);
    let lookup = ctx.lookup;
    const envFiles = spec.env_file === undefined ? [path.join(dir, '.env')] : (Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file]).map((e) => resolvePath(e, fileDir, ctx.home));
    const vars = readEnvFiles(envFiles, ctx.lookup, spec.env_file !== undefined);
    if (vars.size) lookup = (k) => ctx.lookup(k) ?? vars.get(k);
    const included = loadFiles(paths, dir, { ...ctx, lookup });
    for (const kind of ['services', 'networks', 'volumes', 'secrets', 'configs'] as const) {
      for (const [name, v] of Object.entries(included[kind])) {
        if (model[kind][name] !== undefined) throw new ProjectError(`imported compose file ${paths[0]} defines conflicting ${kind.slice(0, -1)} ${name}`);
        (model[kind] as Record<string, unknown>)[name] = v;
      }
    }
  }
}

/** Parses, interpolates, validates and normalises one file (its includes loaded, extends not yet). */
function loadOne(file: string, projectDir: string, ctx: LoadContext): { model: FileModel; tags: ReturnType<typeof parseComposeYaml>['tags']; raw: Record<string, Dict> } {
  const shown = file === '-' ? 'stdin' : file;
  const { tree: parsed, tags } = parseComposeYaml(readText(file, ctx), shown);
  const unset = new Set<string>();
  const tree = interpolateTree(parsed, ctx.lookup, {
    onUnset: (name) => {
      if (unset.has(name)) return;
      unset.add(name);
      ctx.warn(`The "${name}" variable is not set. Defaulting to a blank string.`);
    },
  }) as Dict;
  try {
    validateCompose(tree);
  } catch (e) {
    throw new ProjectError(`validating ${shown}: ${(e as Error).message}`);
  }
  if (tree.version !== undefined) ctx.warn(`${shown}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`);
  // relative paths of a file are resolved from the project directory (the first file's) as compose does
  const fc: FileContext = { dir: projectDir, home: ctx.home };
  const model = emptyModel();
  if (typeof tree.name === 'string') model.name = tree.name;
  for (const [k, v] of Object.entries(tree)) if (k.startsWith('x-')) model.extensions[k] = v;
  const raw = section(tree, 'services');
  for (const [name, s] of Object.entries(raw)) model.services[name] = normalizeService(name, s, fc);
  Object.assign(model, normalizeResources(tree, fc));
  if (Array.isArray(tree.include)) applyIncludes(model, tree.include, file === '-' ? projectDir : path.dirname(file), { ...ctx, stack: [...(ctx.stack ?? []), file] });
  return { model, tags, raw };
}

/** Applies `extends` in a file's services, from the same file or another. */
function applyExtends(model: FileModel, file: string, projectDir: string, ctx: LoadContext): void {
  const done = new Set<string>();
  const resolve = (name: string, chain: string[]): Service => {
    const s = model.services[name];
    if (!s) throw new ProjectError(`cannot extend service ${JSON.stringify(chain.at(-1) ?? name)} in ${file}: service ${JSON.stringify(name)} not found`);
    if (done.has(name) || s.extends === undefined) return s;
    if (chain.includes(name)) throw new ProjectError(`circular reference with extends in ${file}: ${[...chain, name].join(' -> ')}`);
    const ext = s.extends as string | { service: string; file?: string };
    const spec = typeof ext === 'string' ? { service: ext } : ext;
    let base: Service;
    if (spec.file !== undefined) {
      const other = resolvePath(spec.file, file === '-' ? projectDir : path.dirname(file), ctx.home);
      if ((ctx.stack ?? []).includes(other)) throw new ProjectError(`circular reference with extends in ${other}`);
      const otherModel = loadFiles([other], path.dirname(other), { ...ctx, stack: [...(ctx.stack ?? []), file] });
      base = otherModel.services[spec.service] as Service;
      if (!base) throw new ProjectError(`cannot extend service ${JSON.stringify(name)} in ${file}: service ${JSON.stringify(spec.service)} not found in ${other}`);
    } else base = resolve(spec.service, [...chain, name]);
    const { extends: _drop, ...own } = s;
    const merged = mergeService({ ...base, name }, own as Service);
    model.services[name] = merged;
    done.add(name);
    return merged;
  };
  for (const name of Object.keys(model.services)) resolve(name, []);
}

/** Loads and merges files in order: the model before the project is finished. */
export function loadFiles(files: string[], projectDir: string, ctx: LoadContext): FileModel {
  let model = emptyModel();
  for (const file of files) {
    if ((ctx.stack ?? []).includes(file)) throw new ProjectError(`include cycle detected: ${[...(ctx.stack ?? []), file].join(' -> ')}`);
    const one = loadOne(file, projectDir, ctx);
    applyExtends(one.model, file, projectDir, ctx);
    model = mergeFiles(model, one.model, one.tags);
  }
  return model;
}
