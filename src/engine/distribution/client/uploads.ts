/**
 * Blob uploads as the distribution spec has them: `POST /v2/NAME/blobs/uploads/` opens a session
 * (or mounts from another repository: 201), then either one `PUT ?digest=` with the whole blob
 * (monolithic), or `PATCH`es with `Content-Range` (chunks, when the registry asks with
 * `OCI-Chunk-Min-Length` or the caller wants them) closed by an empty `PUT ?digest=`.
 */
import { Readable } from 'node:stream';
import type { Digest } from '../../../core/digest.js';
import { DigestMismatch, TransportError } from './errors.js';
import { headerOf, type Session } from './session.js';

export interface UploadTarget {
  session: Session;
  name: string;
  scopes: readonly string[];
  signal?: AbortSignal;
}

export type Opened = { mounted: true } | { mounted: false; location: string; chunkMin: number };

function locationOf(t: UploadTarget, loc: string | undefined): string {
  if (!loc) throw new TransportError(`registry answered an upload without a Location header (repository ${t.name})`);
  return new URL(loc, `${t.session.endpoint.url}/`).toString();
}

/** POST: a new upload session, or a finished mount (`mount`+`from`). */
export async function openUpload(t: UploadTarget, mount?: { digest: Digest; from: string }): Promise<Opened> {
  const q = mount ? `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}` : '';
  const { res } = await t.session.expect({ method: 'POST', path: `/v2/${t.name}/blobs/uploads/${q}`, scopes: t.scopes, signal: t.signal }, [201, 202]);
  if (res.statusCode === 201 && mount) return { mounted: true };
  const chunkMin = Number(headerOf(res, 'oci-chunk-min-length') ?? 0);
  return { mounted: false, location: locationOf(t, headerOf(res, 'location')), chunkMin: Number.isFinite(chunkMin) ? chunkMin : 0 };
}

function withDigest(location: string, digest: Digest): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}

/** Cancels an upload session (a mount that fell back to an upload we do not want). */
export async function cancelUpload(t: UploadTarget, location: string): Promise<void> {
  const res = await t.session.request({ method: 'DELETE', path: location, scopes: t.scopes, signal: t.signal }).catch(() => undefined);
  res?.resume();
}

/** Counts what passes (upload progress). */
async function* counted(src: AsyncIterable<Buffer>, onProgress?: (n: number) => void): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const c of src) {
    n += c.length;
    onProgress?.(n);
    yield c;
  }
}

function checkCommitted(digest: Digest, got: string | undefined): void {
  if (got && got !== digest) throw new DigestMismatch(`registry committed the blob as ${got}, expected ${digest}`);
}

/** One PUT with the whole blob. */
export async function putMonolithic(t: UploadTarget, location: string, digest: Digest, size: number, body: Readable, onProgress?: (n: number) => void): Promise<void> {
  const stream = Readable.from(counted(body, onProgress));
  const { res } = await t.session.expect({
    method: 'PUT', path: withDigest(location, digest), scopes: t.scopes, signal: t.signal,
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) }, body: stream,
  }, [201, 204]);
  checkCommitted(digest, headerOf(res, 'docker-content-digest'));
}

/** Re-cuts a stream into pieces of exactly `size` bytes (the last may be shorter). */
async function* pieces(src: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const c of src) {
    let chunk = c;
    while (have + chunk.length >= size) {
      const take = size - have;
      parts.push(chunk.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      have = 0;
      chunk = chunk.subarray(take);
    }
    if (chunk.length) {
      parts.push(chunk);
      have += chunk.length;
    }
  }
  if (have) yield Buffer.concat(parts);
}

/** PATCHes of `chunkSize` bytes each with their Content-Range, each to the Location the last answered, then the closing PUT. */
export async function putChunked(t: UploadTarget, location: string, digest: Digest, body: Readable, chunkSize: number, onProgress?: (n: number) => void): Promise<void> {
  let loc = location;
  let offset = 0;
  for await (const piece of pieces(body as AsyncIterable<Buffer>, chunkSize)) {
    const { res } = await t.session.expect({
      method: 'PATCH', path: loc, scopes: t.scopes, signal: t.signal, body: piece,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + piece.length - 1}`, 'Content-Length': String(piece.length) },
    }, [202, 204]);
    offset += piece.length;
    onProgress?.(offset);
    loc = locationOf(t, headerOf(res, 'location') ?? loc);
  }
  const { res } = await t.session.expect({ method: 'PUT', path: withDigest(loc, digest), scopes: t.scopes, signal: t.signal }, [201, 204]);
  checkCommitted(digest, headerOf(res, 'docker-content-digest'));
}
