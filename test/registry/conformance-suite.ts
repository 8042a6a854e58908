/**
 * The walk of the OCI conformance suite (conformance/run.go of opencontainers/distribution-spec)
 * as real requests, recording each test by the suite's own path name ("OCI Conformance
 * Test/sha256 blobs/mount/blob-mount"), so the run can be held against the suite's list of test
 * names. Where the suite tries push methods one after another until one works, every method the
 * list names there is tried, and each must work.
 */
import { randomBytes } from 'node:crypto';
import { digestOf, MT, TestData, type Algo, type Desc, type Platform } from './conformance-data.js';
import { CHUNK_MIN, Check, expect, Ops, Unsupported } from './conformance-ops.js';

export const ROOT = 'OCI Conformance Test';
const PUSH_METHODS = ['blob-post-put', 'blob-post-only', 'blob-patch-stream', 'blob-patch-chunked'] as const;
type PushMethod = (typeof PUSH_METHODS)[number];

export interface NodeResult {
  ok: boolean;
  errors: string[];
}

const amd64: Platform = { os: 'linux', architecture: 'amd64' };
const arm64: Platform = { os: 'linux', architecture: 'arm64' };

export class ConformanceWalk {
  readonly results = new Map<string, NodeResult>();
  readonly ops: Ops;

  constructor(
    base: string,
    private readonly checklist: Set<string>,
    private readonly repo = 'conformance/repo1',
    private readonly repo2 = 'conformance/repo2',
  ) {
    this.ops = new Ops(base);
  }

  /** Runs one test; it fails when it throws or any test under it failed. */
  async node(parent: string, name: string, fn: (path: string) => Promise<void>, opts: { unsupportedPasses?: boolean } = {}): Promise<boolean> {
    const path = parent ? `${parent}/${name}` : name;
    const errors: string[] = [];
    try {
      await fn(path);
    } catch (err) {
      if (!(err instanceof Unsupported && opts.unsupportedPasses)) errors.push(err instanceof Check ? err.message : String((err as Error).stack ?? err));
    }
    const childFailed = [...this.results].some(([k, v]) => k.startsWith(`${path}/`) && !v.ok);
    const prev = this.results.get(path);
    const ok = errors.length === 0 && !childFailed && (prev?.ok ?? true);
    this.results.set(path, { ok, errors: [...(prev?.errors ?? []), ...errors] });
    return errors.length === 0 && !childFailed;
  }

  private push(method: PushMethod, repo: string, dig: string, td: TestData, bad = false): Promise<void> {
    const data = td.blobs.get(dig)!;
    switch (method) {
      case 'blob-post-put':
        return this.ops.blobPostPut(repo, dig, data, bad);
      case 'blob-post-only':
        return this.ops.blobPostOnly(repo, dig, data, bad);
      case 'blob-patch-stream':
        return this.ops.blobPatchStream(repo, dig, data, bad);
      case 'blob-patch-chunked':
        return this.ops.blobPatchChunked(repo, dig, data, { bad });
    }
  }

  /** The suite's "push by any method": every method its list names at this point, else POST+PUT. */
  async pushAny(parent: string, repo: string, dig: string, td: TestData): Promise<boolean> {
    const listed = PUSH_METHODS.filter((m) => this.checklist.has(`${parent}/${m}`));
    let ok = true;
    for (const m of listed.length ? listed : (['blob-post-put'] as const)) ok = (await this.node(parent, m, () => this.push(m, repo, dig, td))) && ok;
    return ok;
  }

  async all(): Promise<void> {
    await this.node('', ROOT, async (root) => {
      await this.node(root, 'ping', () => this.ops.ping());
      await this.node(root, 'empty', async (p) => {
        await this.node(p, 'tag list', async () => void (await this.ops.tagList(this.repo)));
        await this.node(p, 'referrers', async () => void (await this.ops.referrers(this.repo, digestOf('sha256', randomBytes(16)))));
      });
      for (const algo of ['sha256', 'sha512'] as const) await this.blobApis(root, algo);
      for (const [name, td] of dataSets()) await this.dataTest(root, name, td);
      await this.manifestErrors(root);
    });
  }

