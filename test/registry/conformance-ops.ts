/**
 * The requests of the OCI conformance suite (conformance/api.go), each checking what the suite
 * checks of the answer: blob pushes by every method, mounts, ranges, manifests by tag and
 * digest, tag lists, referrers and deletes. Each throws with what was wrong.
 */
import { detectMediaType, detectSubject, MT, type Desc, type TestData } from './conformance-data.js';
import { http, type Reply } from './http-client.js';

export const CHUNK_MIN = 1024;

export class Check extends Error {}

export function expect(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Check(what);
}

function expectStatus(r: Reply, want: number[], what: string): void {
  expect(want.includes(r.status), `${what}: status ${r.status}, want ${want.join(' or ')}: ${r.body.toString('utf8').slice(0, 300)}`);
}

/** The suite's marker for "the registry answered with an allowed fallback" (a pass for mount missing). */
export class Unsupported extends Error {}

export class Ops {
  constructor(readonly base: string) {}

  url(path: string): URL {
    return new URL(path, this.base);
  }

  private verifyDigest(r: Reply, dig: string, what: string): void {
    const h = r.header('docker-content-digest');
    expect(h !== undefined, `${what}: no Docker-Content-Digest header`);
    expect(h === dig, `${what}: Docker-Content-Digest ${h}, want ${dig}`);
  }

  private async verifyLocation(from: URL, loc: string | undefined, body: Buffer): Promise<void> {
    expect(loc, 'no Location header');
    const r = await http(new URL(loc, from));
    expectStatus(r, [200], `GET ${loc}`);
    expect(r.body.equals(body), `GET ${loc}: body differs`);
  }

  private uploadsUrl(repo: string): URL {
    return this.url(`/v2/${repo}/blobs/uploads/`);
  }

  private withDigest(from: URL, loc: string | undefined, dig: string): URL {
    expect(loc, 'no Location header');
    const u = new URL(loc, from);
    u.searchParams.set('digest', dig);
    return u;
  }

  async blobPostOnly(repo: string, dig: string, data: Buffer, bad = false): Promise<void> {
    const u = this.uploadsUrl(repo);
    u.searchParams.set('digest', dig);
    const r = await http(u, { method: 'POST', body: data, headers: { 'Content-Type': MT.octet } });
    if (bad) return expectStatus(r, [400], 'POST with a wrong digest');
    expectStatus(r, [201], 'POST ?digest=');
    this.verifyDigest(r, dig, 'POST ?digest=');
    await this.verifyLocation(u, r.header('location'), data);
  }

  async blobPostPut(repo: string, dig: string, data: Buffer, bad = false): Promise<void> {
    const u = this.uploadsUrl(repo);
    const p = await http(u, { method: 'POST' });
    expectStatus(p, [202], 'POST');
    const put = this.withDigest(u, p.header('location'), dig);
    const r = await http(put, { method: 'PUT', body: data, headers: { 'Content-Type': MT.octet } });
    if (bad) return expectStatus(r, [400], 'PUT with a wrong digest');
    expectStatus(r, [201], 'PUT ?digest=');
    this.verifyDigest(r, dig, 'PUT');
    await this.verifyLocation(put, r.header('location'), data);
  }

  async blobPatchStream(repo: string, dig: string, data: Buffer, bad = false): Promise<void> {
    const u = this.uploadsUrl(repo);
    const p = await http(u, { method: 'POST', headers: { 'Content-Length': '0' } });
    expectStatus(p, [202], 'POST');
    expect(p.header('location'), 'POST: no Location');
    const patch = new URL(p.header('location')!, u);
    const r = await http(patch, { method: 'PATCH', body: data, chunked: true, headers: { 'Content-Type': MT.octet } });
    expectStatus(r, [202], 'PATCH (stream)');
    const put = this.withDigest(patch, r.header('location'), dig);
    const f = await http(put, { method: 'PUT', headers: { 'Content-Length': '0', 'Content-Type': MT.octet } });
    if (bad) return expectStatus(f, [400], 'PUT with a wrong digest');
    expectStatus(f, [201], 'PUT');
    this.verifyDigest(f, dig, 'PUT');
    await this.verifyLocation(put, f.header('location'), data);
  }

