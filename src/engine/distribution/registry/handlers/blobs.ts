/** GET, HEAD and DELETE /v2/<name>/blobs/<digest>: blobs of a repository, with byte ranges. */
import { pipeline } from 'node:stream/promises';
import type { Call, Registry } from '../context.js';
import { regError } from '../errors.js';
import { parseRange, send } from '../http.js';
import { parseDigest, type ParsedDigest } from '../names.js';
import type { OpenBlob } from '../storage/blobs.js';

/** The blob if the repository has it. */
async function openLinked(reg: Registry, name: string, d: ParsedDigest): Promise<OpenBlob | undefined> {
  if (!(await reg.storage.repos.hasBlob(name, d))) return undefined;
  return reg.storage.blobs.open(d);
}

export async function getBlob(reg: Registry, call: Call, digestParam: string): Promise<void> {
  const d = parseDigest(digestParam);
  const { req, name } = call;
  const blob = await openLinked(reg, name, d);
  if (!blob) {
    if (reg.proxy) return reg.proxy.serveBlob(call, d);
    throw regError('BLOB_UNKNOWN', { digest: d.digest });
  }
  await sendBlob(call, d, blob, req.method === 'HEAD');
}

export async function sendBlob(call: Call, d: ParsedDigest, blob: OpenBlob, head: boolean): Promise<void> {
  const { req, res } = call;
  const headers = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': d.digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${d.digest}"`,
    'Cache-Control': 'max-age=31536000',
  };
  const range = parseRange(req.headers.range, blob.size);
  if (range === 'unsatisfiable') {
    await blob.close();
    send(res, 416, { ...headers, 'Content-Range': `bytes */${blob.size}` });
    return;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? blob.size - 1;
  const length = end - start + 1;
  const status = range ? 206 : 200;
  const rangeHeader = range ? { 'Content-Range': `bytes ${start}-${end}/${blob.size}` } : {};
  if (head || length === 0) {
    await blob.close();
    res.writeHead(status, { ...headers, ...rangeHeader, 'Content-Length': length });
    res.end();
    return;
  }
  res.writeHead(status, { ...headers, ...rangeHeader, 'Content-Length': length });
  // A client that goes away mid-blob ends the stream; nothing is left to answer.
  await pipeline(blob.stream(start, end), res).catch(() => res.destroy());
}

export async function deleteBlob(reg: Registry, call: Call, digestParam: string): Promise<void> {
  const d = parseDigest(digestParam);
  if (!(await reg.storage.repos.unlinkBlob(call.name, d))) throw regError('BLOB_UNKNOWN', { digest: d.digest });
  send(call.res, 202, { 'Docker-Content-Digest': d.digest });
}
