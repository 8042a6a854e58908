/**
 * A small streaming tar codec (ustar + PAX + GNU long names).
 *
 * Why not tar-stream for this: it decodes PAX records as UTF-8 strings, which corrupts binary
 * extended attributes such as `security.capability` (SCHILY.xattr.*), and its PAX encoder counts
 * string length instead of bytes. Layers must round-trip those bytes exactly, so entries here carry
 * xattrs as Buffers and PAX records are read and written as raw bytes.
 */
import { Readable } from 'node:stream';
import { InvalidArgument } from '../../core/errors.js';

export type TarType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

export interface TarHeader {
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Modification time in milliseconds. */
  mtime: number;
  linkname?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes (SCHILY.xattr.*), raw bytes. */
  xattrs?: Map<string, Buffer>;
}

export interface TarEntry {
  header: TarHeader;
  /** The entry's data; drain it or leave it: the reader skips what is not read. */
  body: AsyncIterable<Buffer>;
}

const BLOCK = 512;

// ---------------------------------------------------------------------------------------------
// PAX records: "<len> <key>=<value>\n", len counting bytes of the whole record.

export function encodePax(records: Array<[string, Buffer | string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, v] of records) {
    const value = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    const body = Buffer.byteLength(key) + value.length + 3; // ' ' '=' '\n'
    let len = body + String(body).length;
    if (String(len).length !== String(body).length) len = body + String(len).length;
    parts.push(Buffer.from(`${len} ${key}=`, 'utf8'), value, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

export function decodePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < buf.length) {
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) break;
    const len = parseInt(buf.subarray(off, sp).toString('latin1'), 10);
    if (!len || off + len > buf.length) break;
    const rec = buf.subarray(sp + 1, off + len - 1); // without trailing '\n'
    const eq = rec.indexOf(0x3d);
    if (eq >= 0) out.set(rec.subarray(0, eq).toString('utf8'), Buffer.from(rec.subarray(eq + 1)));
    off += len;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Header fields

function readString(b: Buffer, off: number, len: number): string {
  const field = b.subarray(off, off + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function readNumber(b: Buffer, off: number, len: number): number {
  const field = b.subarray(off, off + len);
  if (field[0]! & 0x80) {
    // GNU base-256
    let n = 0;
    for (let i = 1; i < len; i++) n = n * 256 + field[i]!;
    return n;
  }
  const s = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}

function checksumOf(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
  return sum;
}

const TYPE_BY_FLAG: Record<string, TarType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '3': 'character-device',
  '4': 'block-device', '5': 'directory', '6': 'fifo',
};
const FLAG_BY_TYPE: Record<TarType, string> = {
  file: '0', link: '1', symlink: '2', 'character-device': '3', 'block-device': '4', directory: '5', fifo: '6',
};

// ---------------------------------------------------------------------------------------------
// Reader

/** Buffers chunks from a source and hands out exact byte counts. */
class ByteReader {
  private chunks: Buffer[] = [];
  private avail = 0;
  private done = false;
  constructor(private readonly it: AsyncIterator<Buffer | Uint8Array | string>) {}

  private async pull(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    if (b.length) {
      this.chunks.push(b);
      this.avail += b.length;
    }
    return true;
  }

  /** Exactly n bytes, or fewer at end of input. */
  async read(n: number): Promise<Buffer> {
    while (this.avail < n && (await this.pull()));
    return this.take(Math.min(n, this.avail));
  }

  /** Up to n bytes (at least 1 unless at end). */
  async readSome(n: number): Promise<Buffer> {
    if (this.avail === 0) while (this.avail === 0 && (await this.pull()));
    return this.take(Math.min(n, this.avail));
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    if (first.length === n) {
      this.chunks.shift();
      this.avail -= n;
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      this.avail -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.avail -= n;
    return out;
  }

  /** Reads to the end of input (so a hash over the source sees every byte). */
  async drain(): Promise<void> {
    this.chunks = [];
    this.avail = 0;
    while (await this.pull()) {
      this.chunks = [];
      this.avail = 0;
    }
  }

  async close(): Promise<void> {
    if (!this.done) await this.it.return?.();
  }
}

const bad = (msg: string): InvalidArgument => new InvalidArgument(`invalid tar archive: ${msg}`);

/**
 * Reads a tar stream entry by entry. Each entry's body must be consumed before asking for the next
 * one (what is left is skipped). The source is read to its end, padding included.
 */
export async function* readTar(source: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source[Symbol.asyncIterator]());
  try {
    let pax: Map<string, Buffer> | null = null;
    let globalPax: Map<string, Buffer> | null = null;
    let longName: string | null = null;
    let longLink: string | null = null;
    for (;;) {
      const block = await r.read(BLOCK);
      if (block.length === 0) return; // tolerate a missing end marker
      if (block.length < BLOCK) throw bad('unexpected end of data');
      if (block.every((x) => x === 0)) {
        await r.drain();
        return;
      }
      if (readNumber(block, 148, 8) !== checksumOf(block)) throw bad('header checksum mismatch');
      const flag = String.fromCharCode(block[156]!);
      let size = readNumber(block, 124, 12);
      const readBody = async (): Promise<Buffer> => {
        const data = await r.read(size);
        if (data.length < size) throw bad('unexpected end of data');
        await r.read((BLOCK - (size % BLOCK)) % BLOCK);
        return data;
      };
      if (flag === 'x' || flag === 'g') {
        const recs = decodePax(await readBody());
        if (flag === 'g') globalPax = recs;
        else pax = recs;
        continue;
      }
      if (flag === 'L') {
        longName = (await readBody()).toString('utf8').replace(/\0+$/, '');
        continue;
      }
      if (flag === 'K') {
        longLink = (await readBody()).toString('utf8').replace(/\0+$/, '');
        continue;
      }
      const magic = block.subarray(257, 263).toString('latin1');
      let name = readString(block, 0, 100);
      if (magic.startsWith('ustar')) {
        const prefix = readString(block, 345, 155);
        if (prefix && magic === 'ustar\u000000') name = `${prefix}/${name}`;
      }
      let linkname = readString(block, 157, 100);
      let type = TYPE_BY_FLAG[flag];
      if (!type) {
        // Unknown type (GNU sparse, volume labels...): skip the entry, as docker does.
        await readBody();
        pax = null;
        longName = longLink = null;
        continue;
      }
      const merged = new Map<string, Buffer>([...(globalPax ?? []), ...(pax ?? [])]);
      if (longName !== null) name = longName;
      if (longLink !== null) linkname = longLink;
      const s = (k: string): string | undefined => merged.get(k)?.toString('utf8');
      name = s('path') ?? name;
      linkname = s('linkpath') ?? linkname;
      if (s('size') !== undefined) size = parseInt(s('size')!, 10);
      if (type === 'file' && name.endsWith('/')) type = 'directory';
      let mtime = readNumber(block, 136, 12) * 1000;
      if (s('mtime') !== undefined) mtime = Math.round(parseFloat(s('mtime')!) * 1000);
      const xattrs = new Map<string, Buffer>();
      for (const [k, v] of merged) if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice(13), v);
      const header: TarHeader = {
        name, type,
        mode: readNumber(block, 100, 8) & 0o7777,
        uid: s('uid') !== undefined ? parseInt(s('uid')!, 10) : readNumber(block, 108, 8),
        gid: s('gid') !== undefined ? parseInt(s('gid')!, 10) : readNumber(block, 116, 8),
        size: type === 'file' ? size : 0,
        mtime,
        uname: s('uname') ?? readString(block, 265, 32),
        gname: s('gname') ?? readString(block, 297, 32),
      };
      if (type === 'link' || type === 'symlink') header.linkname = linkname;
      if (type === 'character-device' || type === 'block-device') {
        header.devmajor = readNumber(block, 329, 8);
        header.devminor = readNumber(block, 337, 8);
      }
      if (xattrs.size) header.xattrs = xattrs;
      pax = null;
      longName = longLink = null;

      // Link and device entries may still declare a size; their data is skipped.
      let remaining = type === 'file' ? size : size;
      const body = async function* (): AsyncGenerator<Buffer> {
        while (remaining > 0) {
          const chunk = await r.readSome(Math.min(remaining, 1 << 20));
          if (chunk.length === 0) throw bad('unexpected end of data');
          remaining -= chunk.length;
          if (type === 'file') yield chunk;
        }
      };
      yield { header, body: body() };
      while (remaining > 0) {
        const chunk = await r.readSome(Math.min(remaining, 1 << 20));
        if (chunk.length === 0) throw bad('unexpected end of data');
        remaining -= chunk.length;
      }
      const pad = (BLOCK - (size % BLOCK)) % BLOCK;
      if (pad) {
        const p = await r.read(pad);
        if (p.length < pad) throw bad('unexpected end of data');
      }
    }
  } finally {
    await r.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Writer

function writeString(b: Buffer, off: number, len: number, s: string): boolean {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length > len) return false;
  bytes.copy(b, off);
  return true;
}

function writeOctal(b: Buffer, off: number, len: number, n: number): boolean {
  const s = Math.floor(n).toString(8);
  if (s.length > len - 1) return false;
  b.write(s.padStart(len - 1, '0') + '\0', off, len, 'latin1');
  return true;
}

/** Splits a long path into ustar prefix/name, or null when it does not fit. */
function splitName(name: string): [string, string] | null {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest.length > 0) return [prefix, rest];
  }
  return null;
}

