/**
 * Compressed tar streams, as moby's DecompressStream takes them wherever it reads a tar (docker cp
 * uploads, import, load and the layers inside a loaded archive): gzip, bzip2, xz and zstd, told
 * apart by their magic numbers. gzip is node:zlib's. Node 20 has no bzip2, xz or zstd decoder:
 * those run through the system's own commands (bzip2, xz-utils, zstd; the set-up installs them),
 * which stream at native speed where the npm ports are slower pure-JS decoders; moby itself runs
 * `xz -d -c -q`.
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InvalidArgument, SystemError } from '../../core/errors.js';

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'none';

export function detectCompression(head: Uint8Array): Compression {
  const starts = (...m: number[]): boolean => m.every((b, i) => head[i] === b);
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  if (starts(0x1f, 0x8b, 0x08)) return 'gzip';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  // A zstd skippable frame (magic 0x184D2A50 to 0x184D2A5F, little-endian) may come first.
  if (head.length >= 8 && head[3] === 0x18 && head[2] === 0x4d && head[1] === 0x2a && (head[0]! & 0xf0) === 0x50) return 'zstd';
  return 'none';
}

/** The command that decompresses each kind, and the Debian package that has it. */
// (bzip2 -q would silence its one line about bad data too.)
const DECODERS: Record<'bzip2' | 'xz' | 'zstd', { cmd: string; args: string[]; pkg: string }> = {
  bzip2: { cmd: 'bzip2', args: ['-d', '-c'], pkg: 'bzip2' },
  xz: { cmd: 'xz', args: ['-d', '-c', '-q'], pkg: 'xz-utils' },
  zstd: { cmd: 'zstd', args: ['-d', '-c', '-q'], pkg: 'zstd' },
};

/** Output chunk of gzip decompression (see decompressed). */
export const GUNZIP_CHUNK = 256 << 10;

/** Enough bytes to tell every kind apart (a zstd skippable frame's header is 8). */
const MAGIC_BYTES = 8;

/**
 * Peeks at the first bytes of a stream: the compression found, and the stream as it came
 * (those bytes included).
 */
export async function peekCompression(source: AsyncIterable<Buffer | Uint8Array>): Promise<{ compression: Compression; raw: AsyncIterable<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < MAGIC_BYTES) {
    const r = await it.next();
    if (r.done) { done = true; break; }
    const b = Buffer.from(r.value);
    head.push(b);
    len += b.length;
  }
  const first = Buffer.concat(head);
  async function* raw(): AsyncGenerator<Buffer> {
    if (first.length) yield first;
    if (done) return;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield Buffer.from(r.value);
      }
    } finally {
      await it.return?.();
    }
  }
  return { compression: detectCompression(first), raw: raw() };
}

/** The decompressed bytes of a raw stream of the given compression. */
export function decompressed(compression: Compression, raw: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  if (compression === 'none') return raw;
  if (compression === 'gzip') {
    // 256 KiB output chunks: zlib's default 16 KiB makes a thread-pool round trip per 16 KiB,
    // which takes layer inflation from ~330 to ~890 ms per 100 MiB here.
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
    const src = Readable.from(raw);
    src.on('error', (err) => gunzip.destroy(err));
    src.pipe(gunzip);
    return gunzip as AsyncIterable<Buffer>;
  }
  return throughCommand(compression, raw);
}

/** Peeks and decompresses: the tar inside whatever compression the stream has. */
export async function decompress(source: AsyncIterable<Buffer | Uint8Array>): Promise<{ stream: AsyncIterable<Buffer>; compression: Compression }> {
  const { compression, raw } = await peekCompression(source);
  return { stream: decompressed(compression, raw), compression };
}

async function* throughCommand(kind: 'bzip2' | 'xz' | 'zstd', raw: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const { cmd, args, pkg } = DECODERS[kind];
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let spawnError: NodeJS.ErrnoException | undefined;
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      resolve(null);
    });
    child.once('close', (code) => resolve(code));
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => { stderr += d; });
  // A decoder that stops early (bad data) closes its input: the feed's EPIPE is not the error to report.
  const fed = pipeline(Readable.from(raw), child.stdin).catch(() => {});
  let finished = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    finished = true;
  } finally {
    // The reader stopped early (the tar ended, or failed): the decoder is not needed any more.
    if (!finished) child.kill('SIGKILL');
  }
  const code = await exited;
  await fed;
  if (spawnError?.code === 'ENOENT') {
    throw new SystemError(`${kind} compressed data needs the ${cmd} command (Debian package ${pkg}), which is not installed`);
  }
  if (spawnError) throw new SystemError(`${cmd}: ${spawnError.message}`);
  const said = stderr.trim().split('\n')[0]!.trim();
  if (code !== 0) throw new InvalidArgument(`invalid ${kind} data: ${said || `${cmd} exited with status ${code}`}`);
}

/** Passes chunks through while feeding them to a callback (hashing, counting). */
export async function* tap<T extends Uint8Array>(source: AsyncIterable<T>, fn: (chunk: T) => void): AsyncGenerator<T> {
  for await (const c of source) {
    fn(c);
    yield c;
  }
}
