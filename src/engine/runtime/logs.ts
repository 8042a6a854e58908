/**
 * The CRI log format conmon writes (`TIME STREAM P|F MESSAGE`, one line each, P = partial): a
 * reader with docker's `logs` options. Partial records are joined into the line they belong to.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { watch } from 'node:fs';
import { isErrno } from '../../core/errors.js';

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
  /** Nanoseconds since the epoch: only lines before (0: all). */
  until?: bigint;
  /** Only the last N lines (of those matching the filters, before following). */
  tail?: number;
  stdout?: boolean;
  stderr?: boolean;
  /** Start at this byte offset. */
  fromOffset?: number;
  /** With follow: ends once this settles and the file is drained (the container exited). */
  exited?: Promise<unknown>;
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

/** Yields the log's lines per the options; with follow, waits for more until `signal` aborts or `exited` settles. */
export async function* readLogs(path: string, opts: ReadLogsOptions, signal?: AbortSignal): AsyncGenerator<LogLine> {
  const wantOut = opts.stdout ?? true;
  const wantErr = opts.stderr ?? true;
  const sinceNs = opts.since !== undefined && opts.since > 0n ? opts.since : undefined;
  const untilNs = opts.until !== undefined && opts.until > 0n ? opts.until : undefined;
  let out: LogLine[] = [];
  let pastUntil = false;
  const parser = new CriParser((l, ns) => {
    if (l.stream === 'stdout' ? !wantOut : !wantErr) return;
    if (sinceNs !== undefined && ns < sinceNs) return;
    if (untilNs !== undefined && ns >= untilNs) {
      pastUntil = true;
      return;
    }
    out.push(l);
  });

  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    if (!opts.follow) return;
  }
  let offset = opts.fromOffset ?? 0;
  let rest: Buffer = Buffer.alloc(0);
  const chunk = Buffer.alloc(256 * 1024);
  const readAvailable = async (): Promise<void> => {
    if (!fh) {
      try {
        fh = await open(path, 'r');
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return;
        throw err;
      }
    }
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
      rest = parser.feed(rest.length > 0 ? Buffer.concat([rest, chunk.subarray(0, bytesRead)]) : Buffer.from(chunk.subarray(0, bytesRead)));
    }
  };

  try {
    await readAvailable();
    if (!opts.follow) parser.flush();
    if (opts.tail !== undefined && opts.tail >= 0 && out.length > opts.tail) out = out.slice(out.length - opts.tail);
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
    await fh?.close();
  }
}

/** Size of the log now (where a new run's output will start). */
export async function logSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0;
    throw err;
  }
}
