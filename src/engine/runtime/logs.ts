/**
 * The CRI log format conmon writes (`TIME STREAM P|F MESSAGE`, one line each, P = partial): a
 * reader with docker's `logs` options. Partial records are joined into the line they belong to.
 */
import { stat } from 'node:fs/promises';
import { close, createReadStream, read, watch } from 'node:fs';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { isErrno } from '../../core/errors.js';
import { LogFiles, type LogSource, type OpenLogFile } from './log-files.js';
import type { LogPosition } from '../containers/ports.js';

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds in UTC (`2026-11-23T08:58:49.838806567Z`), as docker prints. */
  time: string;
  /** The line's bytes, ending in '\n' when the line was complete. */
  line: Buffer;
}

export interface ReadLogsOptions {
  follow?: boolean;
  /** Nanoseconds since the epoch: only lines at or after (0: all). */
  since?: bigint;
  /** Nanoseconds since the epoch: only lines at or before (0: all). */
  until?: bigint;
  /** Only the last N lines (of those matching the filters, before following). */
  tail?: number;
  stdout?: boolean;
  stderr?: boolean;
  /** Start at this position (a file and an offset in it) rather than at the oldest line kept. */
  from?: LogPosition;
  /** With follow: ends once this settles and the file is drained (the container exited). */
  exited?: Promise<unknown>;
  /** The log's files (the engine's rotation while the container runs); else read from disk as they are. */
  source?: LogSource;
}

interface Pending { stream: 'stdout' | 'stderr'; time: string; ns: bigint; parts: Buffer[] }

/** `2026-11-23T08:58:49.838806567+00:00` → RFC 3339 UTC with 9 fraction digits, and ns since the epoch. */
export function parseCriTime(t: string): { time: string; ns: bigint } {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  if (!m) return { time: t, ns: 0n };
  const frac = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  const ms = Date.parse(`${m[1]!}${m[3] === 'Z' ? 'Z' : m[3]!}`);
  const ns = BigInt(ms) * 1_000_000n + BigInt(frac);
  const secs = new Date(ms).toISOString().slice(0, 19);
  return { time: `${secs}.${frac}Z`, ns };
}

/** Parses complete CRI records from a buffer; returns the bytes of an incomplete last record. */
class CriParser {
  private pending = new Map<string, Pending>();

  constructor(private readonly emit: (l: LogLine, ns: bigint) => void) {}

  feed(buf: Buffer): Buffer {
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      this.record(buf.subarray(start, nl));
      start = nl + 1;
    }
    return buf.subarray(start);
  }

  private record(rec: Buffer): void {
    const s1 = rec.indexOf(32);
    const s2 = s1 < 0 ? -1 : rec.indexOf(32, s1 + 1);
    const s3 = s2 < 0 ? -1 : rec.indexOf(32, s2 + 1);
    if (s3 < 0 && s2 < 0) return;
    const stream = rec.subarray(s1 + 1, s2).toString() === 'stderr' ? 'stderr' : 'stdout';
    const tag = s3 < 0 ? rec.subarray(s2 + 1).toString() : rec.subarray(s2 + 1, s3).toString();
    const msg = s3 < 0 ? Buffer.alloc(0) : rec.subarray(s3 + 1);
    const p = this.pending.get(stream);
    if (tag.startsWith('P')) {
      if (p) p.parts.push(Buffer.from(msg));
      else {
        const { time, ns } = parseCriTime(rec.subarray(0, s1).toString());
        this.pending.set(stream, { stream, time, ns, parts: [Buffer.from(msg)] });
      }
      return;
    }
    if (p) {
      this.pending.delete(stream);
      this.emit({ stream, time: p.time, line: Buffer.concat([...p.parts, msg, NL]) }, p.ns);
    } else {
      const { time, ns } = parseCriTime(rec.subarray(0, s1).toString());
      this.emit({ stream, time, line: Buffer.concat([msg, NL]) }, ns);
    }
  }

  /** Emits partial lines still waiting for their end (the process exited mid-line). */
  flush(): void {
    const all = [...this.pending.values()].sort((a, b) => (a.ns < b.ns ? -1 : 1));
    this.pending.clear();
    for (const p of all) this.emit({ stream: p.stream, time: p.time, line: Buffer.concat(p.parts) }, p.ns);
  }
}

const NL = Buffer.from('\n');

const readP = promisify(read);
const closeFd = promisify(close);

async function readAt(fd: number, buf: Buffer, position: number): Promise<number> {
  return (await readP(fd, buf, 0, buf.length, position)).bytesRead;
}

