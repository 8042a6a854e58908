/**
 * The engine's image records: images keyed by ID (config digest) over a content store, tags
 * (normalised reference → image ID), and docker's rules for resolving, tagging and removing.
 * Every mutation runs under one mutex and is persisted atomically (images.json) before it is
 * visible; blobs live in the content store, layers as snapshots named by chain ID.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Digest } from '../../core/digest.js';
import { Conflict, InvalidArgument, NotFound, isErrno } from '../../core/errors.js';
import { sharedInitKey } from '../snapshots/init-layer.js';
import { writeJsonAtomic } from '../../core/fs-atomic.js';
import { shortId } from '../../core/ids.js';
import type { ContentStore } from '../content/store.js';
import { chainIds } from '../snapshots/chain.js';
import type { Snapshotter, DirSnapshotter } from '../snapshots/snapshotter.js';
import { createdMs, imageFilter, type FilterArgs } from './filters.js';
import { Mutex } from './mutex.js';
import { familiar, familiarName, familiarString, fullName, parseNormalizedNamed, parseReference, parseTagReference, referenceString, type Reference } from './references.js';
import { MediaTypes, type Descriptor, type Image, type ImageConfigBlob, type ImageManifest, type LegacyContainerConfig } from './types.js';

/** A container using an image: its ID, and whether it runs (running ones block even forced removal). */
export type InUse = string | { id: string; running: boolean } | undefined;

export interface ImageStoreOptions {
  content: ContentStore;
  /** Directory for images.json. */
  root: string;
  /** Which container (if any) uses the image. */
  isInUse?: (imageId: Digest) => InUse;
  /** When given, layer snapshots no image uses any more are removed with the image. */
  snapshotter?: Snapshotter;
}

export interface CreateImageOptions {
  config: ImageConfigBlob;
  /** Exact config bytes (loaded images keep their digest); default JSON of config. */
  configBytes?: Buffer;
  layers: Descriptor[];
  /** Uncompressed layer sizes, matching diff_ids. */
  layerSizes?: number[];
  /** Exact manifest bytes; default an OCI manifest of config + layers. */
  manifest?: Buffer;
  tags?: string[];
  repoDigests?: string[];
  parent?: Digest;
}

export type DeleteItem = { Untagged: string } | { Deleted: string };

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string>;
  Containers: number;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

interface State {
  images: Record<string, Image>;
}

const ID_RE = /^sha256:[a-f0-9]{64}$/;
const HEX64_RE = /^[a-f0-9]{64}$/;
const HEX_RE = /^[a-f0-9]+$/;

function noSuchImage(ref: string): NotFound {
  return new NotFound(`No such image: ${ref}`);
}

/** docker's ErrImageDoesNotExist: the familiar form with the default tag. */
function noSuchRef(input: string): NotFound {
  try {
    return noSuchImage(familiarString(parseReference(input)));
  } catch {
    return noSuchImage(input);
  }
}

