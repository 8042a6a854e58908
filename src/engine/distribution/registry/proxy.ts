/**
 * Pull-through cache mode (`--proxy-remote URL`, distribution's `proxy.remoteurl`): what a client
 * asks for and this registry lacks is fetched from the remote registry, served, and kept. Tags
 * are asked of the remote each time (they move) and served from here when it cannot be reached;
 * content by digest never changes, so once kept it is served from here. A blob streams to the
 * client and into the store at once, verified before it is kept; memory stays flat.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Call, Registry } from './context.js';
import { regError } from './errors.js';
import { send } from './http.js';
import { sendManifest, storeManifest, MANIFEST_MAX } from './handlers/manifests.js';
import { MANIFEST_TYPES, parseManifest } from './manifests.js';
import { digestOf, parseManifestRef, tryParseDigest, type ParsedDigest } from './names.js';
import { RemoteRegistry, type RemoteOptions } from './remote.js';

const ACCEPT = [...MANIFEST_TYPES].join(', ');

/** The remote's refusals, passed on: it denied this cache (its credentials), or asks it to slow down. */
function refusal(status: number): void {
  if (status === 401 || status === 403) throw regError('DENIED', { remote: status, reason: 'the remote registry refused the cache' });
  if (status === 429) throw regError('TOOMANYREQUESTS', { remote: status });
}

export class PullThrough {
  readonly remote: RemoteRegistry;

  constructor(
    private readonly reg: () => Registry,
    opts: RemoteOptions,
  ) {
    this.remote = new RemoteRegistry(opts);
  }

  private scope(name: string): string {
    return `repository:${name}:pull`;
  }

  private unreachable(err: unknown): void {
    this.reg().log('warn', `proxy: ${this.remote.base.href}: ${(err as Error).message}`);
  }

  /** A manifest this registry lacks, or any manifest by tag: from the remote, kept here. */
  async serveManifest(call: Call, ref: string): Promise<void> {
    const reg = this.reg();
    const { name } = call;
    const r = parseManifestRef(ref);
    const head = call.req.method === 'HEAD';
    let res: Response;
    try {
      res = await this.remote.fetch(`${name}/manifests/${ref}`, { headers: { Accept: ACCEPT }, scope: this.scope(name) });
    } catch (err) {
      this.unreachable(err);
      return this.serveLocalTag(call, r);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      throw regError('MANIFEST_UNKNOWN', { name, reference: ref });
    }
    if (!res.ok) {
      await res.body?.cancel();
      refusal(res.status);
      this.unreachable(new Error(`manifest ${name}:${ref}: ${res.status}`));
      return this.serveLocalTag(call, r);
    }
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > MANIFEST_MAX) throw regError('SIZE_INVALID', { reason: 'remote manifest too large' });
    const claimed = tryParseDigest(res.headers.get('docker-content-digest') ?? '');
    const algorithm = 'digest' in r ? r.digest.algorithm : claimed?.algorithm ?? 'sha256';
    const d = tryParseDigest(digestOf(algorithm, body))!;
    if (('digest' in r && r.digest.digest !== d.digest) || (claimed && claimed.algorithm === algorithm && claimed.digest !== d.digest)) {
      throw regError('DIGEST_INVALID', { reason: 'the remote sent a manifest that does not match its digest', expected: 'digest' in r ? r.digest.digest : claimed?.digest, got: d.digest });
    }
    const m = parseManifest(body, res.headers.get('content-type') ?? undefined);
    await storeManifest(reg, name, d, body, m, 'tag' in r ? [r.tag] : []);
    const rev = (await reg.storage.repos.revision(name, d))!;
    await sendManifest(reg, call, d, rev, head);
  }

  private async serveLocalTag(call: Call, r: ReturnType<typeof parseManifestRef>): Promise<void> {
    const reg = this.reg();
    const digest = 'tag' in r ? await reg.storage.repos.tag(call.name, r.tag) : r.digest.digest;
    const d = digest === undefined ? undefined : tryParseDigest(digest);
    const rev = d && (await reg.storage.repos.revision(call.name, d));
    if (!d || !rev) throw regError('MANIFEST_UNKNOWN', { name: call.name, reference: 'tag' in r ? r.tag : r.digest.digest });
    await sendManifest(reg, call, d, rev, call.req.method === 'HEAD');
  }

  /** A blob this registry lacks: streamed from the remote to the client and into the store. */
  async serveBlob(call: Call, d: ParsedDigest): Promise<void> {
    const reg = this.reg();
    const { name, req, res } = call;
    const head = req.method === 'HEAD';
    const abort = new AbortController();
    let remote: Response;
    try {
      remote = await this.remote.fetch(`${name}/blobs/${d.digest}`, { method: head ? 'HEAD' : 'GET', scope: this.scope(name), signal: abort.signal });
    } catch (err) {
      this.unreachable(err);
      throw regError('BLOB_UNKNOWN', { digest: d.digest });
    }
    if (!remote.ok || (!head && !remote.body)) {
      await remote.body?.cancel();
      refusal(remote.status);
      throw regError('BLOB_UNKNOWN', { digest: d.digest });
    }
    const length = remote.headers.get('content-length');
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': d.digest };
    if (head) {
      send(res, 200, { ...headers, ...(length ? { 'Content-Length': length } : {}) });
      return;
    }
    res.writeHead(200, length ? { ...headers, 'Content-Length': length } : headers);
    const writer = reg.storage.blobs.writer(d.algorithm);
    const gone = (): void => abort.abort();
    res.once('close', gone);
    try {
      for await (const chunk of Readable.fromWeb(remote.body as WebReadableStream<Uint8Array>)) {
        await writer.write(chunk as Uint8Array);
        if (!res.write(chunk)) await new Promise((ok) => res.once('drain', ok));
        if (res.destroyed) throw new Error('client went away');
      }
      await writer.commit(d, length ? Number(length) : undefined);
      await reg.storage.repos.linkBlob(name, d);
      res.end();
    } catch (err) {
      await writer.abort();
      reg.log('warn', `proxy: blob ${name}@${d.digest}: ${(err as Error).message}`);
      res.destroy();
    } finally {
      res.off('close', gone);
    }
  }

  /** The remote's tags (with its pagination); false when it cannot be reached (serve ours). */
  async serveTags(call: Call): Promise<boolean> {
    const q = call.query.toString();
    let res: Response;
    try {
      res = await this.remote.fetch(`${call.name}/tags/list${q ? `?${q}` : ''}`, { scope: this.scope(call.name) });
    } catch (err) {
      this.unreachable(err);
      return false;
    }
    if (!res.ok && res.status !== 404) {
      await res.body?.cancel();
      return false;
    }
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status === 404) throw regError('NAME_UNKNOWN', { name: call.name });
    const link = res.headers.get('link');
    send(call.res, 200, { 'Content-Type': 'application/json', ...(link ? { Link: link } : {}) }, body);
    return true;
  }
}
