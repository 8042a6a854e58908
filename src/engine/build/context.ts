/**
 * The build context: the tar the client sends, unpacked into a directory of its own under the
 * engine's build root, removed when the build ends. A client that hangs up mid-upload rejects
 * the extraction and the half-made directory goes with it; directories a crashed engine left are
 * removed at the next start (sweepContexts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { closeSync, linkSync, lutimesSync, mkdirSync, openSync, symlinkSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import { posix } from 'node:path';
import { InvalidArgument } from '../../core/errors.js';
import { readTar } from '../archive/tar.js';
import { cleanEntryPath } from '../snapshots/apply.js';
import { decompress } from '../archive/compression.js';
import { cleanPath, PatternMatcher, readDockerignore } from './ignore.js';

export interface BuildContext {
  /** The unpacked context: every COPY/ADD source is relative to it. */
  readonly dir: string;
  dispose(): Promise<void>;
}

export async function sweepContexts(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  for (const d of await readdir(root)) await rm(join(root, d), { recursive: true, force: true });
}

/** Unpacks a (possibly compressed) tar into a new directory under root. */
export async function receiveContext(root: string, body: AsyncIterable<Buffer | Uint8Array>, signal?: AbortSignal): Promise<BuildContext> {
  const dir = join(root, randomBytes(8).toString('hex'));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const { stream } = await decompress(body);
    await extractContext(dir, completeBlocks(stream), signal);
  } catch (err) {
    await dispose();
    throw err;
  }
  return { dir, dispose };
}

/**
 * The docker CLI's context tar with a Dockerfile added (`-f -`, or a Dockerfile outside the
 * context) ends right after the last file's data, without padding or end-of-archive blocks; Go's
 * tar reader takes that, so the archive is completed here.
 */
async function* completeBlocks(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const c of src) {
    n += c.length;
    yield c;
  }
  const pad = (512 - (n % 512)) % 512;
  yield Buffer.alloc(pad + 1024);
}

/**
 * The context tar into a fresh directory of the build's own: files, directories, symlinks and hard
 * links with their modes and times (owners never reach a layer: COPY sets its own), nothing
 * outside dir (no `..`, nothing below a symlink). Synchronous calls per entry: a context is
 * mostly small files, where a thread-pool round trip per call costs more than the call.
 */
async function extractContext(dir: string, source: AsyncIterable<Buffer>, signal?: AbortSignal): Promise<void> {
  const dirs = new Set<string>(['']);
  const links = new Set<string>();
  const dirTimes: Array<[string, number]> = [];
  const ensureParent = (rel: string): void => {
    const parent = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
    const parts = parent.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (links.has(p)) throw new InvalidArgument(`invalid build context: ${rel} lies below the symlink ${p}`);
      if (!dirs.has(p)) {
        mkdirSync(join(dir, p), { recursive: true, mode: 0o755 });
        dirs.add(p);
      }
    }
  };
  for await (const { header: h, body } of readTar(source)) {
    signal?.throwIfAborted();
    const rel = cleanEntryPath(h.name);
    if (rel === '') continue;
    ensureParent(rel);
    const abs = join(dir, rel);
    const t = h.mtime / 1000;
    // An entry named as an earlier symlink replaces it, never writes through it.
    if (links.has(rel)) {
      if (h.type === 'directory') throw new InvalidArgument(`invalid build context: directory ${rel} over a symlink`);
      unlinkSync(abs);
      links.delete(rel);
    }
    switch (h.type) {
      case 'directory':
        if (!dirs.has(rel)) mkdirSync(abs, { recursive: true });
        dirs.add(rel);
        chmodSync(abs, h.mode & 0o7777);
        dirTimes.push([abs, t]);
        break;
      case 'file': {
        const fd = openSync(abs, 'w', 0o600);
        try {
          for await (const c of body) {
            let off = 0;
            while (off < c.length) off += writeSync(fd, c, off, c.length - off);
          }
        } finally {
          closeSync(fd);
        }
        chmodSync(abs, h.mode & 0o7777);
        lutimesSync(abs, t, t);
        break;
      }
      case 'symlink':
        symlinkSync(h.linkname ?? '', abs);
        links.add(rel);
        lutimesSync(abs, t, t);
        break;
      case 'link': {
        const target = cleanEntryPath(h.linkname ?? '');
        if (!target || [...links].some((l) => target === l || target.startsWith(`${l}/`))) throw new InvalidArgument(`invalid build context: hard link ${rel} -> ${h.linkname ?? ''}`);
        linkSync(join(dir, target), abs);
        break;
      }
      default:
        break; // devices and fifos are nothing COPY takes from a context
    }
  }
  for (const [p, t] of dirTimes.reverse()) lutimesSync(p, t, t);
}

/** A context made of a directory that already exists (minke build, tests); nothing to remove. */
export function directoryContext(dir: string): BuildContext {
  return { dir, dispose: async () => {} };
}

/**
 * dockerd's removeDockerfile: when the context's .dockerignore lists the Dockerfile or itself,
 * they are not part of the context COPY sees (the docker CLI lists the Dockerfile it adds for
 * `-f -`). The CLI has applied the rest of .dockerignore already.
 */
export async function dropIgnoredBuildFiles(dir: string, dockerfile: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(join(dir, '.dockerignore'), 'utf8');
  } catch {
    return;
  }
  const m = new PatternMatcher(readDockerignore(text));
  for (const f of [dockerfile, '.dockerignore']) {
    if (m.matches(cleanPath(f))) await rm(join(dir, cleanPath(f)), { force: true });
  }
}