/** docker's isSingleReference: at most one tag, and digests only of that tag's repository. */
function isSingleReference(refs: string[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: Reference | undefined;
  const canonical = new Set<string>();
  for (const r of refs.map((x) => parseNormalizedNamed(x))) {
    if (r.digest !== undefined) canonical.add(fullName(r));
    else if (!single) single = r;
    else return false;
  }
  single ??= parseNormalizedNamed(refs[0]!);
  return canonical.size === 1 && canonical.has(fullName(single));
}

function inUseId(u: InUse): { id: string; running: boolean } | undefined {
  if (u === undefined) return undefined;
  return typeof u === 'string' ? { id: u, running: false } : u;
}

export class ImageStore {
  private readonly lock = new Mutex();
  private state: State = { images: {} };
  private readonly tags = new Map<string, Digest>();
  private readonly digests = new Map<string, Digest>();
  isInUse: (imageId: Digest) => InUse;

  constructor(private readonly opts: ImageStoreOptions) {
    this.isInUse = opts.isInUse ?? (() => undefined);
  }

  static async open(opts: ImageStoreOptions): Promise<ImageStore> {
    const s = new ImageStore(opts);
    await s.load();
    return s;
  }

  get content(): ContentStore {
    return this.opts.content;
  }

  private get file(): string {
    return join(this.opts.root, 'images.json');
  }

  async load(): Promise<void> {
    await mkdir(this.opts.root, { recursive: true });
    try {
      this.state = JSON.parse(await readFile(this.file, 'utf8')) as State;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      this.state = { images: {} };
    }
    this.reindex();
  }

  private reindex(): void {
    this.tags.clear();
    this.digests.clear();
    for (const img of Object.values(this.state.images)) {
      for (const t of img.repoTags) this.tags.set(t, img.id);
      for (const d of img.repoDigests) this.digests.set(d, img.id);
    }
  }

  /** Runs a mutation on a copy of the state; it becomes visible only once persisted. */
  private mutate<T>(fn: (state: State) => Promise<T> | T): Promise<T> {
    return this.lock.run(async () => {
      const draft = structuredClone(this.state);
      const result = await fn(draft);
      await writeJsonAtomic(this.file, draft);
      this.state = draft;
      this.reindex();
      return result;
    });
  }

  // ------------------------------------------------------------------------------------------
  // Lookup

  /** Image ID for refOrId, or undefined; InvalidArgument for a malformed reference. */
  resolve(input: string): Digest | undefined {
    const images = this.state.images;
    if (ID_RE.test(input)) return images[input] ? (input as Digest) : undefined;
    if (HEX64_RE.test(input)) return images[`sha256:${input}`] ? (`sha256:${input}` as Digest) : undefined;
    if (input.startsWith('sha256:')) {
      // docker accepts sha256:<prefix> as an ID prefix too.
      const hex = input.slice(7);
      return HEX_RE.test(hex) ? this.searchPrefix(hex) : undefined;
    }
    const ref = parseNormalizedNamed(input);
    if (ref.digest !== undefined) {
      return this.digests.get(`${fullName(ref)}@${ref.digest}`);
    }
    const tagged = referenceString({ ...ref, tag: ref.tag ?? 'latest' });
    const id = this.tags.get(tagged);
    if (id) return id;
    if (HEX_RE.test(input)) return this.searchPrefix(input);
    return undefined;
  }

  private searchPrefix(hex: string): Digest | undefined {
    let found: Digest | undefined;
    for (const id of Object.keys(this.state.images)) {
      if (id.startsWith(`sha256:${hex}`)) {
        if (found) return undefined; // ambiguous: docker treats it as not found
        found = id as Digest;
      }
    }
    return found;
  }

  async get(refOrId: string): Promise<Image> {
    return this.getSync(refOrId);
  }

  getSync(refOrId: string): Image {
    const id = this.resolve(refOrId);
    const img = id ? this.state.images[id] : undefined;
    if (!img) throw noSuchRef(refOrId);
    return structuredClone(img);
  }

  async has(refOrId: string): Promise<boolean> {
    try {
      return this.resolve(refOrId) !== undefined;
    } catch {
      return false;
    }
  }

  async list(): Promise<Image[]> {
    return Object.values(this.state.images).map((i) => structuredClone(i));
  }

  /** Images whose parent is id (docker's Children). */
  children(id: Digest): Image[] {
    return Object.values(this.state.images).filter((i) => i.parent === id);
  }

  // ------------------------------------------------------------------------------------------
  // Mutations

  async create(o: CreateImageOptions): Promise<Image> {
    const configBytes = o.configBytes ?? Buffer.from(JSON.stringify(o.config));
    if (o.config.rootfs.diff_ids.length !== o.layers.length) {
      throw new InvalidArgument(`image config has ${o.config.rootfs.diff_ids.length} layers, manifest ${o.layers.length}`);
    }
    const tags = (o.tags ?? []).map((t) => referenceString(parseTagReference(t)));
    const repoDigests = (o.repoDigests ?? []).map((d) => referenceString(parseNormalizedNamed(d)));
    // The same image with its names already (a fully cached rebuild): nothing to write.
    const known = `sha256:${createHash('sha256').update(configBytes).digest('hex')}` as Digest;
    const same = await this.lock.run(async () => {
      const ex = this.state.images[known];
      const complete = ex && tags.every((t) => ex.repoTags.includes(t)) && repoDigests.every((d) => ex.repoDigests.includes(d));
      return complete ? structuredClone(ex) : undefined;
    });
    if (same) return same;
    const cfg = await this.opts.content.writeBlob(configBytes);
    const id = cfg.digest;
    const manifestBytes = o.manifest ?? Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: id, size: cfg.size },
      layers: o.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    } satisfies ImageManifest));
    const man = await this.opts.content.writeBlob(manifestBytes);
    const sizes = o.layerSizes ?? o.layers.map((l) => l.size);
    return this.mutate((st) => {
      const now = Date.now();
      const existing = st.images[id];
      const img: Image = existing ?? {
        id,
        manifestDigest: man.digest,
        config: o.config,
        layers: o.layers,
        repoTags: [],
        repoDigests: [],
        size: sizes.reduce((a, b) => a + b, 0),
        chainId: chainIds(o.config.rootfs.diff_ids).pop() ?? null,
        storedAt: now,
        layerSizes: sizes,
      };
      if (o.parent && !existing) img.parent = o.parent;
      st.images[id] = img;
      for (const t of tags) this.moveTag(st, t, id, now);
      for (const d of repoDigests) if (!img.repoDigests.includes(d)) img.repoDigests.push(d);
      return structuredClone(img);
    });
  }

  private moveTag(st: State, tag: string, id: Digest, now: number): void {
    for (const other of Object.values(st.images)) {
      if (other.id !== id) other.repoTags = other.repoTags.filter((t) => t !== tag);
    }
    const img = st.images[id]!;
    if (!img.repoTags.includes(tag)) img.repoTags.push(tag);
    img.lastTagTime = now;
  }

  /** docker tag SOURCE TARGET. */
  async tag(refOrId: string, ref: string): Promise<void> {
    const target = referenceString(parseTagReference(ref));
    await this.mutate((st) => {
      const id = this.resolve(refOrId);
      if (!id || !st.images[id]) throw noSuchRef(refOrId);
      this.moveTag(st, target, id, Date.now());
    });
  }

  /** Removes one tag (or digest reference); returns the image it pointed to. */
  async untag(ref: string): Promise<Digest> {
    const r = parseReference(ref);
    const key = referenceString(r);
    return this.mutate((st) => {
      const id = r.digest !== undefined ? this.digests.get(`${fullName(r)}@${r.digest}`) : this.tags.get(key);
      if (!id || !st.images[id]) throw noSuchImage(familiarString(r));
      const img = st.images[id]!;
      if (r.digest !== undefined) img.repoDigests = img.repoDigests.filter((d) => d !== `${fullName(r)}@${r.digest}`);
      else img.repoTags = img.repoTags.filter((t) => t !== key);
      return id;
    });
  }

  /** docker rmi with docker's rules and DeleteItems. */
  async remove(refOrId: string, opts: { force?: boolean; prune?: boolean } = {}): Promise<DeleteItem[]> {
    const force = opts.force ?? false;
    const prune = opts.prune ?? true;
    const removedChains: string[] = [];
    const items = await this.mutate((st) => {
      const id = this.resolve(refOrId);
      if (!id || !st.images[id]) throw noSuchRef(refOrId);
      const img = st.images[id]!;
      const records: DeleteItem[] = [];
      const refs = (): string[] => [...img.repoTags, ...img.repoDigests];
      const isIdPrefix = id.startsWith(refOrId) || id.slice(7).startsWith(refOrId);
      if (!isIdPrefix) {
        const r = parseNormalizedNamed(refOrId);
        const ref: Reference = r.digest === undefined && r.tag === undefined ? { ...r, tag: 'latest' } : r;
        const user = inUseId(this.isInUse(id));
        if (!force && refs().length === 1 && user) {
          throw new Conflict(`conflict: unable to remove repository reference "${refOrId}" (must force) - container ${shortId(user.id)} is using its referenced image ${shortId(id)}`);
        }
        if (ref.digest !== undefined) {
          const key = `${fullName(ref)}@${ref.digest}`;
          img.repoDigests = img.repoDigests.filter((d) => d !== key);
          records.push({ Untagged: familiarString({ ...ref, tag: undefined }) });
        } else {
          const key = referenceString(ref);
          img.repoTags = img.repoTags.filter((t) => t !== key);
          records.push({ Untagged: familiarString(ref) });
          // No tag left in this repository: its digest references go too.
          const name = fullName(ref);
          if (!img.repoTags.some((t) => fullName(parseNormalizedNamed(t)) === name)) {
            for (const d of img.repoDigests.filter((x) => fullName(parseNormalizedNamed(x)) === name)) {
              img.repoDigests = img.repoDigests.filter((x) => x !== d);
              records.push({ Untagged: familiar(d) });
            }
          }
        }
        if (refs().length > 0) return records;
        this.deleteImage(st, img, records, force, prune, removedChains);
        return records;
      }
      // By ID: an image with one tag (plus digests of that repository) is untagged, then deleted;
      // with more references deleteImage demands force.
      if (isSingleReference(refs())) {
        this.checkConflicts(st, img, force, false);
        for (const t of refs()) records.push({ Untagged: familiar(t) });
        img.repoTags = [];
        img.repoDigests = [];
      }
      this.deleteImage(st, img, records, force, prune, removedChains);
      return records;
    });
    for (const c of await this.removeSnapshots(removedChains)) items.push({ Deleted: c });
    return items;
  }

  private checkConflicts(st: State, img: Image, force: boolean, multipleRefs: boolean): void {
    const conflict = (hard: boolean, msg: string): Conflict =>
      new Conflict(`conflict: unable to delete ${shortId(img.id)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${msg}`);
    if (Object.values(st.images).some((i) => i.parent === img.id)) throw conflict(true, 'image has dependent child images');
    const user = inUseId(this.isInUse(img.id));
    if (user?.running) throw conflict(true, `image is being used by running container ${shortId(user.id)}`);
    if (!force && user) throw conflict(false, `image is being used by stopped container ${shortId(user.id)}`);
    if (!force && multipleRefs) throw conflict(false, 'image is referenced in multiple repositories');
  }

  private deleteImage(st: State, img: Image, records: DeleteItem[], force: boolean, prune: boolean, removedChains: string[]): void {
    const refs = img.repoTags.length + img.repoDigests.length;
    this.checkConflicts(st, img, force, !force && refs > 1);
    for (const t of [...img.repoTags, ...img.repoDigests]) records.push({ Untagged: familiar(t) });
    delete st.images[img.id];
    records.push({ Deleted: img.id });
    removedChains.push(...this.unusedChains(st, img));
    if (prune && img.parent) {
      const parent = st.images[img.parent];
      // Parents are pruned quietly: only when dangling and unused.
      if (parent && parent.repoTags.length === 0 && parent.repoDigests.length === 0 && !this.isInUse(parent.id)
        && !Object.values(st.images).some((i) => i.parent === parent.id)) {
        this.deleteImage(st, parent, records, false, true, removedChains);
      }
    }
  }

  /** Whether an image stands on the layer snapshot of this chain ID. */
  chainInUse(chain: string): boolean {
    return Object.values(this.state.images).some((i) => chainIds(i.config.rootfs.diff_ids).some((c) => c === chain));
  }

  /** Chain IDs of img that no remaining image needs (removed after the state is saved). */
  private unusedChains(st: State, img: Image): string[] {
    if (!this.opts.snapshotter) return [];
    const used = new Set<string>();
    for (const i of Object.values(st.images)) for (const c of chainIds(i.config.rootfs.diff_ids)) used.add(c);
    return chainIds(img.config.rootfs.diff_ids).filter((c) => !used.has(c)).reverse();
  }

  /** After a removal: drop unused layer snapshots; returns the chain IDs removed. */
  private async removeSnapshots(chains: string[]): Promise<string[]> {
    const sn = this.opts.snapshotter;
    if (!sn) return [];
    const done: string[] = [];
    for (const c of chains) {
      try {
        // Its containers' init layer first (gone with the last container of the image: else a Conflict).
        await sn.remove(sharedInitKey(c)).catch((err: unknown) => {
          if (!(err instanceof NotFound)) throw err;
        });
        await sn.remove(c);
        done.push(c);
      } catch (err) {
        // Still a container's parent, or already gone: keep it for now.
        if (!(err instanceof Conflict) && !(err instanceof NotFound)) throw err;
        break;
      }
    }
    return done;
  }

  // ------------------------------------------------------------------------------------------
  // Views in the Engine API's shapes

  summary(opts: { filters?: FilterArgs; all?: boolean } = {}): ImageSummary[] {
    const filters = opts.filters ?? new Map<string, string[]>();
    const m = imageFilter(filters, { resolve: (r) => this.getSync(r) });
    const out: ImageSummary[] = [];
    const imgs = Object.values(this.state.images);
    for (const img of imgs) {
      if (!m.match(img)) continue;
      // Without --all, intermediate images (dangling parents of others) are hidden, as docker.
      if (!opts.all && img.repoTags.length === 0 && img.repoDigests.length === 0 && imgs.some((c) => c.parent === img.id)) continue;
      out.push({
        Id: img.id,
        ParentId: img.parent ?? '',
        RepoTags: m.matchingTags(img).map(familiar),
        RepoDigests: m.matchingDigests(img).map(familiar),
        Created: Math.floor(createdMs(img) / 1000),
        Size: img.size,
        SharedSize: -1,
        Labels: img.config.config?.Labels ?? {},
        Containers: -1,
      });
    }
    return out.sort((a, b) => b.Created - a.Created || (a.Id < b.Id ? -1 : 1));
  }

  /** Images matching prune filters (dangling only unless all), not used by containers. */
  pruneCandidates(filters: FilterArgs, all: boolean): Image[] {
    const f = new Map(filters);
    if (!f.has('dangling')) f.set('dangling', ['true']);
    const danglingOnly = !all && f.get('dangling')!.some((v) => ['true', '1'].includes(v.toLowerCase()));
    f.delete('dangling');
    const m = imageFilter(f, { resolve: (r) => this.getSync(r), prune: true });
    return Object.values(this.state.images).filter((img) => {
      if (danglingOnly && (img.repoTags.length > 0 || img.repoDigests.length > 0)) return false;
      if (this.isInUse(img.id)) return false;
      return m.match(img);
    });
  }

  async history(refOrId: string): Promise<HistoryItem[]> {
    const img = this.getSync(refOrId);
    const sizes = img.layerSizes ?? img.layers.map((l) => l.size);
    const hist = img.config.history ?? [];
    const out: HistoryItem[] = [];
    let layer = 0;
    for (const h of hist) {
      let size = 0;
      if (!h.empty_layer) size = sizes[layer++] ?? 0;
      out.push({
        Id: '<missing>',
        Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
        CreatedBy: h.created_by ?? '',
        Tags: null,
        Size: size,
        Comment: h.comment ?? '',
      });
    }
    if (out.length === 0) {
      out.push({ Id: '<missing>', Created: Math.floor(createdMs(img) / 1000), CreatedBy: '', Tags: null, Size: img.size, Comment: '' });
    }
    out.reverse();
    // Local parents get their own IDs and tags, as docker's history walks the parent chain.
    out[0]!.Id = img.id;
    out[0]!.Tags = img.repoTags.length ? img.repoTags.map(familiar) : null;
    let parent = img.parent ? this.state.images[img.parent] : undefined;
    let idx = out.length - (img.parent ? (parent?.config.history?.length ?? 0) : 0);
    while (parent && idx > 0 && idx < out.length) {
      out[idx]!.Id = parent.id;
      out[idx]!.Tags = parent.repoTags.length ? parent.repoTags.map(familiar) : null;
      parent = parent.parent ? this.state.images[parent.parent] : undefined;
      idx = out.length - (parent?.config.history?.length ?? 0);
    }
    return out;
  }

  async inspect(refOrId: string): Promise<Record<string, unknown>> {
    const img = this.getSync(refOrId);
    const c = img.config;
    const rc = c.config ?? {};
    return {
      Id: img.id,
      RepoTags: img.repoTags.map(familiar),
      RepoDigests: img.repoDigests.map(familiar),
      Parent: img.parent ?? '',
      Comment: c.comment ?? '',
      Created: c.created ?? '',
      DockerVersion: c.docker_version ?? '',
      Author: c.author ?? '',
      // The container the image was committed from, and its config then (empty for an import);
      // older API versions show them (see api/versions.ts).
      Container: c.container ?? '',
      ContainerConfig: containerConfigView(c.container_config ?? {}),
      Config: containerConfigView(rc),
      Architecture: c.architecture,
      ...(c.variant ? { Variant: c.variant } : {}),
      Os: c.os,
      Size: img.size,
      GraphDriver: { Name: 'overlay2', Data: await this.graphDriverData(img) },
      RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
      Metadata: { LastTagTime: img.lastTagTime ? new Date(img.lastTagTime).toISOString() : '0001-01-01T00:00:00Z' },
    };
  }

  private async graphDriverData(img: Image): Promise<Record<string, string> | null> {
    const sn = this.opts.snapshotter as DirSnapshotter | undefined;
    if (!img.chainId || !sn || typeof sn.dir !== 'function') return null;
    try {
      const upper = await sn.dir(img.chainId);
      const lowers = await sn.parentDirs(img.chainId);
      const base = upper.replace(/\/fs$/, '');
      const data: Record<string, string> = { MergedDir: `${base}/merged`, UpperDir: upper, WorkDir: `${base}/work` };
      if (lowers.length) data['LowerDir'] = lowers.join(':');
      return data;
    } catch (err) {
      if (err instanceof NotFound) return null;
      throw err;
    }
  }

  /** The familiar name of a tag or digest reference (helper for callers printing refs). */
  static familiar(ref: string): string {
    return familiar(ref);
  }

  static familiarRepo(ref: string): string {
    return familiarName(parseNormalizedNamed(ref));
  }
}

