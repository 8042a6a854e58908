/**
 * `docker load`: reads a save archive as a stream — Docker 25+ (OCI layout + manifest.json),
 * older docker (`<id>.json` configs, `<id>/layer.tar`, no index.json) or a plain OCI layout —
 * storing every file in the content store as it passes (blobs/sha256/<hex> verified against its
 * name), then creates the images and unpacks their layers into snapshots (chain IDs reused).
 */
import { isDigest, type Digest } from '../../core/digest.js';
import { InvalidArgument, NotFound } from '../../core/errors.js';
import type { ImageStore } from '../images/image-store.js';
import { familiar, parseNormalizedNamed, referenceString } from '../images/references.js';
import { MediaTypes, type Descriptor, type Image, type ImageConfigBlob, type ImageManifest } from '../images/types.js';
import type { DirSnapshotter } from '../snapshots/snapshotter.js';
import { unpackLayer } from '../snapshots/unpack.js';
import { decompress } from './compression.js';
import { readTar } from './tar.js';
import { posix } from 'node:path';

export interface LoadDeps {
  images: ImageStore;
  snapshotter: DirSnapshotter;
}

export interface LoadResult {
  images: Image[];
  /** What docker load prints: `Loaded image: busybox:latest`, `Loaded image ID: sha256:...`. */
  lines: string[];
}

/** Metadata files are small; anything bigger is a layer and is never held in memory. */
const SMALL = 4 << 20;