  private async blobApis(root: string, algo: Algo): Promise<void> {
    const repo = this.repo;
    await this.node(root, `${algo} blobs`, async (p) => {
      const td = new TestData(`blobs ${algo}`);
      const digests = new Map<string, string>();
      for (const t of ['post only', 'post+put', 'chunked single', 'stream', 'mount', 'mount anonymous', 'mount missing', 'post cancel']) digests.set(t, td.genBlob(512, { algo })[0]);
      await this.node(p, 'get-missing', async () => {
        const r = await this.ops.blobGetRaw(repo, digests.get('post cancel')!);
        expect(r.status === 404, `GET of a blob never pushed: ${r.status}`);
      });
      const tests = ['post only', 'post+put', 'chunked single', 'stream', 'mount', 'mount anonymous', 'mount missing', 'post cancel', 'chunked multi', 'chunked multi and put chunk', 'chunked out-of-order', 'chunked out-of-order and put chunk'];
      const big = (): string => td.genBlob(CHUNK_MIN * 3 - 5, { algo })[0];
      for (const t of tests) {
        await this.node(p, t, async (q) => {
          const dig = digests.get(t) ?? big();
          let ok = true;
          const data = (): Buffer => td.blobs.get(dig)!;
          switch (t) {
            case 'post only':
              ok = await this.node(q, 'blob-post-only', () => this.ops.blobPostOnly(repo, dig, data()));
              break;
            case 'post+put':
              ok = await this.node(q, 'blob-post-put', () => this.ops.blobPostPut(repo, dig, data()));
              break;
            case 'chunked single':
            case 'chunked multi':
              ok = await this.node(q, 'blob-patch-chunked', () => this.ops.blobPatchChunked(repo, dig, data()));
              break;
            case 'chunked multi and put chunk':
              ok = await this.node(q, 'blob-patch-chunked', () => this.ops.blobPatchChunked(repo, dig, data(), { putLast: true }));
              break;
            case 'chunked out-of-order':
              ok = await this.node(q, 'blob-patch-chunked', () => this.ops.blobPatchChunked(repo, dig, data(), { outOfOrder: true }));
              break;
            case 'chunked out-of-order and put chunk':
              ok = await this.node(q, 'blob-patch-chunked', () => this.ops.blobPatchChunked(repo, dig, data(), { outOfOrder: true, putLast: true }));
              break;
            case 'stream':
              ok = await this.node(q, 'blob-patch-stream', () => this.ops.blobPatchStream(repo, dig, data()));
              break;
            case 'post cancel':
              ok = await this.node(q, 'blob-post-cancel', () => this.ops.blobPostCancel(repo));
              break;
            case 'mount':
              ok = (await this.pushAny(q, this.repo2, dig, td)) && (await this.node(q, 'blob-mount', () => this.ops.blobMount(repo, this.repo2, dig, data())));
              break;
            case 'mount anonymous':
              ok = (await this.pushAny(q, this.repo2, dig, td)) && (await this.node(q, 'blob-mount-anonymous', () => this.ops.blobMount(repo, undefined, dig, data())));
              break;
            case 'mount missing':
              ok = await this.node(q, 'blob-mount', async () => {
                try {
                  await this.ops.blobMount(repo, this.repo2, dig, data());
                } catch (err) {
                  if (err instanceof Unsupported) return;
                  throw err;
                }
                throw new Check('blob mount of missing blob incorrectly succeeded');
              });
              break;
          }
          if (ok && t !== 'post cancel') {
            await this.node(q, 'blob-head', () => this.ops.blobHead(repo, dig, td));
            await this.node(q, 'blob-get', () => this.ops.blobGet(repo, dig, td));
          }
          await this.node(q, 'blob-delete', () => this.ops.blobDelete(repo, dig));
          if (t === 'mount' || t === 'mount anonymous') await this.node(q, 'blob-delete', () => this.ops.blobDelete(this.repo2, dig));
        });
      }
      await this.node(p, 'range requests', async (q) => {
        const [dig, body] = td.genBlob(2048, { algo });
        expect(await this.pushAny(q, repo, dig, td), 'could not push the blob');
        const cases: [string, string, number, [number, number] | undefined][] = [
          ['range 500-1499', 'bytes=500-1499', 206, [500, 1499]],
          ['range 500-', 'bytes=500-', 206, [500, 2047]],
          ['range -500', 'bytes=-500', 206, [1548, 2047]],
          ['range 2000-5000', 'bytes=2000-5000', 206, [2000, 2047]],
          ['range 500-0', 'bytes=500-0', 416, undefined],
          ['range 5000-10000', 'bytes=5000-10000', 416, undefined],
        ];
        for (const [name, header, status, span] of cases) {
          await this.node(q, name, async () => {
            const r = await this.ops.blobGetRaw(repo, dig, { Range: header });
            expect(r.status === status, `${header}: status ${r.status}, want ${status}`);
            if (!span) return;
            const [a, b] = span;
            expect(r.body.equals(body.subarray(a, b + 1)), `${header}: body differs`);
            expect(r.header('content-length') === String(b - a + 1), `${header}: Content-Length ${r.header('content-length')}`);
            const cr = r.header('content-range');
            expect(cr === `bytes ${a}-${b}/2048` || cr === `bytes ${a}-${b}/*`, `${header}: Content-Range ${cr}`);
          });
        }
        await this.node(q, 'blob-delete', () => this.ops.blobDelete(repo, dig));
      });
      for (const [name, val] of [['empty', Buffer.alloc(0)], ['emptyJSON', Buffer.from('{}')]] as const) {
        await this.node(p, name, async (q) => {
          const dig = td.addBlob(val, { algo });
          await this.pushAny(q, repo, dig, td);
          await this.node(q, 'blob-head', () => this.ops.blobHead(repo, dig, td));
          await this.node(q, 'blob-get', () => this.ops.blobGet(repo, dig, td));
          await this.node(q, 'blob-delete', () => this.ops.blobDelete(repo, dig));
        });
      }
      const badTests = ['bad digest post only', 'bad digest post+put', 'bad digest chunked', 'bad digest chunked and put chunk', 'bad digest stream'];
      for (const t of badTests) {
        const dig = big();
        td.blobs.set(dig, Buffer.concat([td.blobs.get(dig)!, Buffer.from('oh no')]));
        await this.node(p, t, async (q) => {
          const data = td.blobs.get(dig)!;
          if (t === 'bad digest post only') await this.node(q, 'blob-post-only', () => this.ops.blobPostOnly(repo, dig, data, true));
          if (t === 'bad digest post+put') await this.node(q, 'blob-post-put', () => this.ops.blobPostPut(repo, dig, data, true));
          if (t === 'bad digest chunked') await this.node(q, 'blob-patch-chunked', () => this.ops.blobPatchChunked(repo, dig, data, { bad: true }));
          if (t === 'bad digest chunked and put chunk') await this.node(q, 'blob-patch-chunked', () => this.ops.blobPatchChunked(repo, dig, data, { bad: true }));
          if (t === 'bad digest stream') await this.node(q, 'blob-patch-stream', () => this.ops.blobPatchStream(repo, dig, data, true));
          // nothing of a rejected blob may be served
          const h = await this.ops.blobGetRaw(repo, dig);
          expect(h.status === 404, `a blob with a wrong digest is served: ${h.status}`);
        });
      }
    });
  }

