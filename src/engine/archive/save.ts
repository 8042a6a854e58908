/**
 * `docker save`, in the format Docker 25+ writes: an OCI image layout (oci-layout, index.json,
 * blobs/sha256/...) plus the legacy manifest.json and repositories files. Layers are saved
 * uncompressed (their digest is the diff ID), as docker does; a gzip layer blob is decompressed
 * once into the content store (under its diff ID) and reused by later saves.
 */
import { createGunzip } from 'node:zlib';
import { hexOf, sha256, type Digest } from '../../core/digest.js';
import { NotFound } from '../../core/errors.js';
import { ingest } from '../content/store.js';
import type { ImageStore } from '../images/image-store.js';
import { familiar, familiarName, fullName, parseNormalizedNamed, referenceString } from '../images/references.js';
import { MediaTypes, type Image, type ImageManifest } from '../images/types.js';
import { writeTar, type TarHeader, type TarSourceEntry } from './tar.js';
import { GUNZIP_CHUNK } from './compression.js';

export interface SaveItem {
  image: Image;
  /** Full references to record for this image (empty when saved by ID). */
  refs: string[];
}

/** Which images and tags `docker save ARGS...` covers, as docker resolves them. */
export async function resolveSaveArgs(images: ImageStore, args: string[]): Promise<SaveItem[]> {
  const byId = new Map<string, SaveItem>();
  const add = (image: Image, refs: string[]): void => {
    const item = byId.get(image.id) ?? { image, refs: [] };
    for (const r of refs) if (!item.refs.includes(r)) item.refs.push(r);
    byId.set(image.id, item);
  };
  for (const arg of args) {
    const id = images.resolve(arg);
    if (id && (id.startsWith(arg) || id.slice(7).startsWith(arg))) {
      add(await images.get(id), []);
      continue;
    }
    let ref;
    try {
      ref = parseNormalizedNamed(arg);
    } catch {
      throw new NotFound(`No such image: ${arg}`);
    }
    if (ref.tag === undefined && ref.digest === undefined) {
      // A bare repository name saves every tag of that repository (with or without a :latest).
      const name = fullName(ref);
      let found = false;
      for (const img of await images.list()) {
        const tags = img.repoTags.filter((t) => fullName(parseNormalizedNamed(t)) === name);
        if (tags.length) {
          add(img, tags);
          found = true;
        }
      }
      if (!found) throw new NotFound(`No such image: ${arg}`);
      continue;
    }
    if (!id) throw new NotFound(`No such image: ${arg}`);
    add(await images.get(id), ref.digest === undefined ? [referenceString(ref)] : []);
  }
  return [...byId.values()];
}

const T0 = 0; // docker writes the metadata files with the epoch as mtime

function fileEntry(name: string, body: Buffer | AsyncIterable<Buffer | Uint8Array>, size: number): TarSourceEntry {
  const header: TarHeader = { name, type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtime: T0 };
  return { header, body };
}
function dirEntry(name: string): TarSourceEntry {
  return { header: { name, type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: T0 } };
}

/** The layer as an uncompressed blob named by its diff ID (decompressing once if needed). */
async function uncompressedLayer(images: ImageStore, layer: { digest: Digest; mediaType: string }, diffId: Digest): Promise<number> {
  try {
    return (await images.content.info(diffId)).size;
  } catch (err) {
    if (!(err instanceof NotFound)) throw err;
  }
  const gz = createGunzip({ chunkSize: GUNZIP_CHUNK });
  const src = await images.content.readStream(layer.digest);
  src.on('error', (e) => gz.destroy(e));
  src.pipe(gz);
  return (await ingest(images.content, gz as AsyncIterable<Buffer>, { digest: diffId })).size;
}

/** The archive for `docker save`, as a tar byte stream. */
export async function saveImages(images: ImageStore, args: string[], onImage?: (item: SaveItem) => void): Promise<AsyncGenerator<Buffer>> {
  const items = await resolveSaveArgs(images, args);
  if (onImage) items.forEach(onImage);
  // Everything needing I/O before streaming: blob sizes and the manifests.
  const blobs = new Map<string, number>();
  const index: Array<Record<string, unknown>> = [];
  const legacy: Array<Record<string, unknown>> = [];
  const repositories: Record<string, Record<string, string>> = {};
  const extra: Array<[Digest, Buffer]> = [];
  for (const { image, refs } of items) {
    const configSize = (await images.content.info(image.id)).size;
    blobs.set(image.id, configSize);
    const diffIds = image.config.rootfs.diff_ids;
    const layers: ImageManifest['layers'] = [];
    for (let i = 0; i < diffIds.length; i++) {
      const size = await uncompressedLayer(images, image.layers[i]!, diffIds[i]!);
      blobs.set(diffIds[i]!, size);
      layers.push({ mediaType: MediaTypes.ociLayer, digest: diffIds[i]!, size });
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: image.id, size: configSize },
      layers,
    };
    const mbytes = Buffer.from(JSON.stringify(manifest));
    const mdigest = sha256(mbytes);
    extra.push([mdigest, mbytes]);
    const desc = { mediaType: MediaTypes.ociManifest, digest: mdigest, size: mbytes.length };
    if (refs.length === 0) index.push(desc);
    for (const r of refs) {
      const ref = parseNormalizedNamed(r);
      index.push({ ...desc, annotations: { 'io.containerd.image.name': r, 'org.opencontainers.image.ref.name': ref.tag ?? '' } });
      if (diffIds.length) (repositories[familiarName(ref)] ??= {})[ref.tag ?? 'latest'] = hexOf(diffIds[diffIds.length - 1]!);
    }
    legacy.push({
      Config: `blobs/sha256/${hexOf(image.id)}`,
      RepoTags: refs.length ? refs.map(familiar) : null,
      Layers: diffIds.map((d) => `blobs/sha256/${hexOf(d)}`),
    });
  }
  const indexJson = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: index }));
  const manifestJson = Buffer.from(JSON.stringify(legacy) + '\n');
  const layout = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const repos = Buffer.from(JSON.stringify(repositories) + '\n');

  async function* entries(): AsyncGenerator<TarSourceEntry> {
    yield dirEntry('blobs/');
    yield dirEntry('blobs/sha256/');
    for (const [digest, size] of blobs) yield fileEntry(`blobs/sha256/${hexOf(digest as Digest)}`, await images.content.readStream(digest as Digest), size);
    for (const [digest, bytes] of extra) {
      if (blobs.has(digest)) continue;
      blobs.set(digest, bytes.length);
      yield fileEntry(`blobs/sha256/${hexOf(digest)}`, bytes, bytes.length);
    }
    yield fileEntry('index.json', indexJson, indexJson.length);
    yield fileEntry('manifest.json', manifestJson, manifestJson.length);
    yield fileEntry('oci-layout', layout, layout.length);
    if (Object.keys(repositories).length) yield fileEntry('repositories', repos, repos.length);
  }
  return writeTar(entries());
}