  async blobPatchChunked(repo: string, dig: string, data: Buffer, o: { putLast?: boolean; outOfOrder?: boolean; bad?: boolean } = {}): Promise<void> {
    const u = this.uploadsUrl(repo);
    const p = await http(u, { method: 'POST', headers: { 'Content-Length': '0' } });
    expectStatus(p, [202], 'POST');
    let loc = p.header('location');
    const min = Number(p.header('oci-chunk-min-length') ?? 0);
    let chunk = Math.max(Math.floor(data.length / 3) + 1, min, CHUNK_MIN);
    chunk = Math.min(chunk, data.length);
    let last = -1;
    let final: Reply | undefined;
    let finalUrl = u;
    while (last < data.length - 1) {
      expect(loc, 'no Location');
      let at = new URL(loc, u);
      if (o.outOfOrder) {
        let badStart = last + 1 + chunk;
        if (badStart >= data.length) badStart = 0;
        const badLast = Math.min(badStart + chunk - 1, data.length - 1);
        const method = o.putLast && badLast === data.length - 1 ? 'PUT' : 'PATCH';
        const bu = new URL(at);
        if (method === 'PUT') bu.searchParams.set('digest', dig);
        const br = await http(bu, { method, body: data.subarray(badStart, badLast + 1), headers: { 'Content-Type': MT.octet, 'Content-Range': `${badStart}-${badLast}` } });
        expectStatus(br, [416], `out of order chunk ${badStart}-${badLast}`);
        loc = br.header('location') ?? loc;
        const st = await http(new URL(loc!, u));
        expectStatus(st, [204], 'upload status');
        loc = st.header('location') ?? loc;
        const range = st.header('range') ?? '';
        expect(range.startsWith('0-'), `upload status Range ${JSON.stringify(range)} lacks 0-`);
        const end = Number(range.slice(2));
        expect(Number.isInteger(end), `upload status Range ${JSON.stringify(range)}`);
        if (last >= 0) expect(end === last, `upload status Range 0-${end}, want 0-${last}`);
        at = new URL(loc!, u);
      }
      const start = last + 1;
      last = Math.min(start + chunk - 1, data.length - 1);
      const body = data.subarray(start, last + 1);
      const headers = { 'Content-Type': MT.octet, 'Content-Range': `${start}-${last}` };
      if (o.putLast && last === data.length - 1) {
        at.searchParams.set('digest', dig);
        final = await http(at, { method: 'PUT', body, headers });
        finalUrl = at;
        if (o.bad) return expectStatus(final, [400], 'PUT last chunk with a wrong digest');
        expectStatus(final, [201], 'PUT last chunk');
      } else {
        const r = await http(at, { method: 'PATCH', body, headers });
        expectStatus(r, [202], `PATCH ${start}-${last}`);
        loc = r.header('location');
      }
    }
    if (!o.putLast) {
      const put = this.withDigest(u, loc, dig);
      final = await http(put, { method: 'PUT', headers: { 'Content-Length': '0', 'Content-Type': MT.octet } });
      finalUrl = put;
      if (o.bad) return expectStatus(final, [400], 'PUT with a wrong digest');
      expectStatus(final, [201], 'PUT');
    }
    this.verifyDigest(final!, dig, 'PUT');
    await this.verifyLocation(finalUrl, final!.header('location'), data);
  }

  async blobPostCancel(repo: string): Promise<void> {
    const u = this.uploadsUrl(repo);
    const p = await http(u, { method: 'POST' });
    expectStatus(p, [202], 'POST');
    const r = await http(new URL(p.header('location')!, u), { method: 'DELETE', headers: { 'Content-Length': '0' } });
    expectStatus(r, [204], 'DELETE upload');
  }

  /** A mount; Unsupported when the registry fell back to an upload (which this then completes). */
  async blobMount(repo: string, from: string | undefined, dig: string, data: Buffer): Promise<void> {
    const u = this.uploadsUrl(repo);
    u.searchParams.set('mount', dig);
    if (from) u.searchParams.set('from', from);
    const r = await http(u, { method: 'POST' });
    expectStatus(r, [201, 202], 'POST ?mount=');
    expect(r.header('location'), 'mount: no Location');
    if (r.status === 202) {
      const put = this.withDigest(u, r.header('location'), dig);
      const f = await http(put, { method: 'PUT', body: data, headers: { 'Content-Type': MT.octet } });
      expectStatus(f, [201], 'PUT after a mount fell back');
      throw new Unsupported('registry returned 202, fell back to POST+PUT');
    }
    this.verifyDigest(r, dig, 'mount');
    await this.verifyLocation(u, r.header('location'), data);
  }

  async blobHead(repo: string, dig: string, td: TestData): Promise<void> {
    const r = await http(this.url(`/v2/${repo}/blobs/${dig}`), { method: 'HEAD' });
    expectStatus(r, [200], 'HEAD blob');
    expect(r.body.length === 0, 'HEAD blob: a body');
    const data = td.blobs.get(dig);
    if (data) expect(r.header('content-length') === String(data.length), `HEAD blob: Content-Length ${r.header('content-length')}, want ${data.length}`);
    this.verifyDigest(r, dig, 'HEAD blob');
  }

  async blobGet(repo: string, dig: string, td: TestData): Promise<void> {
    const r = await http(this.url(`/v2/${repo}/blobs/${dig}`));
    expectStatus(r, [200], 'GET blob');
    const data = td.blobs.get(dig);
    if (data) {
      expect(r.body.equals(data), 'GET blob: body differs');
      expect(r.header('content-length') === String(data.length), 'GET blob: Content-Length');
    }
    this.verifyDigest(r, dig, 'GET blob');
  }

  blobGetRaw(repo: string, dig: string, headers: Record<string, string> = {}): Promise<Reply> {
    return http(this.url(`/v2/${repo}/blobs/${dig}`), { headers });
  }

