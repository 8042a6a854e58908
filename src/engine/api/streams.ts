import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { InvalidArgument } from '../../core/errors.js';

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

/** One frame of docker's multiplexed stream: stream id (0 stdin, 1 stdout, 2 stderr), then the size. */
export function frame(stream: 1 | 2, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/**
 * Parses docker's --detach-keys ("ctrl-p,ctrl-q", "a,ctrl-[") into bytes; docker's own errors.
 */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim().toLowerCase();
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/.exec(k);
    if (!m) throw new InvalidArgument(`Invalid detach keys (${spec}) provided`);
    const c = m[1]!;
    if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
    else if (c === '@') out.push(0);
    else if (c === '[') out.push(27);
    else if (c === '\\') out.push(28);
    else if (c === ']') out.push(29);
    else if (c === '^') out.push(30);
    else if (c === '_') out.push(31);
    else throw new InvalidArgument(`Invalid detach keys (${spec}) provided`);
  }
  return Buffer.from(out);
}

/**
 * Passes input through until the detach sequence is typed; a partial match is held back and
 * released when the next byte does not continue it (docker's term.EscapeProxy).
 */
export class EscapeProxy extends Transform {
  private held = 0;
  constructor(private readonly keys: Buffer, private readonly onDetach: () => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) {
          this.held = 0;
          if (out.length) this.push(Buffer.from(out));
          this.onDetach();
          cb();
          return;
        }
        continue;
      }
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]!);
      this.held = 0;
      if (b === this.keys[0]) this.held = 1;
      else out.push(b);
    }
    if (out.length) this.push(Buffer.from(out));
    cb();
  }
}

/**
 * Splits a multiplexed stream back into frames, to keep only stdout or stderr; with `unwrap`, the
 * kept frames' payloads alone (for a client that asked for a raw stream).
 */
export class FrameFilter extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly keep: { stdout: boolean; stderr: boolean; unwrap?: boolean }) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      const f = this.buf.subarray(0, 8 + len);
      const s = f[0];
      if ((s === 1 && this.keep.stdout) || (s === 2 && this.keep.stderr)) this.push(Buffer.from(this.keep.unwrap ? f.subarray(8) : f));
      this.buf = this.buf.subarray(8 + len);
    }
    cb();
  }
}

/** Wraps a terminal's output (one raw stream) in stdout frames, for a client that asked for a multiplexed stream. */
export class Framer extends Transform {
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, frame(1, chunk));
  }
}

/**
 * Writes a chunk to a client, waiting while it reads slowly. False once the client has gone, so the
 * writer stops (and its clean-up runs) rather than waiting for a 'drain' that never comes.
 */
export function writeOut(w: Writable, chunk: Buffer): Promise<boolean> {
  if (w.destroyed || w.writableEnded) return Promise.resolve(false);
  if (w.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      w.off('drain', onDrain);
      w.off('close', onClose);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    w.once('drain', onDrain);
    w.once('close', onClose);
    if (w.destroyed) done(false);
  });
}