/** An image's config in the shape of a container's (Go's container.Config, as dockerd shows it). */
function containerConfigView(rc: LegacyContainerConfig): Record<string, unknown> {
  return {
    Hostname: rc.Hostname ?? '', Domainname: rc.Domainname ?? '', User: rc.User ?? '',
    AttachStdin: rc.AttachStdin ?? false, AttachStdout: rc.AttachStdout ?? false, AttachStderr: rc.AttachStderr ?? false,
    ...(rc.ExposedPorts ? { ExposedPorts: rc.ExposedPorts } : {}),
    Tty: rc.Tty ?? false, OpenStdin: rc.OpenStdin ?? false, StdinOnce: rc.StdinOnce ?? false,
    Env: rc.Env ?? null, Cmd: rc.Cmd ?? null,
    ...(rc.Healthcheck ? { Healthcheck: rc.Healthcheck } : {}),
    ...(rc.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: rc.Image ?? '', Volumes: rc.Volumes ?? null, WorkingDir: rc.WorkingDir ?? '', Entrypoint: rc.Entrypoint ?? null,
    OnBuild: rc.OnBuild ?? null, Labels: rc.Labels ?? null,
    ...(rc.StopSignal ? { StopSignal: rc.StopSignal } : {}),
    ...(rc.Shell ? { Shell: rc.Shell } : {}),
  };
}