  async blobDelete(repo: string, dig: string): Promise<void> {
    const r = await http(this.url(`/v2/${repo}/blobs/${dig}`), { method: 'DELETE' });
    expectStatus(r, [202, 404], 'DELETE blob');
    const h = await http(this.url(`/v2/${repo}/blobs/${dig}`), { method: 'HEAD' });
    expectStatus(h, [404], 'HEAD after DELETE blob');
  }

  async manifestPut(repo: string, ref: string, dig: string, td: TestData, o: { bad?: boolean; tags?: string[] } = {}): Promise<void> {
    const body = td.manifests.get(dig);
    expect(body, `no manifest ${dig}`);
    const u = this.url(`/v2/${repo}/manifests/${ref}`);
    for (const t of o.tags ?? []) u.searchParams.append('tag', t);
    const mediaType = detectMediaType(body);
    const r = await http(u, { method: 'PUT', body, headers: { 'Content-Type': mediaType } });
    if (o.bad) return expectStatus(r, [400], 'PUT manifest with a wrong digest');
    expectStatus(r, [201], `PUT manifest ${ref}`);
    const subject = detectSubject(body);
    if (subject) expect(r.header('oci-subject') === subject.digest, `PUT manifest: OCI-Subject ${r.header('oci-subject')}, want ${subject.digest}`);
    for (const t of o.tags ?? []) expect((r.header('oci-tag') ?? '').split(',').map((s) => s.trim()).includes(t), `PUT manifest: OCI-Tag lacks ${t}`);
    this.verifyDigest(r, dig, 'PUT manifest');
    const loc = r.header('location');
    expect(loc, 'PUT manifest: no Location');
    const g = await http(new URL(loc, u), { headers: { Accept: [MT.index, MT.image] } });
    expectStatus(g, [200], `GET ${loc}`);
    expect(g.header('content-type') === mediaType, `GET ${loc}: Content-Type ${g.header('content-type')}, want ${mediaType}`);
    expect(g.header('content-length') === String(body.length), `GET ${loc}: Content-Length`);
    expect(g.body.equals(body), `GET ${loc}: body differs`);
  }

  async manifestGetOrHead(method: 'GET' | 'HEAD', repo: string, ref: string, dig: string, td: TestData): Promise<void> {
    const r = await http(this.url(`/v2/${repo}/manifests/${ref}`), { method, headers: { Accept: [MT.index, MT.image] } });
    expectStatus(r, [200], `${method} manifest ${ref}`);
    const body = td.manifests.get(dig);
    if (body) {
      expect(r.header('content-type') === detectMediaType(body), `${method} manifest: Content-Type ${r.header('content-type')}`);
      expect(r.header('content-length') === String(body.length), `${method} manifest: Content-Length ${r.header('content-length')}, want ${body.length}`);
      if (method === 'GET') expect(r.body.equals(body), 'GET manifest: body differs');
    }
    if (method === 'HEAD') expect(r.body.length === 0, 'HEAD manifest: a body');
    this.verifyDigest(r, dig, `${method} manifest`);
  }

  manifestGetRaw(repo: string, ref: string): Promise<Reply> {
    return http(this.url(`/v2/${repo}/manifests/${ref}`), { headers: { Accept: [MT.index, MT.image] } });
  }

  async manifestDelete(repo: string, ref: string): Promise<void> {
    const r = await http(this.url(`/v2/${repo}/manifests/${ref}`), { method: 'DELETE' });
    expectStatus(r, [202, 404], `DELETE manifest ${ref}`);
    const h = await http(this.url(`/v2/${repo}/manifests/${ref}`), { method: 'HEAD', headers: { Accept: [MT.index, MT.image] } });
    expectStatus(h, [404], `HEAD after DELETE manifest ${ref}`);
  }

  async tagList(repo: string, params: Record<string, string> = {}): Promise<string[]> {
    const u = this.url(`/v2/${repo}/tags/list`);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    const r = await http(u);
    expectStatus(r, [200, 404], 'tag list');
    if (r.status === 404) return [];
    return r.json<{ tags?: string[] | null }>().tags ?? [];
  }

  async referrers(repo: string, subject: string, artifactType?: string): Promise<{ manifests: Desc[]; filters: string }> {
    const u = this.url(`/v2/${repo}/referrers/${subject}`);
    if (artifactType !== undefined) u.searchParams.set('artifactType', artifactType);
    const r = await http(u);
    expectStatus(r, [200], 'referrers');
    expect(r.header('content-type') === MT.index, `referrers: Content-Type ${r.header('content-type')}`);
    const index = r.json<{ schemaVersion?: number; mediaType?: string; manifests?: Desc[] }>();
    expect(index.schemaVersion === 2 && index.mediaType === MT.index, 'referrers: not an OCI index');
    return { manifests: index.manifests ?? [], filters: r.header('oci-filters-applied') ?? '' };
  }

  async ping(): Promise<void> {
    const r = await http(this.url('/v2/'));
    expectStatus(r, [200], 'GET /v2/');
  }
}
