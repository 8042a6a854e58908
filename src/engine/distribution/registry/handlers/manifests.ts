/**
 * GET, HEAD, PUT and DELETE /v2/<name>/manifests/<reference>. A PUT is verified before anything of
 * it is kept: the digest of the body (in the reference's algorithm), the manifest itself, and
 * that the repository has every blob and manifest it refers to (MANIFEST_BLOB_UNKNOWN); then the
 * manifest is stored, its referrer record written when it has a subject, and its tags last.
 */
import type { Call, Registry } from '../context.js';
import { regError } from '../errors.js';
import { readBody, send } from '../http.js';
import { parseManifest, type ParsedManifest } from '../manifests.js';
import { digestOf, isTag, parseManifestRef, tryParseDigest, type ParsedDigest } from '../names.js';
import type { Revision } from '../storage/repositories.js';

/** Registries SHOULD accept manifests of 4 MiB (the distribution spec); this one takes no more. */
export const MANIFEST_MAX = 4 * 1024 * 1024;

/** The digest a reference names in the repository, undefined when it names nothing. */
export async function resolve(reg: Registry, name: string, ref: string): Promise<ParsedDigest | undefined> {
  const r = parseManifestRef(ref);
  if ('digest' in r) return r.digest;
  const digest = await reg.storage.repos.tag(name, r.tag);
  return digest === undefined ? undefined : tryParseDigest(digest);
}

export async function getManifest(reg: Registry, call: Call, ref: string): Promise<void> {
  const { name, req } = call;
  // A pull-through cache asks the remote for tags (they move); digests are served from here once kept.
  if (reg.proxy && !ref.includes(':')) return reg.proxy.serveManifest(call, ref);
  const d = await resolve(reg, name, ref);
  const rev = d && (await reg.storage.repos.revision(name, d));
  if (!d || !rev) {
    if (reg.proxy) return reg.proxy.serveManifest(call, ref);
    throw regError('MANIFEST_UNKNOWN', { name, reference: ref });
  }
  await sendManifest(reg, call, d, rev, req.method === 'HEAD');
}

export async function sendManifest(reg: Registry, call: Call, d: ParsedDigest, rev: Revision, head: boolean): Promise<void> {
  const headers = { 'Content-Type': rev.mediaType, 'Docker-Content-Digest': d.digest, ETag: `"${d.digest}"` };
  if (head) {
    const st = await reg.storage.blobs.stat(d);
    if (!st) throw regError('MANIFEST_UNKNOWN', { digest: d.digest });
    send(call.res, 200, { ...headers, 'Content-Length': st.size });
    return;
  }
  let body: Buffer;
  try {
    body = await reg.storage.blobs.read(d);
  } catch {
    throw regError('MANIFEST_UNKNOWN', { digest: d.digest });
  }
  send(call.res, 200, headers, body);
}

/** Every blob and manifest the manifest refers to must be in the repository. */
async function checkReferences(reg: Registry, name: string, m: ParsedManifest): Promise<void> {
  const { repos, blobs } = reg.storage;
  for (const b of m.blobs) {
    const st = (await repos.hasBlob(name, b.digest)) ? await blobs.stat(b.digest) : undefined;
    if (!st) throw regError('MANIFEST_BLOB_UNKNOWN', { digest: b.digest.digest }, { message: 'blob unknown to registry' });
    if (st.size !== b.size) throw regError('MANIFEST_INVALID', { digest: b.digest.digest, reason: `size ${b.size} in the manifest, ${st.size} in the registry` });
  }
  for (const e of m.manifests) {
    const rev = await repos.revision(name, e.digest);
    if (!rev) throw regError('MANIFEST_BLOB_UNKNOWN', { digest: e.digest.digest }, { message: 'manifest unknown to registry' });
    if (rev.size !== e.size) throw regError('MANIFEST_INVALID', { digest: e.digest.digest, reason: `size ${e.size} in the index, ${rev.size} in the registry` });
  }
}

/** Stores a verified manifest under `d` in the repository (shared with the pull-through cache). */
export async function storeManifest(reg: Registry, name: string, d: ParsedDigest, body: Buffer, m: ParsedManifest, tags: string[]): Promise<void> {
  const { repos, blobs } = reg.storage;
  if (!(await blobs.stat(d))) await blobs.put(d, body);
  else await blobs.touch(d);
  const rev: Revision = { mediaType: m.mediaType, size: body.length };
  if (m.subject) rev.subject = m.subject.digest.digest;
  await repos.putRevision(name, d, rev);
  if (m.subject) {
    const desc: Parameters<typeof repos.addReferrer>[2] = { mediaType: m.mediaType, digest: d.digest, size: body.length };
    if (m.artifactType !== undefined) desc.artifactType = m.artifactType;
    if (m.annotations) desc.annotations = m.annotations;
    await repos.addReferrer(name, m.subject.digest, desc);
  }
  for (const t of tags) await repos.setTag(name, t, d.digest);
}

export async function putManifest(reg: Registry, call: Call, ref: string): Promise<void> {
  const { name, req, query } = call;
  const r = parseManifestRef(ref);
  const tags = query.getAll('tag');
  for (const t of tags) if (!isTag(t)) throw regError('MANIFEST_INVALID', { tag: t, reason: 'invalid tag' }, { message: 'invalid tag' });
  const body = await readBody(req, MANIFEST_MAX);
  const algorithm = 'digest' in r ? r.digest.algorithm : 'sha256';
  const d = tryParseDigest(digestOf(algorithm, body))!;
  if ('digest' in r && r.digest.digest !== d.digest) throw regError('DIGEST_INVALID', { expected: r.digest.digest, got: d.digest });
  const m = parseManifest(body, req.headers['content-type']);
  await checkReferences(reg, name, m);
  const allTags = 'tag' in r ? [r.tag, ...tags] : tags;
  await storeManifest(reg, name, d, body, m, allTags);
  const headers: Record<string, string | string[]> = { Location: `/v2/${name}/manifests/${d.digest}`, 'Docker-Content-Digest': d.digest };
  if (m.subject) headers['OCI-Subject'] = m.subject.digest.digest;
  if (tags.length) headers['OCI-Tag'] = tags;
  send(call.res, 201, headers);
}

export async function deleteManifest(reg: Registry, call: Call, ref: string): Promise<void> {
  const { name } = call;
  const { repos } = reg.storage;
  const r = parseManifestRef(ref);
  if ('tag' in r) {
    if (!(await repos.deleteTag(name, r.tag))) throw regError('MANIFEST_UNKNOWN', { name, tag: r.tag });
    send(call.res, 202);
    return;
  }
  const rev = await repos.revision(name, r.digest);
  if (!rev) throw regError('MANIFEST_UNKNOWN', { name, digest: r.digest.digest });
  // Tags first: a tag never points at a manifest the repository no longer has.
  for (const [t, digest] of await repos.tagMap(name)) if (digest === r.digest.digest) await repos.deleteTag(name, t);
  await repos.deleteRevision(name, r.digest);
  const subject = rev.subject === undefined ? undefined : tryParseDigest(rev.subject);
  if (subject) await repos.removeReferrer(name, subject, r.digest);
  send(call.res, 202);
}
