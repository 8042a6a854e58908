/** Writing archives to -o files or stdout, as docker's save/export do. */
import { createWriteStream } from 'node:fs';
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