/** Yields the log's lines (across its rotated files) per the options; with follow, waits for more until `signal` aborts or `exited` settles. */
export async function* readLogs(path: string, opts: ReadLogsOptions, signal?: AbortSignal): AsyncGenerator<LogLine> {
  const wantOut = opts.stdout ?? true;
  const wantErr = opts.stderr ?? true;
  const sinceNs = opts.since !== undefined && opts.since > 0n ? opts.since : undefined;
  const untilNs = opts.until !== undefined && opts.until > 0n ? opts.until : undefined;
  const tail = opts.tail !== undefined && opts.tail >= 0 ? opts.tail : undefined;
  let out: LogLine[] = [];
  let pastUntil = false;
  const parser = new CriParser((l, ns) => {
    if (l.stream === 'stdout' ? !wantOut : !wantErr) return;
    if (sinceNs !== undefined && ns < sinceNs) return;
    // As dockerd: a line stamped at until itself is still shown.
    if (untilNs !== undefined && ns > untilNs) {
      pastUntil = true;
      return;
    }
    out.push(l);
    // Only the last lines matter to a tail: keep memory bounded over a long history.
    if (tail !== undefined && out.length > 2 * tail + 1024) out = out.slice(out.length - tail);
  });

  const source = opts.source ?? new LogFiles(path);
  const opened = source.open(opts.from);
  const older = opened.files;
  const offsets = new Map<OpenLogFile, number>();
  if (older[0]) offsets.set(older[0], opened.offset);
  // The newest file is followed (the one conmon writes); the gen of the last file read, else.
  let cur: OpenLogFile | undefined = older.length > 0 && !older[older.length - 1]!.gz ? older.pop() : undefined;
  let lastGen = older.length > 0 ? older[older.length - 1]!.gen : -1;
  let curOffset = cur ? (offsets.get(cur) ?? 0) : 0;
  /** The file after cur, held from before its cut (see LogSource.successor). */
  let succ: OpenLogFile | undefined;
  const chunk = Buffer.alloc(256 * 1024);
  /** Reads f from offset to its end; returns the offset after its last whole record. */
  const drain = async (f: OpenLogFile, offset: number): Promise<number> => {
    let rest: Buffer = Buffer.alloc(0);
    for (;;) {
      const bytesRead = await readAt(f.fd, chunk, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
      rest = parser.feed(rest.length > 0 ? Buffer.concat([rest, chunk.subarray(0, bytesRead)]) : Buffer.from(chunk.subarray(0, bytesRead)));
    }
    // conmon writes whole records: a partial one is being written now; read it again next time.
    return offset - rest.length;
  };
  const readGz = async (f: OpenLogFile): Promise<void> => {
    let rest: Buffer = Buffer.alloc(0);
    for await (const b of createReadStream('', { fd: f.fd, start: 0, autoClose: false }).pipe(createGunzip())) {
      rest = parser.feed(rest.length > 0 ? Buffer.concat([rest, b as Buffer]) : (b as Buffer));
    }
  };
  /**
   * Reads what the followed file has; once conmon has cut it (NAME is another file now), reads
   * it to its end, then the files after it in order.
   */
  const readAvailable = async (): Promise<void> => {
    for (;;) {
      if (!cur) {
        const f = source.next(lastGen);
        if (!f) return;
        if (f.gz) {
          try {
            await readGz(f);
          } finally {
            await closeFd(f.fd);
          }
          lastGen = f.gen;
          continue;
        }
        cur = f;
        curOffset = 0;
      }
      curOffset = await drain(cur, curOffset);
      const ino = await stat(path).then((s) => s.ino, (err: unknown) => {
        if (isErrno(err, 'ENOENT')) return undefined;
        throw err;
      });
      if (ino === cur.ino) {
        if (opts.follow && !succ) succ = source.successor?.(cur);
        return;
      }
      // conmon closed the file before it made the next one: what it has now is all it gets.
      curOffset = await drain(cur, curOffset);
      const f = succ ?? source.next(cur.gen);
      succ = undefined;
      if (!f) return;
      await closeFd(cur.fd);
      lastGen = cur.gen;
      cur = undefined;
      if (f.gz) {
        try {
          await readGz(f);
        } finally {
          await closeFd(f.fd);
        }
        lastGen = f.gen;
      } else {
        cur = f;
        curOffset = 0;
      }
    }
  };

  try {
    while (older.length > 0) {
      const f = older.shift()!;
      try {
        if (f.gz) await readGz(f);
        else await drain(f, offsets.get(f) ?? 0);
      } finally {
        await closeFd(f.fd);
      }
    }
    await readAvailable();
    if (!opts.follow) parser.flush();
    if (tail !== undefined && out.length > tail) out = out.slice(out.length - tail);
    for (const l of out) yield l;
    out = [];
    if (!opts.follow || pastUntil || signal?.aborted) return;

    let exited = false;
    let wake: (() => void) | undefined;
    const poke = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    void opts.exited?.then(() => { exited = true; poke(); }, () => { exited = true; poke(); });
    signal?.addEventListener('abort', poke, { once: true });
    const dir = path.slice(0, path.lastIndexOf('/')) || '/';
    const name = path.slice(path.lastIndexOf('/') + 1);
    const watcher = watch(dir, (_e, f) => {
      if (!f || f === name) poke();
    });
    watcher.on('error', poke);
    try {
      for (;;) {
        const woken = new Promise<void>((r) => { wake = r; });
        await readAvailable();
        for (const l of out) yield l;
        out = [];
        if (pastUntil || signal?.aborted) return;
        if (exited) {
          await readAvailable();
          parser.flush();
          for (const l of out) yield l;
          return;
        }
        await woken;
      }
    } finally {
      watcher.close();
    }
  } finally {
    for (const f of [...older, cur, succ]) if (f) await closeFd(f.fd).catch(() => {});
  }
}

/** Where the log ends now (where a new run's output will start). */
export async function logPosition(path: string): Promise<LogPosition> {
  try {
    const s = await stat(path);
    return { ino: s.ino, offset: s.size };
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { ino: 0, offset: 0 };
    throw err;
  }
}