  private async dataTest(root: string, name: string, td: TestData): Promise<void> {
    const repo = this.repo;
    await this.node(root, name, async (p) => {
      await this.node(p, 'push', async (q) => {
        for (const dig of td.blobs.keys()) await this.pushAny(q, repo, dig, td);
        for (const dig of td.manOrder) await this.node(q, 'manifest-by-digest', () => this.ops.manifestPut(repo, dig, dig, td, { bad: td.badDigest.has(dig) }));
        for (const [tag, dig] of td.tags) {
          await this.node(q, 'manifest-by-tag', async () => {
            await this.ops.manifestPut(repo, tag, dig, td);
            td.tagPushed.add(tag);
          });
        }
      });
      await this.node(p, 'tag-list', async () => {
        const tags = await this.ops.tagList(repo);
        for (const t of td.tags.keys()) expect(tags.includes(t), `missing tag ${t} from the listing`);
        if (tags.length >= 2) {
          const sorted = [...tags].sort();
          const end = Math.floor(sorted.length / 2);
          const last = sorted[end - 1]!;
          const partial = await this.ops.tagList(repo, { last });
          for (const t of sorted.slice(0, end)) expect(!partial.includes(t), `tag ${t} returned when last set to ${last}`);
          for (const t of sorted.slice(end)) expect(partial.includes(t), `tag ${t} missing when last set to ${last}`);
          const page = await this.ops.tagList(repo, { n: '1' });
          expect(page.length === 1 && page[0] === sorted[0], `n=1 gave ${JSON.stringify(page)}`);
        }
      });
      const pulled = td.manOrder.filter((d) => !td.badDigest.has(d));
      await this.node(p, 'head', async (q) => {
        for (const [tag, dig] of td.tags) await this.node(q, 'manifest-head-by-tag', () => this.ops.manifestGetOrHead('HEAD', repo, tag, dig, td));
        for (const dig of pulled) await this.node(q, 'manifest-head-by-digest', () => this.ops.manifestGetOrHead('HEAD', repo, dig, dig, td));
        for (const dig of td.blobs.keys()) await this.node(q, 'blob-head', () => this.ops.blobHead(repo, dig, td));
      });
      await this.node(p, 'pull', async (q) => {
        for (const [tag, dig] of td.tags) await this.node(q, 'manifest-by-tag', () => this.ops.manifestGetOrHead('GET', repo, tag, dig, td));
        for (const dig of pulled) await this.node(q, 'manifest-by-digest', () => this.ops.manifestGetOrHead('GET', repo, dig, dig, td));
        for (const dig of td.blobs.keys()) await this.node(q, 'blob-get', () => this.ops.blobGet(repo, dig, td));
      });
      if (td.referrers.size) await this.node(p, 'referrers', () => this.checkReferrers(td));
      await this.deleteAll(p, td);
    });
  }

