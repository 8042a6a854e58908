/**
 * An OCI image layout directory (image-spec's image-layout.md) of a made-up image, for skopeo to
 * copy from: layers that are gzipped tar archives of one file of random bytes (compressed, so
 * skopeo pushes them as they are), streamed to disk: a benchmark's 100 MiB layer is never whole
 * in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface Layout {
  dir: string;
  tag: string;
  manifest: string;
  layers: string[];
}

const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number): void => void h.write(s, off, 'ascii');
  put(name, 0);
  put('0000644\0', 100);
  put('0000000\0', 108);
  put('0000000\0', 116);
  put(`${size.toString(8).padStart(11, '0')}\0`, 124);
  put(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136);
  put('        ', 148);
  put('0', 156);
  put('ustar\0', 257);
  put('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

async function writeBlob(dir: string, parts: () => Iterable<Buffer>): Promise<{ digest: string; size: number }> {
  const tmp = join(dir, 'blobs', 'sha256', `tmp-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'w');
  const hash = createHash('sha256');
  let size = 0;
  try {
    for (const p of parts()) {
      hash.update(p);
      size += p.length;
      await fh.write(p);
    }
  } finally {
    await fh.close();
  }
  const hex = hash.digest('hex');
  await rename(tmp, join(dir, 'blobs', 'sha256', hex));
  return { digest: `sha256:${hex}`, size };
}

const hashing = (hash: ReturnType<typeof createHash>, count: (n: number) => void = () => {}): Transform =>
  new Transform({
    transform(c: Buffer, _e, cb) {
      hash.update(c);
      count(c.length);
      cb(null, c);
    },
  });

/** A gzipped layer: its digest and size, and the digest of the tar inside (the diff ID). */
async function writeLayer(dir: string, size: number): Promise<{ digest: string; size: number; diff: string }> {
  const tmp = join(dir, 'blobs', 'sha256', `tmp-${randomBytes(6).toString('hex')}`);
  const diff = createHash('sha256');
  const blob = createHash('sha256');
  let n = 0;
  await pipeline(Readable.from(layerParts(size)), hashing(diff), createGzip({ level: 1 }), hashing(blob, (x) => (n += x)), createWriteStream(tmp));
  const hex = blob.digest('hex');
  await rename(tmp, join(dir, 'blobs', 'sha256', hex));
  return { digest: `sha256:${hex}`, size: n, diff: `sha256:${diff.digest('hex')}` };
}

/** A layer of `size` random bytes in one file (plus the tar's own headers and padding). */
function* layerParts(size: number): Iterable<Buffer> {
  yield tarHeader('data.bin', size);
  for (let left = size; left > 0; left -= 1 << 20) yield randomBytes(Math.min(left, 1 << 20));
  yield Buffer.alloc((512 - (size % 512)) % 512 + 1024);
}

/** One image's blobs in the layout: its manifest's digest and size, and its layers. */
async function writeImage(dir: string, layerSizes: number[], architecture: string): Promise<{ digest: string; size: number; layers: string[] }> {
  const layers: { digest: string; size: number; diff: string }[] = [];
  for (const s of layerSizes) layers.push(await writeLayer(dir, s));
  const config = Buffer.from(JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diff) }, config: {} }));
  const c = await writeBlob(dir, () => [config]);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: c.digest, size: c.size },
    layers: layers.map((l) => ({ mediaType: LAYER, digest: l.digest, size: l.size })),
  }));
  const m = await writeBlob(dir, () => [manifest]);
  return { ...m, layers: layers.map((l) => l.digest) };
}

function startLayout(dir: string): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
}

function writeIndexJson(dir: string, mediaType: string, d: { digest: string; size: number }, tag: string): void {
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType, digest: d.digest, size: d.size, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
}

export async function makeLayout(dir: string, layerSizes: number[], tag = 'latest'): Promise<Layout> {
  startLayout(dir);
  const m = await writeImage(dir, layerSizes, 'amd64');
  writeIndexJson(dir, 'application/vnd.oci.image.manifest.v1+json', m, tag);
  return { dir, tag, manifest: m.digest, layers: m.layers };
}

/** A multi-platform image: an OCI index of one image per architecture; `manifest` is the index. */
export async function makeIndexLayout(dir: string, architectures: string[], layerSizes: number[], tag = 'latest'): Promise<Layout> {
  startLayout(dir);
  const images = [];
  for (const a of architectures) images.push({ arch: a, ...(await writeImage(dir, layerSizes, a)) });
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: images.map((i) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: i.digest, size: i.size, platform: { architecture: i.arch, os: 'linux' } })),
  }));
  const d = await writeBlob(dir, () => [index]);
  writeIndexJson(dir, 'application/vnd.oci.image.index.v1+json', d, tag);
  return { dir, tag, manifest: d.digest, layers: images.flatMap((i) => i.layers) };
}
