/**
 * COPY and ADD: the sources (globs, files, directories; local tar archives that ADD unpacks; URLs
 * ADD fetches) resolved in a source root (the context, or a stage's or image's filesystem), as
 * the tar entries of the step's layer. The plan is made first and hashed (target names, types,
 * modes, owners and contents; not times) so the cache can be asked before any layer is written.
 */
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { lstat, mkdtemp, open, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { InvalidArgument, NotFound } from '../../core/errors.js';
import { entryFor } from '../snapshots/diff.js';
import { mergedLstat } from '../snapshots/init-layer.js';
import { readTar, type TarHeader, type TarSourceEntry } from '../archive/tar.js';
import { decompress, detectCompression } from '../archive/compression.js';
import { parseGroup, parsePasswd } from '../runtime/user.js';
import { filepathMatch, PatternMatcher } from './ignore.js';
import { resolveInRoot } from '../snapshots/apply.js';

export interface Owner { uid: number; gid: number }

export interface CopyRequest {
  kind: 'copy' | 'add';
  /** The source root: the context dir, or a stage's / image's mounted filesystem. */
  root: string;
  /** True when root is the build context (ADD extracts archives only from there, URLs only there). */
  fromContext: boolean;
  sources: string[];
  /** Files given inline by heredocs (`COPY <<EOF /file`): the heredoc's name is the file's. */
  inline?: Array<{ name: string; data: string }>;
  /** Absolute destination (WORKDIR applied). A trailing '/' makes it a directory. */
  dest: string;
  owner?: Owner;
  chmod?: number;
  /** The parent layers' dirs (nearest first): to see whether dest and its parents exist. */
  parentLayers: string[];
  /** Where ADD keeps downloads for the step. */
  tmpRoot: string;
  /** COPY --parents: each source keeps its path (from the root, or from a `/./` in it) under dest. */
  parents?: boolean;
  /** --exclude: patterns (.dockerignore syntax) of paths, as they land under dest, left out. */
  exclude?: string[];
  /** ADD --checksum: the digest a URL's content must have. */
  checksum?: string;
  signal?: AbortSignal;
}

/** One item of the plan: a filesystem object (or an archive to unpack) and where it lands. */
type Item =
  | { kind: 'path'; abs: string; target: string; st: Stats }
  | { kind: 'dir'; target: string; mode: number; mtime: number; made?: boolean }
  | { kind: 'archive'; abs: string; target: string }
  | { kind: 'inline'; data: Buffer; target: string };

export interface CopyPlan {
  /** Digest of everything the layer is made of but times. */
  digest: string;
  /** What the legacy builder's history says: "file:<hash> in /dest" etc. */
  describe: string;
  entries(): AsyncGenerator<TarSourceEntry>;
  dispose(): Promise<void>;
}

const GLOB = /[*?[\\]/;

/** Paths under root (relative, cleaned) that a glob names, sorted. */
async function globIn(root: string, pattern: string): Promise<string[]> {
  const parts = pattern.split('/').filter((s) => s !== '' && s !== '.');
  let found = [''];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of found) {
      if (!GLOB.test(part)) {
        const rel = base ? `${base}/${part}` : part;
        if (await exists(join(root, rel))) next.push(rel);
        continue;
      }
      let names: string[] = [];
      try {
        names = await readdir(join(root, base));
      } catch {
        continue;
      }
      for (const n of names.sort()) if (filepathMatch(part, n)) next.push(base ? `${base}/${n}` : n);
    }
    found = next;
  }
  return found;
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** A source path cleaned to stay inside its root, as Docker's (../ cannot climb out). */
export function cleanSource(src: string): string {
  return posix.normalize(`/${src}`).replace(/^\/+/, '');
}

/** A file of the parent layers (merged), or undefined. */
export async function readLayered(layers: string[], rel: string): Promise<string | undefined> {
  const st = await mergedLstat(layers, rel);
  if (!st || st === 'blocked' || !st.isFile()) return undefined;
  for (const l of layers) {
    try {
      return await readFile(join(l, rel), 'utf8');
    } catch {
      // not in this layer
    }
  }
  return undefined;
}

/** --chown=user[:group]: names looked up in the image's /etc/passwd and /etc/group. */
export async function resolveChown(spec: string, layers: string[]): Promise<Owner> {
  const [u = '', g] = spec.split(':', 2) as [string, string | undefined];
  const num = (s: string): number | undefined => (/^\d+$/.test(s) ? Number(s) : undefined);
  let uid = num(u);
  let primary: number | undefined;
  if (uid === undefined) {
    const pw = parsePasswd((await readLayered(layers, 'etc/passwd')) ?? '').find((e) => e.name === u);
    if (!pw) throw new NotFound(`unable to convert uid/gid chown string to host mapping: can't find uid for user ${u}: no such user: ${u}`);
    uid = pw.uid;
    primary = pw.gid;
  }
  if (g === undefined || g === '') return { uid, gid: primary ?? uid };
  let gid = num(g);
  if (gid === undefined) {
    const gr = parseGroup((await readLayered(layers, 'etc/group')) ?? '').find((e) => e.name === g);
    if (!gr) throw new NotFound(`unable to convert uid/gid chown string to host mapping: can't find gid for group ${g}: no such group: ${g}`);
    gid = gr.gid;
  }
  return { uid, gid };
}

export function parseChmod(s: string): number {
  if (!/^[0-7]{1,4}$/.test(s)) throw new InvalidArgument(`invalid chmod parameter: ${s}: only octal modes are supported`);
  return parseInt(s, 8);
}

function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

async function isArchive(abs: string): Promise<boolean> {
  const f = await open(abs, 'r');
  const fd = Buffer.alloc(512);
  try {
    const { bytesRead } = await f.read(fd, 0, 512, 0);
    if (bytesRead === 0) return false;
  } finally {
    await f.close();
  }
  const c = detectCompression(fd);
  if (c !== 'none') return true;
  return fd.length >= 262 && fd.subarray(257, 262).toString() === 'ustar';
}

/** ADD's URL into dir, streamed to disk and hashed on the way; checked against --checksum. */
async function download(url: string, dir: string, checksum: string | undefined, signal?: AbortSignal): Promise<{ path: string; name: string }> {
  const want = checksum ? parseChecksum(checksum) : undefined;
  let res: Response;
  try {
    res = await fetch(url, { signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(60_000)]) : AbortSignal.timeout(60_000) });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new InvalidArgument(`ADD failed: Get "${url}": ${cause}`);
  }
  if (!res.ok || !res.body) throw new InvalidArgument(`ADD failed: Get "${url}": unexpected status ${res.status} ${res.statusText}`);
  const path = join(dir, 'download');
  const h = want ? createHash(want.algorithm) : undefined;
  const f = await open(path, 'w', 0o600);
  try {
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
      h?.update(c);
      await f.write(c);
    }
  } finally {
    await f.close();
  }
  if (want && h) {
    const got = `${want.algorithm}:${h.digest('hex')}`;
    if (got !== want.digest) throw new InvalidArgument(`ADD failed: digest mismatch ${want.digest}: ${got}`);
  }
  const name = basename(new URL(url).pathname) || 'index.html';
  return { path, name };
}

