/**
 * Container stdio over the hijacked connection: the stdcopy demuxer (8-byte frame headers), raw
 * terminal mode, terminal resize, detach keys (ctrl-p,ctrl-q) and signal forwarding.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import type { EngineClient } from './client.js';

/**
 * Splits docker's multiplexed stream: each frame is [stream, 0, 0, 0, len(BE uint32)] + payload,
 * stream 0/1 = stdout, 2 = stderr, 3 = system error (returned as an error).
 */
export class Demuxer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(
    private out: Writable,
    private err: Writable,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      const kind = this.buf[0];
      const payload = this.buf.subarray(8, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      if (kind === 2) this.err.write(payload);
      else if (kind === 3) throw new Error(payload.toString('utf8'));
      else this.out.write(payload);
    }
  }
}

export function demux(src: Readable, out: Writable, err: Writable): Promise<void> {
  const d = new Demuxer(out, err);
  return new Promise((resolve, reject) => {
    src.on('data', (c: Buffer) => {
      try {
        d.push(c);
      } catch (e) {
        reject(e as Error);
      }
    });
    src.on('end', () => resolve());
    src.on('close', () => resolve());
    src.on('error', reject);
    src.resume(); // a hijacked connection is handed over paused
  });
}

/** Copies a raw (TTY) stream. */
export function copyRaw(src: Readable, out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    src.on('data', (c: Buffer) => out.write(c));
    src.on('end', () => resolve());
    src.on('close', () => resolve());
    src.on('error', reject);
    src.resume(); // a hijacked connection is handed over paused
  });
}

/** term.ToBytes: "ctrl-p,ctrl-q" → [16, 17]; letters, "ctrl-@", "ctrl-[" ... as docker accepts. */
export function parseDetachKeys(keys: string): number[] {
  const out: number[] = [];
  for (const raw of keys.split(',')) {
    const k = raw.trim().toLowerCase();
    if (k.length > 1 && k.startsWith('ctrl-')) {
      const c = k.slice(5);
      if (c.length !== 1) throw new Error(`Invalid escape keys (${keys}) provided`);
      const code = c.charCodeAt(0);
      if (c >= 'a' && c <= 'z') out.push(code - 96);
      else if (c === '@') out.push(0);
      else if ('[\\]^_'.includes(c)) out.push(code - 64);
      else throw new Error(`Invalid escape keys (${keys}) provided`);
    } else if (k.length === 1) out.push(raw.trim().charCodeAt(0));
    else throw new Error(`Invalid escape keys (${keys}) provided`);
  }
  return out;
}

/**
 * term.EscapeProxy: passes bytes through, holding back a partial detach sequence; returns true
 * when the whole sequence was typed (the caller detaches).
 */
export class EscapeProxy {
  private held: number[] = [];
  constructor(private keys: number[]) {}

  /** Returns the bytes to forward and whether the sequence completed. */
  feed(chunk: Buffer): { data: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (this.keys.length && b === this.keys[this.held.length]) {
        this.held.push(b);
        if (this.held.length === this.keys.length) return { data: Buffer.from(out), detach: true };
        continue;
      }
      out.push(...this.held);
      this.held = [];
      if (this.keys.length && b === this.keys[0]) this.held.push(b);
      else out.push(b);
    }
    return { data: Buffer.from(out), detach: false };
  }
}

export interface StdioOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  detachKeys?: string;
  input?: Readable;
  output?: Writable;
  errorOutput?: Writable;
}

export type StreamEnd = 'eof' | 'detached';

interface TtyIn extends Readable {
  isTTY?: boolean;
  setRawMode?: (on: boolean) => unknown;
}

/** Puts stdin in raw mode when it is a terminal; returns the restore function. */
export function setRawTerminal(input: Readable): () => void {
  const t = input as TtyIn;
  if (!t.isTTY || !t.setRawMode) return () => {};
  t.setRawMode(true);
  // term.MakeRaw also turns off output processing (OPOST), which libuv's raw mode leaves on: the
  // container's "\r\n" would otherwise reach the screen as "\r\r\n". Leaving raw mode restores
  // the terminal's original settings, OPOST included.
  const fd = (t as { fd?: number }).fd ?? 0;
  process.getBuiltinModule('node:child_process').spawnSync('stty', ['-opost'], { stdio: [fd, 'ignore', 'ignore'] });
  const restore = (): void => {
    t.setRawMode?.(false);
  };
  process.once('exit', restore);
  return () => {
    process.removeListener('exit', restore);
    restore();
  };
}

/**
 * Runs the attached session: output to stdout/stderr (demuxed unless TTY), stdin to the
 * container (with the detach sequence on a TTY) until the output ends or the user detaches.
 */
export function holdHijacked(conn: Duplex, o: StdioOptions): Promise<StreamEnd> {
  const out = o.output ?? process.stdout;
  const err = o.errorOutput ?? process.stderr;
  const input = o.input ?? process.stdin;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (how: StreamEnd): void => {
      if (done) return;
      done = true;
      if (o.stdin) {
        input.removeListener('data', onData);
        input.removeListener('end', onEnd);
        input.pause();
      }
      resolve(how);
    };
    const onData = (c: Buffer): void => {
      if (proxy) {
        const r = proxy.feed(c);
        if (r.data.length) conn.write(r.data);
        if (r.detach) {
          conn.destroy();
          finish('detached');
        }
        return;
      }
      conn.write(c);
    };
    const onEnd = (): void => {
      // half-close: the container sees EOF on stdin, output keeps flowing
      if (!o.tty) conn.end();
    };
    let proxy: EscapeProxy | undefined;
    if (o.stdin) {
      if (o.tty) proxy = new EscapeProxy(parseDetachKeys(o.detachKeys || 'ctrl-p,ctrl-q'));
      input.on('data', onData);
      input.on('end', onEnd);
      input.resume();
    }
    const copied = o.tty ? copyRaw(conn, out) : demux(conn, out, err);
    copied.then(
      () => finish('eof'),
      (e: unknown) => (done ? undefined : reject(e as Error)),
    );
  });
}

/**
 * Keeps the container's terminal the size of ours: now and on every SIGWINCH. `nudge` first sets
 * it one row and column larger, as docker attach does so that the shell redraws its prompt.
 */
export function monitorTtySize(client: EngineClient, path: string, output: Writable = process.stdout, nudge = false): () => void {
  const tty = output as Writable & { isTTY?: boolean; columns?: number; rows?: number };
  if (!tty.isTTY) return () => {};
  if (nudge) client.post(`${path}/resize`, { h: (tty.rows ?? 0) + 1, w: (tty.columns ?? 0) + 1 }).catch(() => undefined);
  const resize = (): void => {
    if (!tty.rows || !tty.columns) return;
    client.post(`${path}/resize`, { h: tty.rows, w: tty.columns }).catch(() => undefined);
  };
  resize();
  tty.on('resize', resize);
  return () => tty.removeListener('resize', resize);
}

const proxied: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** --sig-proxy: signals this process receives are sent to the container. */
export function forwardSignals(client: EngineClient, id: string): () => void {
  const handlers = proxied.map((sig) => {
    const h = (): void => {
      client.post(`/containers/${encodeURIComponent(id)}/kill`, { signal: sig }).catch(() => undefined);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.removeListener(sig, h);
  };
}
