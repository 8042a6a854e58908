// Images made from bytes for registry tests and benchmarks: layer tars, gzip blobs, a config
// and a Docker schema 2 manifest; written as an OCI layout (for `skopeo copy oci:DIR:TAG`) or
// served by a small fake registry on loopback that can be told to misbehave.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeHeader, END_OF_ARCHIVE, padding } from '../src/engine/archive/tar.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A layer tar of regular files (root-owned, 0644, a fixed time). */
export function layerTar(files: Array<{ name: string; data: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(encodeHeader({ name: f.name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: f.data.length, mtime: 1_700_000_000_000 }), f.data, padding(f.data.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

export interface FixtureLayer {
  tar: Buffer;
  gz: Buffer;
  digest: string;
  diffId: string;
}

export interface FixtureImage {
  config: Buffer;
  configDigest: string;
  layers: FixtureLayer[];
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
}

/** An image of these layer tars: gzip blobs (level 1 unless said), a config, a schema 2 manifest. */
export function makeImage(tars: Buffer[], opts: { level?: number; cmd?: string[]; diffIds?: string[]; oci?: boolean } = {}): FixtureImage {
  const layers = tars.map((tar) => {
    const gz = gzipSync(tar, { level: opts.level ?? 1 });
    return { tar, gz, digest: sha(gz), diffId: sha(tar) };
  });
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
    config: { Cmd: opts.cmd ?? ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: opts.diffIds ?? layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'fixture' })),
  }));
  const types = opts.oci
    ? { manifest: 'application/vnd.oci.image.manifest.v1+json', config: 'application/vnd.oci.image.config.v1+json', layer: 'application/vnd.oci.image.layer.v1.tar+gzip' }
    : { manifest: 'application/vnd.docker.distribution.manifest.v2+json', config: 'application/vnd.docker.container.image.v1+json', layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip' };
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: types.manifest,
    config: { mediaType: types.config, size: config.length, digest: sha(config) },
    layers: layers.map((l) => ({ mediaType: types.layer, size: l.gz.length, digest: l.digest })),
  }, null, 3));
  return { config, configDigest: sha(config), layers, manifest, manifestDigest: sha(manifest), mediaType: types.manifest };
}

/** Writes the image as an OCI image layout in dir, tagged `tag` (skopeo's `oci:DIR:TAG`). */
export function writeOciLayout(dir: string, img: FixtureImage, tag: string): void {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (digest: string, b: Buffer): void => writeFileSync(join(blobs, digest.slice(7)), b);
  put(img.configDigest, img.config);
  for (const l of img.layers) put(l.digest, l.gz);
  put(img.manifestDigest, img.manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: img.mediaType, digest: img.manifestDigest, size: img.manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
}

/** What the fake registry serves: manifests by `repo:reference`, blobs by digest (or a handler that misbehaves). */
export interface FakeContent {
  manifests: Map<string, { type: string; bytes: Buffer }>;
  blobs: Map<string, Buffer | ((res: ServerResponse) => void)>;
  /** Repositories whose every request is denied (403 DENIED). */
  denied: Set<string>;
}

/** Serves an image under repo:tag in a fake registry's content. */
export function addImage(c: FakeContent, repo: string, tag: string, img: FixtureImage): void {
  c.manifests.set(`${repo}:${tag}`, { type: img.mediaType, bytes: img.manifest });
  c.manifests.set(`${repo}:${img.manifestDigest}`, { type: img.mediaType, bytes: img.manifest });
  c.blobs.set(img.configDigest, img.config);
  for (const l of img.layers) c.blobs.set(l.digest, l.gz);
}

/** A read-only registry on 127.0.0.1 serving `content`, without authentication. */
export async function startFakeRegistry(content: FakeContent): Promise<{ host: string; server: Server; stop: () => Promise<void> }> {
  const err = (res: ServerResponse, status: number, code: string, message: string): void => {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code, message }] }));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/v2/') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
    if (!m) return err(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry');
    const [, repo, kind, ref] = m as unknown as [string, string, string, string];
    if (content.denied.has(repo)) return err(res, 403, 'DENIED', 'requested access to the resource is denied');
    if (kind === 'manifests') {
      const man = content.manifests.get(`${repo}:${ref}`);
      if (!man) return err(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      res.writeHead(200, { 'Content-Type': man.type, 'Content-Length': man.bytes.length, 'Docker-Content-Digest': sha(man.bytes) });
      return void res.end(req.method === 'HEAD' ? undefined : man.bytes);
    }
    const blob = content.blobs.get(ref);
    if (!blob) return err(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
    if (typeof blob === 'function') return blob(res);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length });
    res.end(req.method === 'HEAD' ? undefined : blob);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    server,
    stop: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
