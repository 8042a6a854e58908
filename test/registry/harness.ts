/** Shared by the registry tests: a registry on loopback with a temporary root, and pushes through its API. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startRegistry, type RegistryOptions, type RunningRegistry } from '../../src/engine/distribution/registry/server.js';
import { http, type Reply } from './http-client.js';

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface TestRegistry extends RunningRegistry {
  root: string;
  /** Stops the server and removes its root. */
  dispose(): Promise<void>;
}

export async function testRegistry(opts: Partial<RegistryOptions> = {}): Promise<TestRegistry> {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'minke-registry-test-'));
  const reg = await startRegistry({ listen: '127.0.0.1:0', root, ...opts });
  return {
    ...reg,
    root,
    dispose: async () => {
      await reg.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Every file under dir (relative paths), for checking what a bad request left behind. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** An error answer in the spec's shape with the given status and code. */
export function assertError(r: Reply, status: number, code: string): void {
  assert.equal(r.status, status, `status ${r.status}, want ${status}: ${r.body.toString('utf8')}`);
  if (r.body.length === 0) return; // HEAD
  const body = r.json<{ errors?: { code?: string; message?: string }[] }>();
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `no errors list: ${r.body.toString('utf8')}`);
  assert.equal(body.errors[0]!.code, code);
  assert.equal(typeof body.errors[0]!.message, 'string');
}

export async function pushBlob(base: string, repo: string, data: Buffer): Promise<string> {
  const d = sha256(data);
  const r = await http(`${base}/v2/${repo}/blobs/uploads/?digest=${d}`, { method: 'POST', body: data });
  assert.equal(r.status, 201, r.body.toString('utf8'));
  return d;
}

export interface PushedImage {
  manifest: Buffer;
  digest: string;
  config: string;
  layers: string[];
}

/** An OCI image of random layers, pushed (blobs, then the manifest by tag or digest). */
export async function pushImage(base: string, repo: string, ref?: string, layerSizes = [1000, 2000]): Promise<PushedImage> {
  const layers: { digest: string; size: number }[] = [];
  for (const s of layerSizes) {
    const data = randomBytes(s);
    layers.push({ digest: await pushBlob(base, repo, data), size: s });
  }
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }));
  const cd = await pushBlob(base, repo, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
  }));
  const digest = sha256(manifest);
  const r = await http(`${base}/v2/${repo}/manifests/${ref ?? digest}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(r.status, 201, r.body.toString('utf8'));
  return { manifest, digest, config: cd, layers: layers.map((l) => l.digest) };
}