/** --checksum=sha256:hex (or sha384/sha512), as BuildKit's digest check takes it. */
function parseChecksum(c: string): { algorithm: string; digest: string } {
  const m = /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(c);
  const len = { sha256: 64, sha384: 96, sha512: 128 };
  if (!m || m[2]!.length !== len[m[1] as keyof typeof len]) throw new InvalidArgument(`invalid checksum digest format: ${c}`);
  return { algorithm: m[1]!, digest: c };
}

/** COPY --parents: the part of a (cleaned) source path that is kept under dest. */
function keptPath(src: string, rel: string): string {
  // `./a/./b/c` keeps `b/c`: the pivot is the last `/./` of the source as written.
  const norm = src.replace(/^\.\//, '');
  const at = norm.lastIndexOf('/./');
  if (at < 0) return rel;
  const prefix = cleanSource(norm.slice(0, at));
  return prefix && rel.startsWith(`${prefix}/`) ? rel.slice(prefix.length + 1) : rel;
}

/** Resolves the sources into a plan; errors in Docker's words. */
export async function planCopy(r: CopyRequest): Promise<CopyPlan> {
  const verb = r.kind.toUpperCase();
  const items: Item[] = [];
  let tmp: string | undefined;
  const dispose = async (): Promise<void> => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  };
  try {
    const resolved: Array<{ abs: string; name: string; st: Stats; url?: boolean; kept?: string }> = [];
    if (r.checksum && (r.sources.length !== 1 || !isUrl(r.sources[0]!))) throw new InvalidArgument(`${verb} failed: checksum can't be specified for non-HTTP(S) sources`);
    for (const src of r.sources) {
      if (isUrl(src)) {
        if (r.kind === 'copy') throw new InvalidArgument(`${verb} failed: source can't be a URL for COPY`);
        tmp ??= await mkdtemp(join(r.tmpRoot, 'add-'));
        const d = await download(src, tmp, r.checksum || undefined, r.signal);
        resolved.push({ abs: d.path, name: d.name, st: await stat(d.path), url: true });
        continue;
      }
      const clean = cleanSource(src);
      const rels = GLOB.test(clean) ? await globIn(r.root, clean) : [clean];
      if (GLOB.test(clean) && rels.length === 0) throw new InvalidArgument(`${verb} failed: no source files were specified`);
      for (const rel of rels) {
        let st: Stats;
        let abs: string;
        try {
          // Symlinks in the source are followed inside the root only (a context's link to /etc stays in the context).
          abs = await resolveInRoot(r.root, rel);
          st = await stat(abs);
        } catch {
          const where = r.fromContext ? 'file not found in build context or excluded by .dockerignore' : 'file not found';
          throw new NotFound(`${verb} failed: ${where}: stat ${rel || '.'}: file does not exist`);
        }
        resolved.push({ abs, name: basename(rel) || '.', st, ...(r.parents ? { kept: keptPath(src, rel) } : {}) });
      }
    }
    const inline = r.inline ?? [];
    const count = resolved.length + inline.length;
    const destSaysDir = r.dest.endsWith('/') || r.dest.endsWith('/.') || r.parents === true;
    const dest = posix.normalize(r.dest).replace(/^\/+|\/+$/g, '');
    const destSt = dest === '' ? 'dir' : await mergedLstat(r.parentLayers, dest);
    const destIsDir = destSaysDir || count > 1 || (destSt !== null && destSt !== 'blocked' && (destSt === 'dir' || destSt.isDirectory()));
    if (count > 1 && !destSaysDir) {
      throw new InvalidArgument(`When using ${verb} with more than one source file, the destination must be a directory and end with a /`);
    }
    const excluded = excluder(r.exclude ?? [], dest);
    for (const s of resolved) {
      const base = s.kept !== undefined ? posix.join(dest, s.kept).replace(/^\.$/, '') : dest;
      if (s.st.isDirectory()) {
        if (s.kept !== undefined && excluded(base)) continue;
        items.push({ kind: 'dir', target: base, mode: s.st.mode & 0o7777, mtime: s.st.mtimeMs });
        walkInto(s.abs, base, items, excluded);
      } else if (r.kind === 'add' && !s.url && r.fromContext && await isArchive(s.abs)) {
        items.push({ kind: 'archive', abs: s.abs, target: dest });
      } else {
        const target = s.kept !== undefined ? base : destIsDir ? join(dest, s.name) : dest;
        if (excluded(target)) continue;
        items.push({ kind: 'path', abs: s.abs, target, st: s.st });
      }
    }
    for (const f of inline) items.push({ kind: 'inline', data: Buffer.from(f.data), target: destIsDir ? join(dest, f.name) : dest });
    const parents = await missingParents(r.parentLayers, items, destIsDir ? dest : posix.dirname(dest));
    const all = [...parents, ...items];
    const digest = await hashPlan(all, r);
    const single = count === 1 ? resolved[0] : undefined;
    const what = single ? (single.st.isDirectory() ? 'dir' : 'file') : 'multi';
    return {
      digest,
      describe: `${what}:${digest.slice(7)} in ${r.dest} `,
      entries: () => entriesOf(all, r),
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** A source directory's tree, synchronously: mostly small files, where a thread-pool round trip per call costs more than the call. */
function walkInto(absDir: string, target: string, out: Item[], excluded: (target: string) => boolean): void {
  for (const n of readdirSync(absDir).sort()) {
    const abs = join(absDir, n);
    const st = lstatSync(abs);
    const t = target ? `${target}/${n}` : n;
    if (excluded(t)) continue;
    out.push({ kind: 'path', abs, target: t, st });
    if (st.isDirectory()) walkInto(abs, t, out, excluded);
  }
}

/** --exclude: whether a target (relative to the layer root) is left out, matched below dest. */
function excluder(patterns: string[], dest: string): (target: string) => boolean {
  if (patterns.length === 0) return () => false;
  let m: PatternMatcher;
  try {
    m = new PatternMatcher(patterns);
  } catch (err) {
    throw new InvalidArgument(`invalid --exclude pattern: ${(err as Error).message}`);
  }
  return (target) => {
    const rel = dest === '' ? target : target.startsWith(`${dest}/`) ? target.slice(dest.length + 1) : '';
    return rel !== '' && m.matches(rel);
  };
}

/** Directories on the way to the targets that the parent layers lack: made 0755 root. */
async function missingParents(layers: string[], items: Item[], destDir: string): Promise<Item[]> {
  const wanted = new Set<string>();
  const add = (p: string): void => {
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) wanted.add(parts.slice(0, i).join('/'));
  };
  add(destDir);
  for (const it of items) add(posix.dirname(it.target));
  const have = new Set(items.filter((i) => i.kind === 'dir' || (i.kind === 'path' && i.st.isDirectory())).map((i) => i.target));
  const out: Item[] = [];
  for (const p of [...wanted].sort()) {
    if (p === '.' || have.has(p)) continue;
    const st = await mergedLstat(layers, p);
    if (st && st !== 'blocked' && st.isDirectory()) continue;
    out.push({ kind: 'dir', target: p, mode: 0o755, mtime: 0, made: true });
  }
  return out;
}

/** Below this a file is read and hashed in one synchronous call: a stream's round trips cost more. */
const SYNC_HASH_MAX = 1 << 20;

export async function fileDigest(abs: string, size?: number): Promise<string> {
  if (size !== undefined && size <= SYNC_HASH_MAX) return createHash('sha256').update(readFileSync(abs)).digest('hex');
  const h = createHash('sha256');
  for await (const c of createReadStream(abs)) h.update(c as Buffer);
  return h.digest('hex');
}

async function hashPlan(items: Item[], r: CopyRequest): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify([r.kind, r.owner ?? null, r.chmod ?? null]));
  for (const it of items) {
    if (it.kind === 'dir') h.update(`\0d ${it.target} ${it.mode}`);
    else if (it.kind === 'inline') h.update(`\0i ${it.target} ${createHash('sha256').update(it.data).digest('hex')}`);
    else if (it.kind === 'archive') h.update(`\0a ${it.target} ${await fileDigest(it.abs)}`);
    else {
      const st = it.st;
      let content = '';
      if (st.isFile()) content = await fileDigest(it.abs, st.size);
      else if (st.isSymbolicLink()) content = await readlink(it.abs);
      h.update(`\0p ${it.target} ${st.mode} ${st.size} ${content}`);
    }
  }
  return `sha256:${h.digest('hex')}`;
}