  private async checkReferrers(td: TestData): Promise<void> {
    const same = (a: Desc, b: Desc): boolean =>
      a.digest === b.digest && a.mediaType === b.mediaType && a.size === b.size && a.artifactType === b.artifactType && Object.entries(b.annotations ?? {}).every(([k, v]) => a.annotations?.[k] === v);
    for (const [subject, goals] of td.referrers) {
      const all = await this.ops.referrers(this.repo, subject);
      for (const g of goals) expect(all.manifests.some((m) => same(m, g)), `referrers of ${subject} lack ${g.digest}`);
      for (const at of new Set(goals.map((g) => g.artifactType ?? ''))) {
        const filtered = await this.ops.referrers(this.repo, subject, at);
        expect(filtered.filters.split(',').map((s) => s.trim()).includes('artifactType'), 'no OCI-Filters-Applied: artifactType');
        for (const g of goals.filter((x) => (x.artifactType ?? '') === at)) expect(filtered.manifests.some((m) => same(m, g)), `filtered referrers lack ${g.digest}`);
        for (const m of filtered.manifests) expect((m.artifactType ?? '') === at, `the artifactType filter ${at} let ${m.artifactType} through`);
      }
    }
  }

  private async deleteAll(parent: string, td: TestData): Promise<void> {
    await this.node(parent, 'delete', async (q) => {
      for (const tag of td.tags.keys()) if (td.tagPushed.has(tag)) await this.node(q, 'tag-delete', () => this.ops.manifestDelete(this.repo, tag));
      for (const dig of [...td.manOrder].reverse()) await this.node(q, 'manifest-delete', () => this.ops.manifestDelete(this.repo, dig));
      for (const dig of td.blobs.keys()) await this.node(q, 'blob-delete', () => this.ops.blobDelete(this.repo, dig));
    });
  }

  private async manifestErrors(root: string): Promise<void> {
    await this.node(root, 'missing-manifest', async (p) => {
      await this.node(p, 'by-digest', async () => {
        const r = await this.ops.manifestGetRaw(this.repo, digestOf('sha256', randomBytes(1024)));
        expect(r.status === 404, `GET of a missing manifest: ${r.status}`);
      });
      await this.node(p, 'by-tag', async () => {
        const r = await this.ops.manifestGetRaw(this.repo, `missing-${randomBytes(10).toString('hex')}`);
        expect(r.status === 404, `GET of a missing tag: ${r.status}`);
      });
    });
    await this.node(root, 'invalid-digest-format', async (p) => {
      const td = new TestData('invalid manifest digest');
      const dig = td.genManifestFull({ layerCount: 1 });
      for (const b of td.blobs.keys()) await this.pushAny(p, this.repo, b, td);
      td.manifests.set('sha256:baddigeststring', td.manifests.get(dig)!);
      await this.node(p, 'manifest-put', () => this.ops.manifestPut(this.repo, 'sha256:baddigeststring', 'sha256:baddigeststring', td, { bad: true }));
      await this.node(p, 'manifest-get', async () => {
        const r = await this.ops.manifestGetRaw(this.repo, 'sha256:baddigeststring');
        expect(r.status === 404 || r.status === 400, `GET of a malformed digest: ${r.status}`);
      });
      td.manifests.delete('sha256:baddigeststring');
      await this.deleteAll(p, td);
    });
  }
}

