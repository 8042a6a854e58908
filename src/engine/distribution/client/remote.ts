/**
 * The registry client over HTTP: one repository of one registry endpoint, per the OCI
 * distribution spec (manifests by tag or digest with the Accept docker sends, blobs streamed,
 * HEAD for presence, uploads, cross-repository mounts, paginated tags).
 */
import type { Readable } from 'node:stream';
import { isDigest, sha256, type Digest } from '../../../core/digest.js';
import type { Descriptor } from '../../images/types.js';
import { repositoryScope } from './auth.js';
import { DigestMismatch, errorFromResponse, RegistryError } from './errors.js';
import { manifestMediaType } from './media-types.js';
import { MANIFEST_ACCEPT, type BlobStream, type ManifestBytes, type PushBlobOptions, type Repository } from './repository.js';
import { headerOf, type Session } from './session.js';
import { readBody } from './transport.js';
import { cancelUpload, openUpload, putChunked, putMonolithic, type UploadTarget } from './uploads.js';

export class RemoteRepository implements Repository {
  /** Manifests fetched by tag, kept for the fetch by digest that follows a resolve. */
  private readonly manifests = new Map<string, ManifestBytes>();

  constructor(private readonly session: Session, readonly name: string, private readonly actions: 'pull' | 'push' = 'pull') {}

  private get scopes(): string[] {
    return [repositoryScope(this.name, this.actions)];
  }

  private path(kind: 'manifests' | 'blobs' | 'tags', ref = ''): string {
    return `/v2/${this.name}/${kind}/${ref}`;
  }

  async resolve(reference: string, signal?: AbortSignal): Promise<Descriptor> {
    // HEAD first, as docker: a known digest needs no download. A HEAD without the digest, or
    // failing (its error has no body), is asked again with GET.
    const head = await this.session.request({ method: 'HEAD', path: this.path('manifests', reference), scopes: this.scopes, signal, headers: { Accept: MANIFEST_ACCEPT.join(', ') } });
    head.resume();
    const said = headerOf(head, 'docker-content-digest');
    const type = headerOf(head, 'content-type')?.split(';')[0]?.trim();
    if (head.statusCode === 200 && said && isDigest(said) && type && type !== 'application/json' && (!isDigest(reference) || said === reference)) {
      return { mediaType: type, digest: said, size: Number(headerOf(head, 'content-length') ?? 0) };
    }
    const m = await this.getManifest(reference, signal);
    const digest = sha256(m.bytes);
    if (isDigest(reference) && digest !== reference) throw new DigestMismatch(`manifest verification failed for digest ${reference}`);
    this.manifests.set(digest, m);
    return { mediaType: m.mediaType, digest, size: m.bytes.length };
  }

  private async getManifest(reference: string, signal?: AbortSignal): Promise<ManifestBytes> {
    const { res, body } = await this.session.expect({
      method: 'GET', path: this.path('manifests', reference), scopes: this.scopes, signal,
      headers: { Accept: MANIFEST_ACCEPT.join(', ') },
    }, [200]);
    return { mediaType: manifestMediaType(headerOf(res, 'content-type'), body), bytes: body };
  }

  async fetchManifest(digest: Digest, signal?: AbortSignal): Promise<ManifestBytes> {
    const known = this.manifests.get(digest);
    if (known) return known;
    const m = await this.getManifest(digest, signal);
    if (sha256(m.bytes) !== digest) throw new DigestMismatch(`manifest verification failed for digest ${digest}`);
    this.manifests.set(digest, m);
    return m;
  }

  async fetchBlob(digest: Digest, signal?: AbortSignal): Promise<BlobStream> {
    const res = await this.session.request({ method: 'GET', path: this.path('blobs', digest), scopes: this.scopes, signal });
    if (res.statusCode !== 200) throw errorFromResponse(res.statusCode ?? 0, await readBody(res), headerOf(res, 'www-authenticate'));
    const len = Number(headerOf(res, 'content-length') ?? -1);
    return { stream: res as Readable, size: Number.isFinite(len) ? len : -1 };
  }

  async statBlob(digest: Digest, signal?: AbortSignal): Promise<Descriptor | undefined> {
    const res = await this.session.request({ method: 'HEAD', path: this.path('blobs', digest), scopes: this.scopes, signal });
    res.resume();
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) throw errorFromResponse(res.statusCode ?? 0, Buffer.alloc(0), headerOf(res, 'www-authenticate'));
    return { mediaType: 'application/octet-stream', digest, size: Number(headerOf(res, 'content-length') ?? 0) };
  }

  async listTags(signal?: AbortSignal): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `${this.path('tags', 'list')}?n=1000`;
    for (let page = 0; next && page < 10_000; page++) {
      const { res, body } = await this.session.expect({ method: 'GET', path: next, scopes: this.scopes, signal }, [200]);
      const json = JSON.parse(body.toString('utf8')) as { tags?: string[] | null };
      tags.push(...(json.tags ?? []));
      // Link: </v2/x/tags/list?last=b&n=1000>; rel="next"
      const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(headerOf(res, 'link') ?? '')?.[1];
      next = link ? new URL(link, `${this.session.endpoint.url}/`).toString() : undefined;
    }
    return tags;
  }

  private upload(signal?: AbortSignal, extraScopes: string[] = []): UploadTarget {
    return { session: this.session, name: this.name, scopes: [repositoryScope(this.name, 'push'), ...extraScopes], signal };
  }

  async pushBlob(desc: Pick<Descriptor, 'digest' | 'size'>, open: () => Promise<Readable> | Readable, opts: PushBlobOptions = {}): Promise<void> {
    const t = this.upload(opts.signal);
    const opened = await openUpload(t);
    if (opened.mounted) return;
    const body = await open();
    const chunk = Math.max(opts.chunkSize ?? 0, opened.chunkMin);
    if (chunk > 0) await putChunked(t, opened.location, desc.digest, body, chunk, opts.onProgress);
    else await putMonolithic(t, opened.location, desc.digest, desc.size, body, opts.onProgress);
  }

  async mountBlob(digest: Digest, from: string, signal?: AbortSignal): Promise<boolean> {
    const t = this.upload(signal, [repositoryScope(from, 'pull')]);
    let opened;
    try {
      opened = await openUpload(t, { digest, from });
    } catch (err) {
      // No access to the source repository: not mounted, upload instead (as docker).
      if (err instanceof RegistryError && (err.httpStatus === 401 || err.httpStatus === 403 || err.httpStatus === 404)) return false;
      throw err;
    }
    if (opened.mounted) return true;
    await cancelUpload(t, opened.location);
    return false;
  }

  async pushManifest(reference: string, manifest: ManifestBytes, signal?: AbortSignal): Promise<Digest> {
    const digest = sha256(manifest.bytes);
    const { res } = await this.session.expect({
      method: 'PUT', path: this.path('manifests', reference), scopes: [repositoryScope(this.name, 'push')], signal,
      headers: { 'Content-Type': manifest.mediaType }, body: manifest.bytes,
    }, [201, 200, 202]);
    const said = headerOf(res, 'docker-content-digest');
    if (said && said !== digest) throw new DigestMismatch(`registry stored the manifest as ${said}, expected ${digest}`);
    return digest;
  }
}