function rawHeader(h: TarHeader, flag: string, size: number, pax: Array<[string, Buffer | string]>): Buffer {
  const b = Buffer.alloc(BLOCK);
  const split = splitName(h.name);
  if (split && /^[\x20-\x7e]*$/.test(h.name)) {
    writeString(b, 0, 100, split[1]);
    writeString(b, 345, 155, split[0]);
  } else {
    writeString(b, 0, 100, Buffer.from(h.name).subarray(0, 99).toString('latin1').replace(/[^\x20-\x7e]/g, '_'));
    pax.push(['path', h.name]);
  }
  writeOctal(b, 100, 8, h.mode & 0o7777);
  if (!writeOctal(b, 108, 8, h.uid)) { writeOctal(b, 108, 8, 0); pax.push(['uid', String(h.uid)]); }
  if (!writeOctal(b, 116, 8, h.gid)) { writeOctal(b, 116, 8, 0); pax.push(['gid', String(h.gid)]); }
  if (!writeOctal(b, 124, 12, size)) { writeOctal(b, 124, 12, 0); pax.push(['size', String(size)]); }
  writeOctal(b, 136, 12, Math.max(0, Math.floor(h.mtime / 1000)));
  b.write(flag, 156, 1, 'latin1');
  if (h.linkname !== undefined) {
    if (Buffer.byteLength(h.linkname) <= 100 && /^[\x20-\x7e]*$/.test(h.linkname)) writeString(b, 157, 100, h.linkname);
    else pax.push(['linkpath', h.linkname]);
  }
  b.write('ustar\u000000', 257, 8, 'latin1');
  if (h.uname && !writeString(b, 265, 32, h.uname)) pax.push(['uname', h.uname]);
  if (h.gname && !writeString(b, 297, 32, h.gname)) pax.push(['gname', h.gname]);
  writeOctal(b, 329, 8, h.devmajor ?? 0);
  writeOctal(b, 337, 8, h.devminor ?? 0);
  return b;
}

