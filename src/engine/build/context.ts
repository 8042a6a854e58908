/**
 * The build context: the tar the client sends, unpacked into a directory of its own under the
 * engine's build root, removed when the build ends. A client that hangs up mid-upload rejects
 * the extraction and the half-made directory goes with it; directories a crashed engine left are
 * removed at the next start (sweepContexts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { extractTar } from '../archive/tar-dir.js';
import { decompress } from '../archive/compression.js';

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
    await extractTar(dir, stream, { signal });
  } catch (err) {
    await dispose();
    throw err;
  }
  return { dir, dispose };
}

/** A context made of a directory that already exists (minke build, tests); nothing to remove. */
export function directoryContext(dir: string): BuildContext {
  return { dir, dispose: async () => {} };
}
