/**
 * Test content shaped as the OCI conformance suite makes it (conformance/testdata.go): images with
 * gzipped tar layers and a config, indexes of them, artifacts, manifests with a subject, and the
 * data sets of its checklist, each with its blobs, manifests (in push order), tags and the
 * referrers the registry must list.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export const MT = {
  conf1: 'application/vnd.example.oci.conformance.v1',
  conf2: 'application/vnd.example.oci.conformance.v2',
  octet: 'application/octet-stream',
  config: 'application/vnd.oci.image.config.v1+json',
  image: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGz: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerNd: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  layerNdGz: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

export type Algo = 'sha256' | 'sha512';

export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
  data?: string;
}

export interface Platform {
  os: string;
  architecture: string;
}

export const digestOf = (algo: Algo, b: Uint8Array | string): string => `${algo}:${createHash(algo).update(b).digest('hex')}`;

/** A one-file tar archive (ustar), enough for a layer. */
function tarOf(name: string, content: Buffer): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number): void => void h.write(s.slice(0, len), off, 'ascii');
  put(name, 0, 100);
  put('0000644\0', 100, 8);
  put('0000000\0', 108, 8);
  put('0000000\0', 116, 8);
  put(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 12);
  put(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([h, content, pad, Buffer.alloc(1024)]);
}

export interface GenOpts {
  algo?: Algo;
  annotations?: Record<string, string>;
  annotationUniq?: boolean;
  artifactType?: string;
  uncompressed?: boolean;
  configBytes?: Buffer;
  configMediaType?: string;
  extraField?: boolean;
  layerBytes?: Buffer;
  layerCount?: number;
  layerMediaType?: string;
  platform?: Platform;
  platforms?: Platform[];
  setData?: boolean;
  subject?: Desc;
  tag?: string;
}

export class TestData {
  readonly tags = new Map<string, string>();
  readonly tagPushed = new Set<string>();
  readonly desc = new Map<string, Desc>();
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, Buffer>();
  readonly manOrder: string[] = [];
  readonly referrers = new Map<string, Desc[]>();
  /** Manifests whose pushes must be refused (bad digest) and whose pulls are not tested. */
  readonly badDigest = new Set<string>();

  constructor(readonly name: string) {}

  addBlob(b: Buffer, o: GenOpts & { descriptorMediaType?: string } = {}): string {
    const algo = o.algo ?? 'sha256';
    const d = digestOf(algo, b);
    this.blobs.set(d, b);
    const desc: Desc = { mediaType: o.descriptorMediaType ?? MT.octet, digest: d, size: b.length };
    if (o.setData) desc.data = b.toString('base64');
    this.desc.set(d, desc);
    return d;
  }

  genBlob(size: number, o: GenOpts & { descriptorMediaType?: string } = {}): [string, Buffer] {
    const b = randomBytes(size);
    return [this.addBlob(b, o), b];
  }

  /** A layer: [compressed digest, uncompressed digest]. */
  genLayer(n: number, o: GenOpts = {}): [string, string] {
    const algo = o.algo ?? 'sha256';
    const file = Buffer.from(`Conformance test file contents for file number ${n}.\nTodays lucky number is ${randomBytes(6).readUIntBE(0, 6)}\n`);
    const tar = tarOf(`./conformance-${n}.txt`, file);
    const body = o.uncompressed ? tar : gzipSync(tar);
    const dc = digestOf(algo, body);
    const du = digestOf(algo, tar);
    this.blobs.set(dc, body);
    const desc: Desc = { mediaType: o.uncompressed ? MT.layer : MT.layerGz, digest: dc, size: body.length };
    if (o.setData) desc.data = body.toString('base64');
    this.desc.set(dc, desc);
    return [dc, du];
  }

  genConfig(p: Platform, diffIds: string[], o: GenOpts = {}): string {
    let config: Record<string, unknown> = { author: 'OCI Conformance Test', architecture: p.architecture, os: p.os, rootfs: { type: 'layers', diff_ids: diffIds } };
    if (o.extraField) config = withExtraField(config);
    const body = Buffer.from(JSON.stringify(config));
    const d = digestOf(o.algo ?? 'sha256', body);
    this.blobs.set(d, body);
    const desc: Desc = { mediaType: o.configMediaType ?? MT.config, digest: d, size: body.length };
    if (o.setData) desc.data = body.toString('base64');
    this.desc.set(d, desc);
    return d;
  }