function own(h: TarHeader, r: CopyRequest, isDir: boolean): TarHeader {
  const o = r.owner ?? { uid: 0, gid: 0 };
  const mode = r.chmod !== undefined && h.type !== 'symlink' ? r.chmod : h.mode;
  return { ...h, uid: o.uid, gid: o.gid, mode, name: isDir && !h.name.endsWith('/') ? `${h.name}/` : h.name, uname: undefined, gname: undefined };
}

async function* entriesOf(items: Item[], r: CopyRequest): AsyncGenerator<TarSourceEntry> {
  const links = new Map<string, string>();
  for (const it of items) {
    if (it.kind === 'dir') {
      const h: TarHeader = { name: `${it.target}/`, type: 'directory', mode: it.mode, uid: 0, gid: 0, size: 0, mtime: Math.floor(it.mtime / 1000) * 1000 };
      yield { header: it.made ? h : own(h, r, true) };
    } else if (it.kind === 'inline') {
      const hd: TarHeader = { name: it.target, type: 'file', mode: 0o644, uid: 0, gid: 0, size: it.data.length, mtime: 0 };
      yield { header: own(hd, r, false), body: it.data };
    } else if (it.kind === 'archive') {
      const { stream } = await decompress(createReadStream(it.abs));
      for await (const e of readTar(stream)) {
        const name = posix.normalize(`${it.target}/${e.header.name}`).replace(/^\/+/, '');
        yield { header: { ...e.header, name: e.header.type === 'directory' ? `${name.replace(/\/+$/, '')}/` : name, ...(e.header.type === 'link' && e.header.linkname ? { linkname: posix.normalize(`${it.target}/${e.header.linkname}`).replace(/^\/+/, '') } : {}) }, body: e.body };
      }
    } else {
      const e = await entryFor(it.abs, it.target, it.st, links);
      if (!e) continue;
      yield { header: own(e.header, r, it.st.isDirectory()), ...(e.body ? { body: e.body } : {}) };
    }
  }
}