/** The suite's data sets, in its order (those its default configuration runs). */
export function dataSets(): [string, TestData][] {
  const out: [string, TestData][] = [];
  const add = (name: string, gen: (td: TestData) => void): void => {
    const td = new TestData(name);
    gen(td);
    out.push([name, td]);
  };
  add('image', (td) => td.genManifestFull({ tag: 'image' }));
  add('image-uncompressed', (td) => td.genManifestFull({ tag: 'image-uncompressed', uncompressed: true }));
  add('large-manifest', (td) => {
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 390; i++) annotations[`large-annotation-${i}`] = 'A'.repeat(10000);
    td.genManifestFull({ tag: 'large-manifest', annotations });
  });
  add('index', (td) => td.genIndexFull({ tag: 'index', platforms: [amd64, arm64] }));
  add('nested-index', (td) => {
    const a = td.genIndexFull({ platforms: [amd64, arm64] });
    const b = td.genIndexFull({ platforms: [amd64, arm64] });
    td.genIndex([undefined, undefined], [a, b], { tag: 'index-of-index' });
  });
  add('empty-index', (td) => td.genIndexFull({ tag: 'index', platforms: [] }));
  const artifact = { artifactType: MT.conf1, configMediaType: MT.empty, configBytes: Buffer.from('{}'), layerCount: 1 };
  add('artifact', (td) => td.genManifestFull({ tag: 'artifact', ...artifact, layerMediaType: MT.conf1 }));
  add('artifact-index', (td) => td.genIndexFull({ tag: 'artifact-index', platforms: [amd64, arm64], ...artifact, layerMediaType: MT.conf1 }));
  add('artifact-without-layers', (td) => td.genManifestFull({ tag: 'artifact-without-layers', ...artifact, layerBytes: Buffer.from('{}'), layerMediaType: MT.empty }));
  const hello = { annotations: { 'org.opencontainers.conformance': 'hello conformance test' }, annotationUniq: true, configMediaType: MT.empty, configBytes: Buffer.from('{}'), layerCount: 1 };
  add('artifacts-with-subject', (td) => {
    const subj = td.desc.get(td.genManifestFull({ tag: 'image' }))!;
    td.genManifestFull({ subject: subj });
    td.genManifestFull({ ...hello, artifactType: MT.conf1, layerMediaType: MT.conf1, subject: subj, tag: 'tagged-artifact1' });
    td.genManifestFull({ ...hello, artifactType: MT.conf2, layerMediaType: MT.octet, subject: subj, tag: 'tagged-artifact2' });
  });
  add('index-with-subject', (td) => {
    const subj = td.desc.get(td.genIndexFull({ tag: 'index' }))!;
    td.genIndexFull({ ...hello, artifactType: MT.conf1, layerMediaType: MT.conf1, subject: subj, tag: 'tagged-artifact' });
  });
  add('missing-subject', (td) => {
    const subj: Desc = { mediaType: MT.image, size: 123, digest: digestOf('sha256', 'missing content') };
    td.genManifestFull({ ...hello, artifactType: MT.conf1, layerMediaType: MT.conf1, subject: subj, tag: 'tagged-artifact' });
  });
  add('data-field', (td) => td.genManifestFull({ tag: 'data-field', setData: true }));
  add('non-distributable-layers', (td) => {
    const layers: Desc[] = [];
    const confDig: string[] = [];
    confDig.push(digestOf('sha256', randomBytes(256)));
    const d0 = digestOf('sha256', randomBytes(256));
    layers.push({ mediaType: MT.layerNdGz, digest: d0, size: 123456, urls: [`https://store.example.com/blobs/sha256/${d0.slice(7)}`] });
    const d1 = digestOf('sha256', randomBytes(256));
    confDig.push(d1);
    layers.push({ mediaType: MT.layerNd, digest: d1, size: 12345, urls: [`https://store.example.com/blobs/sha256/${d1.slice(7)}`] });
    const [c, u] = td.genLayer(1);
    confDig.push(u);
    layers.push(td.desc.get(c)!);
    const conf = td.genConfig(amd64, confDig);
    td.genManifest(td.desc.get(conf)!, layers, { tag: 'non-distributable-image' });
  });
  add('custom-fields', (td) => td.genIndexFull({ tag: 'custom-fields', platforms: [amd64, arm64], extraField: true }));
  add('no-layers', (td) => td.genManifestFull({ tag: 'no-layers', layerCount: 0 }));
  add('sha512', (td) => td.genIndexFull({ algo: 'sha512' }));
  add('bad-digest-image', (td) => {
    const dig = td.genManifestFull();
    td.badDigest.add(dig);
    td.manifests.set(dig, Buffer.concat([td.manifests.get(dig)!, Buffer.from('  ')]));
  });
  return out;
}
