/**
 * Lists: GET /v2/<name>/tags/list and /v2/_catalog (lexical order, `n` and `last` pagination with
 * a `Link: <...>; rel="next"` header when more follow), and the referrers API,
 * GET /v2/<name>/referrers/<digest> (an OCI index of the manifests whose subject is that digest,
 * filtered by `artifactType` with `OCI-Filters-Applied`).
 */
import type { Call, Registry } from '../context.js';
import { regError } from '../errors.js';
import { send, sendJson } from '../http.js';
import { MEDIA_TYPES } from '../manifests.js';
import { parseDigest, tryParseDigest } from '../names.js';

/** The catalog's page when the client names no `n` (distribution's default is 100). */
const CATALOG_PAGE = 1000;

function paginate(all: string[], call: Call, path: string, defaultPage?: number): { items: string[]; link?: string } {
  const nParam = call.query.get('n');
  const last = call.query.get('last');
  let n = defaultPage;
  if (nParam !== null && nParam !== '') {
    if (!/^\d+$/.test(nParam)) throw regError('UNSUPPORTED', { n: nParam, reason: 'n must be a non-negative integer' }, { status: 400, message: 'invalid number of results requested' });
    n = Number(nParam);
  }
  let items = last ? all.filter((x) => x > last) : all;
  let link: string | undefined;
  if (n !== undefined && items.length > n) {
    items = items.slice(0, n);
    if (n > 0) link = `<${path}?n=${n}&last=${encodeURIComponent(items[n - 1]!)}>; rel="next"`;
  }
  return link === undefined ? { items } : { items, link };
}

export async function listTags(reg: Registry, call: Call): Promise<void> {
  if (reg.proxy) {
    const served = await reg.proxy.serveTags(call);
    if (served) return;
  }
  const tags = await reg.storage.repos.tags(call.name);
  if (!tags) throw regError('NAME_UNKNOWN', { name: call.name });
  const page = paginate(tags, call, `/v2/${call.name}/tags/list`);
  sendJson(call.res, 200, { name: call.name, tags: page.items }, page.link ? { Link: page.link } : {});
}

export async function catalog(reg: Registry, call: Call): Promise<void> {
  const page = paginate(await reg.storage.repos.names(), call, '/v2/_catalog', CATALOG_PAGE);
  sendJson(call.res, 200, { repositories: page.items }, page.link ? { Link: page.link } : {});
}

export async function referrers(reg: Registry, call: Call, digestParam: string): Promise<void> {
  const subject = parseDigest(digestParam);
  const { repos } = reg.storage;
  const artifactType = call.query.get('artifactType');
  const manifests = [];
  for (const desc of await repos.referrers(call.name, subject)) {
    const d = tryParseDigest(desc.digest);
    // A record outlives its manifest only if the server stopped between the two deletes.
    if (!d || !(await repos.revision(call.name, d))) continue;
    if (artifactType !== null && desc.artifactType !== artifactType) continue;
    manifests.push(desc);
  }
  const headers: Record<string, string> = { 'Content-Type': MEDIA_TYPES.ociIndex };
  if (artifactType !== null) headers['OCI-Filters-Applied'] = 'artifactType';
  send(call.res, 200, headers, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }));
}
