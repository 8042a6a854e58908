/**
 * The build context: the tar the client sends, unpacked into a directory of its own under the
 * engine's build root, removed when the build ends. A client that hangs up mid-upload rejects
 * the extraction and the half-made directory goes with it; directories a crashed engine left are
 * removed at the next start (sweepContexts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { extractTar } from '../archive/tar-dir.js';
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
    // Owners in the context never reach a layer (COPY sets its own): not applied.
    await extractTar(dir, completeBlocks(stream), { signal, noLchown: true });
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
