/**
 * The CRI log format conmon writes (`TIME STREAM P|F MESSAGE`, one line each, P = partial): a
 * reader with docker's `logs` options. Partial records are joined into the line they belong to.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { watch } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { isErrno } from '../../core/errors.js';
import { rotatedFiles, withLogLock } from './log-rotate.js';
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
  /** Nanoseconds since the epoch: only lines before (0: all). */
  until?: bigint;
  /** Only the last N lines (of those matching the filters, before following). */
  tail?: number;
  stdout?: boolean;
  stderr?: boolean;
  /** Start at this position (a file and an offset in it) rather than at the oldest line kept. */
  from?: LogPosition;
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

interface Source { fh: FileHandle; gz: boolean; ino: number; offset: number }

async function openSource(path: string, gz: boolean): Promise<Source | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  return { fh, gz, ino: (await fh.stat()).ino, offset: 0 };
}

/**
 * The log's files, oldest first, opened together under the rotation lock (a rotation renames
 * none of them mid-way); with `from`, only from that position on (a file compressed since is
 * skipped: the current file is read from its start then).
 */
async function openSources(path: string, from?: LogPosition): Promise<Source[]> {
  const all = await withLogLock(path, async () => {
    const out: Source[] = [];
    for (const f of await rotatedFiles(path)) {
      const s = await openSource(f.path, f.gz);
      if (s) out.push(s);
    }
    const cur = await openSource(path, false);
    if (cur) out.push(cur);
    return out;
  });
  if (!from) return all;
  const i = all.findIndex((s) => !s.gz && s.ino === from.ino);
  const keep = i >= 0 ? all.slice(i) : all.slice(-1);
  if (i >= 0) keep[0]!.offset = from.offset;
  for (const s of all) if (!keep.includes(s)) await s.fh.close();
  return keep;
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
    if (untilNs !== undefined && ns >= untilNs) {
      pastUntil = true;
      return;
    }
    out.push(l);
    // Only the last lines matter to a tail: keep memory bounded over a long history.
    if (tail !== undefined && out.length > 2 * tail + 1024) out = out.slice(out.length - tail);
  });

  const sources = await openSources(path, opts.from);
  // The newest file is followed: the current one, or the one conmon may still write until it reopens.
  let cur: Source | undefined = sources.length > 0 && !sources[sources.length - 1]!.gz ? sources.pop() : undefined;
  const chunk = Buffer.alloc(256 * 1024);
  const drain = async (s: Source): Promise<void> => {
    let rest: Buffer = Buffer.alloc(0);
    for (;;) {
      const { bytesRead } = await s.fh.read(chunk, 0, chunk.length, s.offset);
      if (bytesRead === 0) break;
      s.offset += bytesRead;
      rest = parser.feed(rest.length > 0 ? Buffer.concat([rest, chunk.subarray(0, bytesRead)]) : Buffer.from(chunk.subarray(0, bytesRead)));
    }
    // conmon writes whole records: a partial one is being written now; read it again next time.
    s.offset -= rest.length;
  };
  const readGz = async (s: Source): Promise<void> => {
    let rest: Buffer = Buffer.alloc(0);
    for await (const b of s.fh.createReadStream({ start: 0, autoClose: false }).pipe(createGunzip())) {
      rest = parser.feed(rest.length > 0 ? Buffer.concat([rest, b as Buffer]) : (b as Buffer));
    }
  };
  /** Reads what the current file has; when conmon has moved to a new file, the old one to its end first. */
  const readAvailable = async (): Promise<void> => {
    for (;;) {
      if (!cur) {
        cur = await openSource(path, false);
        if (!cur) return;
      }
      await drain(cur);
      const ino = await stat(path).then((s) => s.ino, (err: unknown) => {
        if (isErrno(err, 'ENOENT')) return undefined;
        throw err;
      });
      // Renamed away and not reopened yet: conmon still writes the old one.
      if (ino === undefined || ino === cur.ino) return;
      await drain(cur);
      await cur.fh.close();
      cur = undefined;
    }
  };

  try {
    for (const s of sources) {
      try {
        if (s.gz) await readGz(s);
        else await drain(s);
      } finally {
        await s.fh.close();
      }
    }
    sources.length = 0;
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
    for (const s of sources) await s.fh.close().catch(() => {});
    await cur?.fh.close().catch(() => {});
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