function finishHeader(b: Buffer): Buffer {
  b.write(checksumOf(b).toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

/** Encodes the header block(s) of one entry: an optional PAX header, then the ustar header. */
export function encodeHeader(h: TarHeader): Buffer {
  const size = h.type === 'file' ? h.size : 0;
  const pax: Array<[string, Buffer | string]> = [];
  const main = rawHeader(h, FLAG_BY_TYPE[h.type], size, pax);
  if (h.xattrs) for (const [k, v] of [...h.xattrs].sort((a, b) => (a[0] < b[0] ? -1 : 1))) pax.push([`SCHILY.xattr.${k}`, v]);
  finishHeader(main);
  if (pax.length === 0) return main;
  const data = encodePax(pax);
  const ph = rawHeader({ name: `PaxHeaders/${h.name.replace(/\/$/, '').split('/').pop() ?? ''}`.slice(0, 99), type: 'file', mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: h.mtime }, 'x', data.length, []);
  finishHeader(ph);
  return Buffer.concat([ph, data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK), main]);
}

export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

export const END_OF_ARCHIVE: Buffer = Buffer.alloc(BLOCK * 2);

export type TarSourceEntry = { header: TarHeader; body?: Buffer | AsyncIterable<Buffer | Uint8Array> };

/**
 * Writes entries as a tar byte stream (an async generator, so it is pulled at the consumer's pace).
 * A body stream must yield exactly header.size bytes.
 */
export async function* writeTar(entries: AsyncIterable<TarSourceEntry> | Iterable<TarSourceEntry>): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    yield encodeHeader(e.header);
    if (e.header.type !== 'file') continue;
    let n = 0;
    if (e.body) {
      if (Buffer.isBuffer(e.body)) {
        n = e.body.length;
        if (n) yield e.body;
      } else {
        for await (const c of e.body) {
          const b = Buffer.isBuffer(c) ? c : Buffer.from(c);
          if (n + b.length > e.header.size) {
            yield b.subarray(0, e.header.size - n);
            n = e.header.size;
            break;
          }
          n += b.length;
          yield b;
        }
      }
    }
    if (n !== e.header.size) throw new Error(`tar: ${e.header.name}: wrote ${n} bytes, header says ${e.header.size}`);
    const pad = padding(n);
    if (pad.length) yield pad;
  }
  yield END_OF_ARCHIVE;
}

export function tarStream(entries: AsyncIterable<TarSourceEntry> | Iterable<TarSourceEntry>): Readable {
  return Readable.from(writeTar(entries), { objectMode: false });
}
