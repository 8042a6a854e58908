/**
 * The checks the registry client must pass against any registry (containerd's testsuite idea):
 * call runRegistryClientSuite from a test file with a factory that starts (or names) a registry
 * and says how to reach it. The same suite runs against Debian's distribution 2.8 and, later,
 * against minke's own registry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { sha256, type Digest } from '../../../core/digest.js';
import { MediaTypes } from '../../images/types.js';
import { TokenCache, type AuthConfig } from './auth.js';
import { RegistryError } from './errors.js';
import { RemoteRepository } from './remote.js';
import { isUnauthorized, Session } from './session.js';

export interface RegistryTarget {
  /** Base URL: `http://127.0.0.1:5000` or `https://...`. */
  url: string;
  /** TLS without verification (a test registry's own certificate). Default: true. */
  insecureTls?: boolean;
  /** The registry wants these credentials (Basic or Bearer); the auth checks run only then. */
  username?: string;
  password?: string;
  stop(): Promise<void>;
}

async function read(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function blob(n: number): { bytes: Buffer; digest: Digest } {
  const bytes = randomBytes(n);
  return { bytes, digest: sha256(bytes) };
}

export function runRegistryClientSuite(name: string, start: () => Promise<RegistryTarget>, opts: { skip?: string | false } = {}): void {
  void describe(`registry client: ${name}`, { skip: opts.skip ?? false, concurrency: false }, () => {
    let target: RegistryTarget;
    const tokens = new TokenCache();
    const prefix = `suite-${randomBytes(4).toString('hex')}`;
    const creds = (): AuthConfig | undefined => (target.username ? { username: target.username, password: target.password ?? '' } : undefined);
    const open = async (repo: string, auth = creds()): Promise<RemoteRepository> => {
      const session = await Session.open({ url: target.url, insecureTls: target.insecureTls ?? true }, auth, tokens);
      return new RemoteRepository(session, `${prefix}/${repo}`, 'push');
    };
    const pushBytes = (r: RemoteRepository, b: { bytes: Buffer; digest: Digest }, chunkSize?: number): Promise<void> =>
      r.pushBlob({ digest: b.digest, size: b.bytes.length }, () => Readable.from([b.bytes]), { chunkSize });

    before(async () => {
      target = await start();
    });
    after(async () => {
      await target?.stop();
    });

    void it('pushes a blob in one PUT, finds it with HEAD and reads it back', async () => {
      const r = await open('mono');
      const b = blob(70_000);
      assert.equal(await r.statBlob(b.digest), undefined);
      await pushBytes(r, b);
      assert.equal((await r.statBlob(b.digest))?.size, b.bytes.length);
      const got = await r.fetchBlob(b.digest);
      assert.equal(got.size, b.bytes.length);
      assert.ok((await read(got.stream)).equals(b.bytes));
    });

    void it('pushes a blob in chunks (PATCH with Content-Range, then PUT)', async () => {
      const r = await open('chunked');
      const b = blob(25_000);
      const seen: number[] = [];
      await r.pushBlob({ digest: b.digest, size: b.bytes.length }, () => Readable.from([b.bytes.subarray(0, 7000), b.bytes.subarray(7000)]), { chunkSize: 10_000, onProgress: (n) => seen.push(n) });
      assert.deepEqual(seen, [10_000, 20_000, 25_000]);
      assert.ok((await read((await r.fetchBlob(b.digest)).stream)).equals(b.bytes));
    });

    void it('refuses a blob whose bytes do not hash to its digest, and keeps nothing of it', async () => {
      const r = await open('bad-digest');
      const b = blob(5000);
      const claimed = sha256('something else');
      await assert.rejects(r.pushBlob({ digest: claimed, size: b.bytes.length }, () => Readable.from([b.bytes])), (err: unknown) => err instanceof RegistryError && err.httpStatus === 400);
      assert.equal(await r.statBlob(claimed), undefined);
      assert.equal(await r.statBlob(b.digest), undefined);
    });

    const pushImage = async (r: RemoteRepository, tags: string[]): Promise<{ digest: Digest; bytes: Buffer; config: Digest }> => {
      const layer = blob(3000);
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(randomBytes(8))] } }));
      await pushBytes(r, layer);
      await pushBytes(r, { bytes: config, digest: sha256(config) });
      const bytes = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: MediaTypes.dockerManifest,
        config: { mediaType: MediaTypes.dockerConfig, size: config.length, digest: sha256(config) },
        layers: [{ mediaType: MediaTypes.dockerLayerGzip, size: layer.bytes.length, digest: layer.digest }],
      }, null, 3));
      let digest: Digest | undefined;
      for (const t of tags) digest = await r.pushManifest(t, { mediaType: MediaTypes.dockerManifest, bytes });
      return { digest: digest!, bytes, config: sha256(config) };
    };

    void it('pushes a manifest under a tag, resolves the tag and fetches it by digest', async () => {
      const r = await open('manifest');
      const m = await pushImage(r, ['v1']);
      assert.equal(m.digest, sha256(m.bytes));
      const desc = await r.resolve('v1');
      assert.deepEqual({ digest: desc.digest, mediaType: desc.mediaType }, { digest: m.digest, mediaType: MediaTypes.dockerManifest });
      assert.ok((await (await open('manifest')).fetchManifest(m.digest)).bytes.equals(m.bytes));
      assert.equal((await r.resolve(m.digest)).digest, m.digest);
    });

    void it('pushes and resolves an OCI index', async () => {
      const r = await open('index');
      const m = await pushImage(r, ['amd64']);
      const index = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: MediaTypes.ociIndex,
        manifests: [{ mediaType: MediaTypes.dockerManifest, digest: m.digest, size: m.bytes.length, platform: { architecture: 'amd64', os: 'linux' } }],
      }));
      const digest = await r.pushManifest('multi', { mediaType: MediaTypes.ociIndex, bytes: index });
      const desc = await r.resolve('multi');
      assert.deepEqual({ digest: desc.digest, mediaType: desc.mediaType }, { digest, mediaType: MediaTypes.ociIndex });
      assert.ok((await r.fetchManifest(digest)).bytes.equals(index));
    });

    void it('lists every tag of a repository', async () => {
      const r = await open('tags');
      await pushImage(r, ['a', 'b', 'c']);
      assert.deepEqual((await r.listTags()).sort(), ['a', 'b', 'c']);
    });

    void it('mounts a blob from another repository of the registry, and says when it cannot', async () => {
      const a = await open('mount-from');
      const b = await open('mount-to');
      const x = blob(4000);
      await pushBytes(a, x);
      assert.equal(await b.mountBlob(x.digest, `${prefix}/mount-from`), true);
      assert.equal((await b.statBlob(x.digest))?.size, x.bytes.length);
      const missing = sha256(randomBytes(16));
      assert.equal(await b.mountBlob(missing, `${prefix}/mount-from`), false);
      assert.equal(await b.statBlob(missing), undefined);
    });

    void it('answers a missing manifest or blob with the spec\'s errors', async () => {
      const r = await open('missing');
      await assert.rejects(r.resolve('nope'), (err: unknown) => err instanceof RegistryError && err.httpStatus === 404 && ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN'].includes(err.code));
      const d = sha256(randomBytes(16));
      await assert.rejects(r.fetchBlob(d), (err: unknown) => err instanceof RegistryError && err.httpStatus === 404);
      assert.equal(await r.statBlob(d), undefined);
    });

    void it('refuses wrong credentials and asks for missing ones', async (t) => {
      if (!target.username) {
        t.skip('the registry wants no credentials');
        return;
      }
      const wrong = await open('auth', { username: target.username, password: `${target.password ?? ''}-wrong` });
      await assert.rejects(wrong.statBlob(sha256('x')), (err: unknown) => isUnauthorized(err) || (err instanceof RegistryError && err.httpStatus === 401));
      const none = await open('auth', {});
      await assert.rejects(none.statBlob(sha256('x')), (err: unknown) => err instanceof Error && /no basic auth credentials|unauthorized|authentication required/.test(err.message));
    });
  });
}