interface LegacyManifest {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

interface OciIndex {
  manifests?: Array<Descriptor & { mediaType?: string }>;
}

export async function loadImages(deps: LoadDeps, source: AsyncIterable<Buffer | Uint8Array>, opts: { signal?: AbortSignal; onLine?: (line: string) => void } = {}): Promise<LoadResult> {
  const content = deps.images.content;
  /** archive path → digest of its content in the store */
  const files = new Map<string, Digest>();
  const small = new Map<string, Buffer>();
  const symlinks = new Map<string, string>();
  const { stream } = await decompress(source);
  try {
    for await (const { header, body } of readTar(stream)) {
      opts.signal?.throwIfAborted();
      const name = posix.normalize(header.name).replace(/^(\.\/)+/, '').replace(/\/$/, '');
      if (header.type === 'symlink' || header.type === 'link') {
        const target = header.type === 'symlink' ? posix.join(posix.dirname(name), header.linkname ?? '') : posix.normalize(header.linkname ?? '');
        symlinks.set(name, target);
        continue;
      }
      if (header.type !== 'file') continue;
      const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
      const expected: Digest | undefined = m ? `sha256:${m[1]}` as Digest : undefined;
      if (header.size <= SMALL && !name.endsWith('.tar')) {
        const parts: Buffer[] = [];
        for await (const c of body) parts.push(c);
        const data = Buffer.concat(parts);
        small.set(name, data);
        files.set(name, (await content.writeBlob(data, expected)).digest);
        continue;
      }
      const info = await content.writeStream(body, expected ? { digest: expected, size: header.size } : { size: header.size }, { signal: opts.signal });
      files.set(name, info.digest);
    }
  } catch (err) {
    if (err instanceof InvalidArgument && /unexpected commit digest/.test(err.message)) {
      throw new InvalidArgument(`invalid archive: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const resolvePath = (p: string): string => {
    let cur = posix.normalize(p);
    for (let i = 0; i < 16 && symlinks.has(cur); i++) cur = symlinks.get(cur)!;
    return cur;
  };
  const digestOf = (p: string): Digest => {
    const d = files.get(resolvePath(p));
    if (!d) throw new InvalidArgument(`invalid archive: ${p} not found in the archive`);
    return d;
  };
  const json = async <T>(d: Digest): Promise<T> => {
    try {
      return JSON.parse((await content.readBuffer(d)).toString('utf8')) as T;
    } catch (err) {
      if (err instanceof NotFound) throw new InvalidArgument(`invalid archive: blob ${d} missing`);
      throw new InvalidArgument(`invalid archive: ${(err as Error).message}`);
    }
  };

  interface Plan { config: Digest; layers: Descriptor[]; tags: string[]; manifest?: Digest }
  const plans: Plan[] = [];
  const manifestJson = small.get('manifest.json');
  if (manifestJson) {
    let legacy: LegacyManifest[];
    try {
      legacy = JSON.parse(manifestJson.toString('utf8')) as LegacyManifest[];
    } catch {
      throw new InvalidArgument('invalid archive: manifest.json is not valid JSON');
    }
    for (const m of legacy) {
      const config = digestOf(m.Config);
      const layers: Descriptor[] = [];
      for (const l of m.Layers) {
        const d = digestOf(l);
        layers.push({ mediaType: MediaTypes.ociLayer, digest: d, size: (await content.info(d)).size });
      }
      plans.push({ config, layers, tags: m.RepoTags ?? [] });
    }
  } else if (small.get('index.json')) {
    const idx = JSON.parse(small.get('index.json')!.toString('utf8')) as OciIndex;
    const visit = async (desc: Descriptor, name: string | undefined): Promise<void> => {
      if (!isDigest(desc.digest)) throw new InvalidArgument(`invalid archive: bad digest ${String(desc.digest)}`);
      if (desc.mediaType === MediaTypes.ociIndex || desc.mediaType === MediaTypes.dockerManifestList) {
        const sub = await json<OciIndex>(desc.digest);
        const ms = sub.manifests ?? [];
        const pick = ms.find((x) => x.platform?.os === 'linux' && x.platform.architecture === 'amd64') ?? ms.find((x) => !x.platform) ?? ms[0];
        if (pick) await visit(pick, name);
        return;
      }
      const man = await json<ImageManifest>(desc.digest);
      plans.push({ config: man.config.digest, layers: man.layers, tags: name ? [name] : [], manifest: desc.digest });
    };
    for (const d of idx.manifests ?? []) {
      const a = d.annotations ?? {};
      let name: string | undefined = a['io.containerd.image.name'];
      const refName = a['org.opencontainers.image.ref.name'];
      if (!name && refName) {
        try {
          const r = parseNormalizedNamed(refName);
          // A bare tag ("latest") is not a name: such images load untagged.
          if (refName.includes('/') || refName.includes(':')) name = referenceString(r);
        } catch {
          name = undefined;
        }
      }
      await visit(d, name);
    }
  } else {
    throw new InvalidArgument('invalid archive: no manifest.json or index.json found');
  }

  // Merge plans of the same image (one index entry per tag).
  const merged = new Map<string, Plan>();
  for (const p of plans) {
    const m = merged.get(p.config);
    if (m) m.tags.push(...p.tags);
    else merged.set(p.config, { ...p, tags: [...p.tags] });
  }

  const result: Image[] = [];
  const lines: string[] = [];
  const say = (l: string): void => {
    lines.push(l);
    opts.onLine?.(l);
  };
  for (const plan of merged.values()) {
    const configBytes = await content.readBuffer(plan.config).catch(() => {
      throw new InvalidArgument(`invalid archive: config ${plan.config} missing`);
    });
    const config = JSON.parse(configBytes.toString('utf8')) as ImageConfigBlob;
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== plan.layers.length) {
      throw new InvalidArgument(`invalid archive: image ${plan.config} has ${diffIds.length} diff IDs and ${plan.layers.length} layers`);
    }
    let parent: Digest | null = null;
    const sizes: number[] = [];
    for (let i = 0; i < plan.layers.length; i++) {
      const layer = plan.layers[i]!;
      const r = await unpackLayer(deps.snapshotter, parent, () => content.readStream(layer.digest), { diffId: diffIds[i]!, signal: opts.signal });
      parent = r.chainId;
      sizes.push(r.size);
    }
    const tags = plan.tags.map((t) => referenceString(parseNormalizedNamed(t.includes(':') || t.includes('@') ? t : `${t}:latest`)));
    for (const t of tags) {
      const prev = deps.images.resolve(t);
      if (prev && prev !== plan.config) {
        say(`The image ${familiar(t)} already exists, renaming the old one with ID ${prev} to empty string`);
      }
    }
    const img = await deps.images.create({
      config,
      configBytes,
      layers: plan.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      layerSizes: sizes,
      tags,
      ...(plan.manifest ? { manifest: await content.readBuffer(plan.manifest) } : {}),
    });
    result.push(img);
    if (tags.length) for (const t of tags) say(`Loaded image: ${familiar(t)}`);
    else say(`Loaded image ID: ${img.id}`);
  }
  return { images: result, lines };
}