  private annotationsOf(o: GenOpts): Record<string, string> | undefined {
    if (!o.annotationUniq) return o.annotations;
    return { ...(o.annotations ?? {}), [`org.example.${randomBytes(8).toString('hex')}`]: randomBytes(8).toString('hex') };
  }

  private addManifest(m: Record<string, unknown>, mediaType: string, artifactType: string | undefined, o: GenOpts): string {
    const body = Buffer.from(JSON.stringify(o.extraField ? withExtraField(m) : m));
    const d = digestOf(o.algo ?? 'sha256', body);
    this.manifests.set(d, body);
    this.manOrder.push(d);
    const desc: Desc = { mediaType, digest: d, size: body.length };
    if (o.setData) desc.data = body.toString('base64');
    this.desc.set(d, desc);
    if (o.subject) {
      const r: Desc = { mediaType, digest: d, size: body.length };
      if (artifactType) r.artifactType = artifactType;
      if (m.annotations) r.annotations = m.annotations as Record<string, string>;
      this.referrers.set(o.subject.digest, [...(this.referrers.get(o.subject.digest) ?? []), r]);
    }
    if (o.tag) this.tags.set(o.tag, d);
    return d;
  }

  genManifest(config: Desc, layers: Desc[], o: GenOpts = {}): string {
    const m: Record<string, unknown> = { schemaVersion: 2, mediaType: MT.image };
    if (o.artifactType) m.artifactType = o.artifactType;
    m.config = config;
    m.layers = layers;
    if (o.subject) m.subject = o.subject;
    const annotations = this.annotationsOf(o);
    if (annotations) m.annotations = annotations;
    return this.addManifest(m, MT.image, o.artifactType ?? config.mediaType, o);
  }

  genManifestFull(o: GenOpts = {}): string {
    const count = o.layerCount ?? 2;
    const platform = o.platform ?? { os: 'linux', architecture: 'amd64' };
    const compressed: string[] = [];
    const diffIds: string[] = [];
    for (let l = 0; l < count; l++) {
      if (!o.layerMediaType || o.layerMediaType.startsWith('application/vnd.oci.image.layer.v1.')) {
        const [c, u] = this.genLayer(l, o);
        compressed.push(c);
        diffIds.push(u);
      } else {
        const lo = { ...o, descriptorMediaType: o.layerMediaType };
        const d = o.layerBytes ? this.addBlob(o.layerBytes, lo) : this.genBlob(2048, lo)[0];
        compressed.push(d);
        diffIds.push(d);
      }
    }
    const config = !o.configMediaType || o.configMediaType === MT.config
      ? this.genConfig(platform, diffIds, o)
      : this.addBlob(o.configBytes ?? Buffer.alloc(0), { ...o, descriptorMediaType: o.configMediaType });
    return this.genManifest(this.desc.get(config)!, compressed.map((c) => this.desc.get(c)!), o);
  }

  genIndex(platforms: (Platform | undefined)[], manifests: string[], o: GenOpts = {}): string {
    const m: Record<string, unknown> = { schemaVersion: 2, mediaType: MT.index };
    if (o.artifactType) m.artifactType = o.artifactType;
    m.manifests = manifests.map((d, i) => (platforms[i] ? { ...this.desc.get(d)!, platform: platforms[i] } : { ...this.desc.get(d)! }));
    if (o.subject) m.subject = o.subject;
    const annotations = this.annotationsOf(o);
    if (annotations) m.annotations = annotations;
    return this.addManifest(m, MT.index, o.artifactType, o);
  }

  genIndexFull(o: GenOpts = {}): string {
    const platforms = o.platforms ?? [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }];
    const images = platforms.map((p) => this.genManifestFull({ ...o, platform: p }));
    return this.genIndex(platforms, images, o);
  }
}

/** The object with one more field no spec knows of (a registry must keep it, byte for byte). */
function withExtraField(v: Record<string, unknown>): Record<string, unknown> {
  return { ...v, [`custom${randomBytes(4).toString('hex')}`]: randomBytes(8).toString('hex') };
}

/** The media type the conformance suite expects back: the body's mediaType, else an image manifest. */
export function detectMediaType(body: Buffer): string {
  try {
    const m = JSON.parse(body.toString('utf8')) as { mediaType?: unknown };
    return typeof m.mediaType === 'string' ? m.mediaType : MT.image;
  } catch {
    return MT.image;
  }
}

export function detectSubject(body: Buffer): Desc | undefined {
  try {
    return (JSON.parse(body.toString('utf8')) as { subject?: Desc }).subject;
  } catch {
    return undefined;
  }
}
