/**
 * Blob uploads: POST /v2/<name>/blobs/uploads/ (start; monolithic with ?digest=; cross-repository
 * mount with ?mount=&from=), PATCH (a chunk with Content-Range, or a stream), PUT ?digest= (the
 * last chunk, then verify and commit), GET (status) and DELETE (cancel) on the upload URL.
 */
import type { IncomingMessage } from 'node:http';
import type { Call, Registry } from '../context.js';
import { RegistryError, regError } from '../errors.js';
import { parseContentRange, send } from '../http.js';
import { isRepositoryName, parseDigest, tryParseDigest, type ParsedDigest } from '../names.js';
import type { UploadHandle } from '../storage/uploads.js';

const uploadUrl = (name: string, id: string): string => `/v2/${name}/blobs/uploads/${id}`;

/** The upload's progress as the spec's (inclusive) Range header: 0-<last byte>. */
const rangeOf = (offset: number): string => `0-${Math.max(0, offset - 1)}`;

function progressHeaders(name: string, u: { id: string; offset: number }): Record<string, string> {
  return { Location: uploadUrl(name, u.id), Range: rangeOf(u.offset), 'Docker-Upload-UUID': u.id, 'Blob-Upload-Session-ID': u.id };
}

/** True when the request has a body to read (a length, or chunked transfer). */
function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

async function committed(reg: Registry, call: Call, d: ParsedDigest): Promise<void> {
  await reg.storage.repos.linkBlob(call.name, d);
  send(call.res, 201, { Location: `/v2/${call.name}/blobs/${d.digest}`, 'Docker-Content-Digest': d.digest });
}

/** A mount of a blob from another repository, when the caller may read it there. */
async function tryMount(reg: Registry, call: Call, mount: string, from: string | null): Promise<ParsedDigest | undefined> {
  const d = tryParseDigest(mount);
  if (!d) return undefined;
  const { repos, blobs } = reg.storage;
  if (from !== null) {
    if (!isRepositoryName(from) || !call.identity.can('repository', from, 'pull') || !(await repos.hasBlob(from, d))) return undefined;
  } else if (reg.auth.mode.kind === 'token') {
    // A token names the repositories it may read; a mount without `from` could read any of them.
    return undefined;
  }
  // Touched so that a garbage collection running now spares it (it goes by age).
  return (await blobs.touch(d)) ? d : undefined;
}

export async function startUpload(reg: Registry, call: Call): Promise<void> {
  const { query, name, req } = call;
  const mount = query.get('mount');
  if (mount !== null) {
    const d = await tryMount(reg, call, mount, query.get('from'));
    if (d) return committed(reg, call, d);
  }
  const digests = query.getAll('digest');
  if (digests.length && mount === null) {
    const parsed = digests.map(parseDigest);
    const u = await reg.storage.uploads.create(name);
    await reg.storage.uploads.with(name, u.id, async (h) => {
      try {
        if (hasBody(req)) await h.append(req);
        await h.finish(parsed);
      } catch (err) {
        // The client never learnt of this upload: nothing of it is kept.
        if (!(err instanceof RegistryError && err.code === 'DIGEST_INVALID')) await h.cancel();
        throw err;
      }
    });
    return committed(reg, call, parsed[0]!);
  }
  const u = await reg.storage.uploads.create(name);
  send(call.res, 202, progressHeaders(name, u));
}

/** Checks a chunk's Content-Range against the upload: 416 (with the Range so far) when out of order. */
function chunkLength(h: UploadHandle, name: string, req: IncomingMessage): number | undefined {
  const header = req.headers['content-range'];
  if (header === undefined) return undefined;
  const r = parseContentRange(header);
  if (!r || r.start !== h.offset) {
    throw regError('BLOB_UPLOAD_INVALID', { reason: r ? `chunk starts at ${r.start}, the upload is at ${h.offset}` : `invalid Content-Range ${header}` }, {
      status: 416,
      message: 'requested range not satisfiable',
      headers: progressHeaders(name, h),
    });
  }
  const length = r.end - r.start + 1;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) !== length) {
    throw regError('SIZE_INVALID', { contentRange: header, contentLength: declared });
  }
  return length;
}

async function appendChunk(h: UploadHandle, call: Call): Promise<void> {
  const expect = chunkLength(h, call.name, call.req);
  if (expect !== undefined || hasBody(call.req)) await h.append(call.req, expect);
}

export function patchUpload(reg: Registry, call: Call, id: string): Promise<void> {
  return reg.storage.uploads.with(call.name, id, async (h) => {
    await appendChunk(h, call);
    send(call.res, 202, progressHeaders(call.name, h));
  });
}

export function putUpload(reg: Registry, call: Call, id: string): Promise<void> {
  const digests = call.query.getAll('digest');
  return reg.storage.uploads.with(call.name, id, async (h) => {
    if (!digests.length) throw regError('DIGEST_INVALID', { reason: 'the digest parameter is missing' }, { message: 'digest missing' });
    const parsed = digests.map(parseDigest);
    await appendChunk(h, call);
    await h.finish(parsed);
    await committed(reg, call, parsed[0]!);
  });
}

export function uploadStatus(reg: Registry, call: Call, id: string): Promise<void> {
  return reg.storage.uploads.with(call.name, id, async (h) => {
    send(call.res, 204, progressHeaders(call.name, h));
  });
}

export function cancelUpload(reg: Registry, call: Call, id: string): Promise<void> {
  return reg.storage.uploads.with(call.name, id, async (h) => {
    await h.cancel();
    send(call.res, 204, { 'Docker-Upload-UUID': id });
  });
}
