/** Writing archives to -o files or stdout, as docker's save/export do. */
import { createReadStream, createWriteStream, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Ctx } from './command.js';
import { StatusError } from './flags.js';

export async function writeStreamTo(ctx: Ctx, src: Readable, output: string, terminalError: string): Promise<void> {
  if (output && output !== '-') {
    await pipeline(src, createWriteStream(output));
    return;
  }
  if ((ctx.out as { isTTY?: boolean }).isTTY) {
    src.destroy();
    throw new StatusError(terminalError, 1);
  }
  for await (const c of src) {
    if (!ctx.out.write(c as Buffer)) await new Promise((r) => ctx.out.once('drain', r));
  }
}

/** os.Open's error text: "open FILE: no such file or directory". */
export function goOpenError(file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', ENOTDIR: 'not a directory', EISDIR: 'is a directory' };
  return `open ${file}: ${(code && why[code]) ?? (e as Error).message}`;
}

/** A file to send as a request body, opened first so a missing file fails as docker's does. */
export function openInput(file: string): Readable {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new StatusError(goOpenError(file, e), 1);
  }
  return createReadStream('', { fd });
}

export const refuseTerminal = 'cowardly refusing to save to a terminal. Use the -o flag or redirect';

/**
 * What docker's save/export check before asking the engine: no archive onto a terminal, and an
 * -o file whose directory exists ("failed to save image: invalid output path: stat /x: ...").
 */
export function checkArchiveOutput(ctx: Ctx, output: string, what: string): void {
  if (!output && (ctx.out as { isTTY?: boolean }).isTTY) throw new StatusError(refuseTerminal, 1);
  if (!output) return;
  const path = process.getBuiltinModule('node:path');
  const dir = path.dirname(path.normalize(output));
  if (dir === '.' || dir === '') return;
  try {
    process.getBuiltinModule('node:fs').statSync(dir);
  } catch (e) {
    throw new StatusError(`failed to ${what}: invalid output path: stat ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, 1);
  }
}
