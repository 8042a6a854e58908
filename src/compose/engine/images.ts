/**
 * The images of a project: built through the engine's POST /build (the context sent as a tar,
 * as the docker CLI sends it), pulled through POST /images/create when missing or asked for,
 * pushed through POST /images/{name}/push.
 */
import path from 'node:path';
import type { Writable } from 'node:stream';
import { directoryContext } from '../../cli/commands/build.js';
import { jsonStream } from '../../cli/progress.js';
import type { Project, Service } from '../model.js';
import type { ComposeApi } from './api.js';
import { imageName } from './names.js';
import type { Progress } from '../progress.js';
import { splitTag } from '../../cli/reference.js';

function parseReference(ref: string): { repository: string; tag: string } {
  const { repo, tag } = splitTag(ref);
  return { repository: repo, tag: tag || (ref.includes('@') ? ref.slice(ref.indexOf('@') + 1) : 'latest') };
}

export interface BuildOptions {
  noCache?: boolean;
  pull?: boolean;
  quiet?: boolean;
  args?: Record<string, string>;
  /** where the build's own output goes (the steps) */
  out: Writable;
}

/** Reads an engine JSON stream to its end; throws its error message; the image ID it names. */
async function drain(stream: AsyncIterable<unknown> & NodeJS.ReadableStream, onText: (s: string) => void): Promise<string | undefined> {
  let id: string | undefined;
  for await (const m of jsonStream(stream as never)) {
    if (m.error || m.errorDetail?.message) throw new Error(m.errorDetail?.message ?? m.error);
    const aux = m.aux as { ID?: string } | undefined;
    if (aux?.ID) id = aux.ID;
    if (m.stream) onText(m.stream);
    else if (m.status && !m.progress) onText(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
  }
  return id;
}

/** Builds one service's image; its ID. */
export async function buildService(api: ComposeApi, p: Project, s: Service, o: BuildOptions): Promise<string | undefined> {
  const b = s.build!;
  const tag = imageName(p.name, s);
  const dockerfile = b.dockerfile_inline !== undefined ? '-' : path.resolve(b.context, b.dockerfile ?? 'Dockerfile');
  const { body, dockerfile: name } = await directoryContext(b.context, dockerfile, async () => Buffer.from(b.dockerfile_inline ?? ''));
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.args ?? {})) {
    const value = v ?? p.environment[k];
    if (value !== undefined) args[k] = value;
  }
  Object.assign(args, o.args ?? {});
  const query: Record<string, string | string[] | undefined> = {
    t: [tag, ...(b.tags ?? [])],
    dockerfile: name,
    buildargs: JSON.stringify(args),
    labels: JSON.stringify(b.labels ?? {}),
    target: b.target,
    networkmode: b.network,
    extrahosts: (b.extra_hosts ?? []).map((h) => h.replace('=', ':')),
    nocache: o.noCache || b.no_cache ? '1' : undefined,
    pull: o.pull || b.pull ? '1' : undefined,
    shmsize: b.shm_size !== undefined ? String(b.shm_size) : undefined,
    q: o.quiet ? '1' : undefined,
    rm: '1',
    version: '1',
  };
  const res = await api.build(query, body);
  return drain(res, (t) => {
    if (!o.quiet) o.out.write(t);
  });
}

/** Pulls an image (the engine answers when it cannot: no registry, an unknown image). */
export async function pullImage(api: ComposeApi, ref: string, platform: string | undefined, onText: (s: string) => void): Promise<void> {
  const r = parseReference(ref);
  const res = await api.pull(r.repository, r.tag, platform);
  await drain(res, onText);
}

export async function pushImage(api: ComposeApi, ref: string, onText: (s: string) => void): Promise<void> {
  const r = parseReference(ref);
  const res = await api.push(r.repository, r.tag);
  await drain(res, onText);
}

export interface EnsureOptions {
  /** 'always': --build; 'never': --no-build; 'missing': build what has no image yet */
  build: 'always' | 'missing' | 'never';
  /** 'always', 'missing' (default), 'never': the --pull of up */
  pull?: string;
  buildOut: Writable;
  quietPull?: boolean;
}

/** Makes sure every service has its image (building or pulling it); the image IDs by service. */
export async function ensureImages(api: ComposeApi, p: Project, services: Service[], o: EnsureOptions, progress: Progress): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const built = new Set<string>();
  // the images looked up at once; builds one after the other, as they share the engine's builder
  const found = await Promise.all(services.map((s) => api.image(imageName(p.name, s))));
  for (const [i, s] of services.entries()) {
    const ref = imageName(p.name, s);
    let img = built.has(ref) ? await api.image(ref) : found[i];
    const policy = o.pull ?? s.pull_policy ?? 'missing';
    if (s.build && (o.build === 'always' || (!img && o.build !== 'never') || policy === 'build')) {
      if (!built.has(ref)) {
        const ev = `Service ${s.name}`;
        progress.event(ev, 'working', 'Building');
        try {
          await buildService(api, p, s, { out: o.buildOut });
        } catch (e) {
          progress.event(ev, 'error', 'Error');
          throw new Error(`failed to solve: ${(e as Error).message}`, { cause: e });
        }
        progress.event(ev, 'done', 'Built');
        built.add(ref);
      }
      img = await api.image(ref);
    } else if (!img || policy === 'always') {
      if (!img && (policy === 'never' || (s.build && o.build === 'never'))) throw new Error(`No such image: ${ref}`);
      if (!s.build || img === undefined) {
        const ev = `Image ${ref}`;
        progress.event(ev, 'working', 'Pulling');
        try {
          await pullImage(api, ref, s.platform, () => undefined);
        } catch (e) {
          progress.event(ev, 'error', 'Error');
          throw new Error(`Error response from daemon: ${(e as Error).message}`, { cause: e });
        }
        progress.event(ev, 'done', 'Pulled');
        img = await api.image(ref);
      }
    }
    if (!img) throw new Error(`No such image: ${ref}`);
    ids.set(s.name, img.Id);
  }
  return ids;
}
