import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { InvalidArgument } from '../../core/errors.js';

export type Compression = 'gzip' | 'none';

export function detectCompression(head: Uint8Array): Compression | 'zstd' | 'bzip2' | 'xz' {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58) return 'xz';
  return 'none';
}

/**
 * Peeks at the first bytes of a stream and returns the decompressed stream (gzip) or the stream
 * itself, with the compression found. Other compressions are rejected: Node has no decoder.
 */
export async function decompress(source: AsyncIterable<Buffer | Uint8Array>): Promise<{ stream: AsyncIterable<Buffer>; compression: Compression }> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < 4) {
    const r = await it.next();
    if (r.done) { done = true; break; }
    const b = Buffer.from(r.value);
    head.push(b);
    len += b.length;
  }
  const first = Buffer.concat(head);
  const kind = detectCompression(first);
  if (kind !== 'gzip' && kind !== 'none') {
    await it.return?.();
    throw new InvalidArgument(`unsupported layer compression: ${kind}`);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.length) yield first;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield Buffer.from(r.value);
    }
  }
  if (kind === 'none') return { stream: rest(), compression: 'none' };
  const gunzip = createGunzip();
  const src = Readable.from(rest());
  src.on('error', (err) => gunzip.destroy(err));
  src.pipe(gunzip);
  return { stream: gunzip as AsyncIterable<Buffer>, compression: 'gzip' };
}

/** Passes chunks through while feeding them to a callback (hashing, counting). */
export async function* tap<T extends Uint8Array>(source: AsyncIterable<T>, fn: (chunk: T) => void): AsyncGenerator<T> {
  for await (const c of source) {
    fn(c);
    yield c;
  }
}
