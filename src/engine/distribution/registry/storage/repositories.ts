/**
 * What each repository holds, as records beside the shared blobs (distribution's layout):
 *
 *   repositories/<name>/_layers/<alg>/<hex>                 a blob is in the repository (empty file)
 *   repositories/<name>/_manifests/revisions/<alg>/<hex>    a manifest is: {mediaType, size, subject?}
 *   repositories/<name>/_manifests/tags/<tag>               {digest}
 *   repositories/<name>/_referrers/<alg>/<hex>/<alg>-<hex>  a manifest whose subject is <alg>:<hex>
 *
 * Path components of a name never start with `_`, so these folders cannot be taken for names.
 * A blob of the store that a repository has no record of is unknown there (BLOB_UNKNOWN), as in
 * distribution: a client must push or mount it into that repository first.
 */
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isErrno } from '../../../../core/errors.js';
import { isTag, tryParseDigest, type ParsedDigest } from '../names.js';
import { readdirOrEmpty } from './blobs.js';
import { readJson, removeFile, writeAtomic } from './files.js';

export interface Revision {
  mediaType: string;
  size: number;
  /** The subject's digest, when the manifest has one (its referrer record goes with it). */
  subject?: string;
}

/** A descriptor as the referrers API lists it. */
export interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export class RepositoryStore {
  constructor(
    private readonly dir: string,
    private readonly tmpDir: string,
  ) {}

  private repo(name: string, ...parts: string[]): string {
    return join(this.dir, name, ...parts);
  }

  private layerPath(name: string, d: ParsedDigest): string {
    return this.repo(name, '_layers', d.algorithm, d.hex);
  }

  private revisionPath(name: string, d: ParsedDigest): string {
    return this.repo(name, '_manifests', 'revisions', d.algorithm, d.hex);
  }

  private tagPath(name: string, tag: string): string {
    return this.repo(name, '_manifests', 'tags', tag);
  }

  private referrersDir(name: string, subject: ParsedDigest): string {
    return this.repo(name, '_referrers', subject.algorithm, subject.hex);
  }

  async exists(name: string): Promise<boolean> {
    for (const sub of ['_manifests', '_layers']) {
      if ((await readdirOrEmpty(this.repo(name, sub))).length) return true;
    }
    return false;
  }

  async hasBlob(name: string, d: ParsedDigest): Promise<boolean> {
    return fileExists(this.layerPath(name, d));
  }

  async linkBlob(name: string, d: ParsedDigest): Promise<void> {
    const path = this.layerPath(name, d);
    // An empty file says all there is to say; creating it is atomic in itself.
    const create = async (): Promise<void> => {
      const fh = await open(path, 'w', 0o644);
      await fh.close();
    };
    try {
      await create();
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      await mkdir(dirname(path), { recursive: true });
      await create();
    }
  }

  unlinkBlob(name: string, d: ParsedDigest): Promise<boolean> {
    return removeFile(this.layerPath(name, d));
  }

  revision(name: string, d: ParsedDigest): Promise<Revision | undefined> {
    return readJson<Revision>(this.revisionPath(name, d));
  }

  putRevision(name: string, d: ParsedDigest, rev: Revision): Promise<void> {
    return writeAtomic(this.tmpDir, this.revisionPath(name, d), JSON.stringify(rev));
  }

  deleteRevision(name: string, d: ParsedDigest): Promise<boolean> {
    return removeFile(this.revisionPath(name, d));
  }

  async revisions(name: string): Promise<ParsedDigest[]> {
    const out: ParsedDigest[] = [];
    for (const algorithm of ['sha256', 'sha512']) {
      for (const hex of await readdirOrEmpty(this.repo(name, '_manifests', 'revisions', algorithm))) {
        const d = tryParseDigest(`${algorithm}:${hex}`);
        if (d) out.push(d);
      }
    }
    return out;
  }

  async layers(name: string): Promise<ParsedDigest[]> {
    const out: ParsedDigest[] = [];
    for (const algorithm of ['sha256', 'sha512']) {
      for (const hex of await readdirOrEmpty(this.repo(name, '_layers', algorithm))) {
        const d = tryParseDigest(`${algorithm}:${hex}`);
        if (d) out.push(d);
      }
    }
    return out;
  }

  async tag(name: string, tag: string): Promise<string | undefined> {
    return (await readJson<{ digest: string }>(this.tagPath(name, tag)))?.digest;
  }

  setTag(name: string, tag: string, digest: string): Promise<void> {
    return writeAtomic(this.tmpDir, this.tagPath(name, tag), JSON.stringify({ digest }));
  }

  deleteTag(name: string, tag: string): Promise<boolean> {
    return removeFile(this.tagPath(name, tag));
  }

  /** Tags in lexical order; undefined when the repository is unknown. */
  async tags(name: string): Promise<string[] | undefined> {
    if (!(await this.exists(name))) return undefined;
    return (await readdirOrEmpty(this.repo(name, '_manifests', 'tags'))).filter(isTag).sort();
  }

  /** Every tag with the digest it points at. */
  async tagMap(name: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const t of (await this.tags(name)) ?? []) {
      const d = await this.tag(name, t);
      if (d) out.set(t, d);
    }
    return out;
  }

  addReferrer(name: string, subject: ParsedDigest, desc: ReferrerDescriptor): Promise<void> {
    const d = tryParseDigest(desc.digest)!;
    return writeAtomic(this.tmpDir, join(this.referrersDir(name, subject), `${d.algorithm}-${d.hex}`), JSON.stringify(desc));
  }

  async removeReferrer(name: string, subject: ParsedDigest, referrer: ParsedDigest): Promise<void> {
    await removeFile(join(this.referrersDir(name, subject), `${referrer.algorithm}-${referrer.hex}`));
  }

  /** The referrer records of a subject (they may name a manifest deleted since: callers check). */
  async referrers(name: string, subject: ParsedDigest): Promise<ReferrerDescriptor[]> {
    const dir = this.referrersDir(name, subject);
    const out: ReferrerDescriptor[] = [];
    for (const f of await readdirOrEmpty(dir)) {
      const rec = await readJson<ReferrerDescriptor>(join(dir, f));
      if (rec) out.push(rec);
    }
    return out;
  }

  /** Every repository name in lexical order. */
  async names(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(join(this.dir, rel), { withFileTypes: true });
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return;
        throw err;
      }
      if (rel && entries.some((e) => e.name === '_manifests' || e.name === '_layers')) out.push(rel);
      for (const e of entries) {
        if (e.isDirectory() && !e.name.startsWith('_')) await walk(rel ? `${rel}/${e.name}` : e.name);
      }
    };
    await walk('');
    return out.sort();
  }

  /** Removes a repository's records entirely (garbage collection of emptied repositories). */
  async remove(name: string): Promise<void> {
    await rm(this.repo(name), { recursive: true, force: true });
  }
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return false;
    throw err;
  }
}
