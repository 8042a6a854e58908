/**
 * A container's log files kept as dockerd's json-file and local drivers keep theirs: the current
 * file NAME, then NAME.1 (the newest rotated) ... NAME.<max-file - 1>, each NAME.k.gz once
 * compressed; max-size bounds every file, max-file counts the current one.
 *
 * Who cuts, and why: conmon writes the file (containers outlive the engine), so conmon alone cuts
 * it, at max-size (--log-size-max): before a record would pass the size it makes NAME.tmp and
 * renames it over NAME, dropping the old file. The engine cannot rename the file away and ask
 * conmon to reopen it instead: conmon's count is not reset by a reopen through its control fifo,
 * so its own cut would still come at its count, racing the engine's and dropping files. Rather,
 * the engine links every file conmon writes a second time (NAME.kept-SEQ, SEQ in the order they
 * were made), so that conmon's cut drops nothing: it makes NAME.tmp itself beforehand, so the
 * file conmon cuts to is already kept, and links at once whatever file it finds at NAME or
 * NAME.tmp that it does not hold yet. The files cut since then join the rotation (NAME.1, the
 * others shifted up, beyond max-file dropped).
 *
 * All of it is a handful of system calls on one directory, done synchronously in the directory
 * watch's callback: the rotation never lags behind conmon (a lag would keep cut files beyond
 * max-file), and readers, which list and open the files synchronously too, never see one half
 * done. Only the compression of a rotated file runs beside, its last rename synchronous again.
 * conmon's cut holds whether or not the engine keeps up, so a container writing fast never passes
 * its limits on disk; while the engine is down, at most the two files it linked last outlive
 * their cut (they join the rotation when it is back).
 */
import { closeSync, fstatSync, linkSync, openSync, readdirSync, renameSync, statSync, unlinkSync, watch, writeSync, constants, type FSWatcher } from 'node:fs';
import { createReadStream, createWriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { isErrno } from '../../core/errors.js';
import type { LogPosition } from '../containers/ports.js';

export interface RotationPolicy {
  /** Bytes at which conmon cuts the file; -1: never. */
  maxSize: number;
  /** Files kept, the current one included (1: a cut drops the old file, as dockerd truncates). */
  maxFile: number;
  compress: boolean;
}

/** A file opened for reading (the reader closes fd): `gen` orders the files a log has had. */
export interface OpenLogFile {
  gen: number;
  /** Inode of the file conmon wrote (kept for a compressed one, so a position in it still names it). */
  ino: number;
  fd: number;
  gz: boolean;
}

/** What readers of a log need: its files now, and the one after a file they finished. */
export interface LogSource {
  /** The files oldest first, opened; with `from`, only from that file on (the first at that offset). */
  open(from?: LogPosition): { files: OpenLogFile[]; offset: number };
  /** The oldest file newer than `gen`, opened; undefined while `gen` is the current one. */
  next(gen: number): OpenLogFile | undefined;
  /**
   * The file conmon is to write once it cuts `current` (made beforehand), opened, so a reader
   * following the log holds it however fast the rotation drops files; undefined when unknown.
   */
  successor?(current: OpenLogFile): OpenLogFile | undefined;
}

interface Entry { name: string; ino: number; gz: boolean }

function inoOf(p: string): number | undefined {
  try {
    return statSync(p).ino;
  } catch {
    return undefined;
  }
}

function removeIfThere(p: string): void {
  try {
    unlinkSync(p);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}

function openIfThere(p: string): number | undefined {
  try {
    return openSync(p, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** The engine's second links in a directory listing, [seq, name] by seq. */
function keptNames(names: string[], base: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (const n of names) {
    const m = n.startsWith(`${base}.kept-`) ? /^\d+$/.exec(n.slice(base.length + '.kept-'.length)) : null;
    if (m) out.push([Number(m[0]), n]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** Rotated files in a directory listing: index → name (a plain NAME.k wins over a NAME.k.gz beside it). */
function rotatedNames(names: string[], base: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const n of names) {
    const m = n.startsWith(`${base}.`) ? /^(\d+)(\.gz)?$/.exec(n.slice(base.length + 1)) : null;
    if (!m || Number(m[1]) < 1 || (m[2] !== undefined && out.has(Number(m[1])))) continue;
    out.set(Number(m[1]), n);
  }
  return out;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

/**
 * The log's files on disk, oldest first: NAME.k[.gz] from the highest k, then the engine's
 * second links of files conmon has cut since the engine last looked (by SEQ), then NAME. The
 * file waiting as NAME.tmp is one conmon has not used yet.
 */
export function listLogFiles(path: string): Entry[] {
  const dir = dirname(path);
  const base = basename(path);
  const names = listDir(dir);
  const out: Entry[] = [];
  const seen = new Set<number>();
  const add = (name: string, gz: boolean): void => {
    const ino = inoOf(join(dir, name));
    if (ino === undefined || seen.has(ino)) return;
    seen.add(ino);
    out.push({ name, ino, gz });
  };
  for (const [, n] of [...rotatedNames(names, base)].sort((a, b) => b[0] - a[0])) add(n, n.endsWith('.gz'));
  const cur = inoOf(path);
  const tmp = inoOf(`${path}.tmp`);
  if (cur !== undefined) seen.add(cur);
  if (tmp !== undefined) seen.add(tmp);
  for (const [, n] of keptNames(names, base)) add(n, false);
  if (cur !== undefined) out.push({ name: base, ino: cur, gz: false });
  return out;
}

/** Asks the conmon of bundleDir to reopen its log (a cut of its own); false when none reads its fifo. */
function askReopen(bundleDir: string): boolean {
  let fd: number;
  try {
    // Non-blocking: a fifo nobody reads (conmon gone) must not hang the engine.
    fd = openSync(join(bundleDir, 'ctl'), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    writeSync(fd, '2 0 0\n');
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * One container's log. Unmanaged (no policy), it only reads what is on disk; managed, it also
 * keeps the rotation while the container runs (see the top of this file).
 */
export class LogFiles implements LogSource {
  private readonly dir: string;
  private readonly base: string;
  /** Gen (and the inode conmon wrote it as) of each file on disk. */
  private readonly gens = new Map<number, { gen: number; ino: number }>();
  private chain: Array<Entry & { gen: number; origIno: number }> = [];
  /** Gens of files found already there, before any the engine linked (whose gen is their SEQ). */
  private nextGen = -1e9;
  /** The engine's second links: inode → NAME.kept-SEQ. */
  private readonly held = new Map<number, { name: string; seq: number }>();
  private seq = 0;
  private watcher: FSWatcher | undefined;
  private bundleDir: string | undefined;
  /** The file started non-empty (an earlier run's output): cut it at max-size, as conmon counts from 0. */
  private cutDue = false;
  private firstIno = 0;
  /** Between prepare and stop: the rotation is kept (after, readers only read). */
  private managed = false;
  private stopping: Promise<void> | undefined;
  private compressions: Promise<void> = Promise.resolve();
  /** One compression worker at a time (a writer flat out cuts a thousand times a second). */
  private compressing = false;
  /** A look at the disk is due once the watch's current batch of events is delivered. */
  private lookDue = false;

  constructor(
    readonly path: string,
    private readonly policy?: RotationPolicy,
    private readonly log: (msg: string) => void = () => {},
  ) {
    this.dir = dirname(path);
    this.base = basename(path);
  }

  private get rotating(): boolean {
    return this.policy !== undefined && this.policy.maxSize > 0 && this.policy.maxFile > 1;
  }

  private p(suffix: string): string {
    return `${this.path}${suffix}`;
  }

  /**
   * Before conmon opens the file: the current file exists (so conmon appends to the inode the
   * engine links), files a crash left join the rotation, the next file waits, and the directory
   * is watched for conmon's cuts. `adopted`: conmon runs already (an engine started again).
   */
  prepare(adopted = false): void {
    if (this.stopping) return;
    const fd = openSync(this.path, 'a', 0o600);
    const { size, ino } = fstatSync(fd);
    closeSync(fd);
    // Adopted, conmon's count is its own: it cuts in time.
    this.cutDue = !adopted && this.policy !== undefined && this.policy.maxSize > 0 && size > 0;
    this.firstIno = ino;
    this.managed = this.policy !== undefined;
    const names = listDir(this.dir);
    for (const n of names) if (n.startsWith(`${this.base}.`) && n.endsWith('.gz.part')) removeIfThere(join(this.dir, n));
    for (const [seq, n] of keptNames(names, this.base)) {
      const k = inoOf(join(this.dir, n));
      if (k !== undefined) this.keep(k, n, seq);
      this.seq = Math.max(this.seq, seq + 1);
    }
    this.update();
    if (!this.policy || this.policy.maxSize <= 0) return;
    try {
      this.watcher = watch(this.dir, (event, f) => {
        if (f !== null && f !== this.base && f !== `${this.base}.tmp`) return;
        // A cut is a rename; sizes matter only while the first file is due to be cut.
        if (event === 'rename' || this.cutDue) this.lookSoon();
      });
      this.watcher.on('error', () => {});
    } catch (err) {
      this.log(`log rotation of ${this.path} not watched: ${(err as Error).message}`);
    }
  }

  /** conmon runs the container now: its control fifo can cut an earlier run's file in time. */
  start(bundleDir: string): void {
    this.bundleDir = bundleDir;
    this.update();
  }

  /**
   * The container's conmon is gone (final) or the engine stops (conmon goes on writing): the
   * last cut joins the rotation; at the end the engine's spare links go, leaving NAME and its rotation.
   */
  stop(final: boolean): Promise<void> {
    this.stopping ??= (async () => {
      this.watcher?.close();
      this.watcher = undefined;
      this.update();
      this.managed = false;
      if (final && this.rotating) {
        try {
          // The current file and the unused next one are linked once more only for conmon's cuts.
          const cur = inoOf(this.path);
          const tmp = inoOf(this.p('.tmp'));
          if (tmp !== undefined && this.held.has(tmp)) removeIfThere(this.p('.tmp'));
          for (const [i, { name }] of this.held) {
            if (i !== cur && i !== tmp) continue;
            removeIfThere(join(this.dir, name));
            this.held.delete(i);
          }
          this.refresh();
        } catch (err) {
          this.log(`log rotation of ${this.path}: ${(err as Error).message}`);
        }
      }
      await this.compressions;
    })();
    return this.stopping;
  }

  /**
   * One look for all the events one read of the watch delivers (a cut makes three or four, and
   * the first look sees them all): setImmediate runs right after that batch, so this adds no lag
   * a timer would, which could let conmon cut more than twice before the engine holds its file.
   */
  private lookSoon(): void {
    if (this.lookDue) return;
    this.lookDue = true;
    setImmediate(() => {
      this.lookDue = false;
      if (this.watcher) this.update();
    });
  }

  private keep(ino: number, name: string, seq: number): void {
    this.held.set(ino, { name, seq });
    this.gens.set(ino, { gen: seq, ino });
  }

  /** Brings the rotation up to date with conmon's cuts, then the chain with the disk. */
  private update(): void {
    try {
      if (this.managed) this.rotate();
      this.refresh();
    } catch (err) {
      this.log(`log rotation of ${this.path}: ${(err as Error).message}`);
    }
  }

  private refresh(): void {
    const entries = listLogFiles(this.path);
    const chain: typeof this.chain = [];
    for (const e of entries) {
      let g = this.gens.get(e.ino);
      if (!g) {
        g = { gen: this.nextGen++, ino: e.ino };
        this.gens.set(e.ino, g);
      }
      chain.push({ ...e, gen: g.gen, origIno: g.ino });
    }
    const live = new Set(entries.map((e) => e.ino));
    for (const i of [...this.gens.keys()]) if (!live.has(i) && !this.held.has(i)) this.gens.delete(i);
    this.chain = chain;
  }

  private rotate(): void {
    const cur = inoOf(this.path);
    if (cur === undefined) return;
    if (this.cutDue) {
      if (cur !== this.firstIno) this.cutDue = false;
      // An earlier run's output and conmon's count from 0 would pass max-size: cut now.
      else if (this.bundleDir && statSync(this.path).size >= this.policy!.maxSize && askReopen(this.bundleDir)) this.cutDue = false;
    }
    if (!this.rotating) return;
    this.hold();
    const now = inoOf(this.path);
    const tmp = inoOf(this.p('.tmp'));
    // Files conmon has cut since the last look, oldest first.
    const done: string[] = [];
    for (const [, name] of keptNames(listDir(this.dir), this.base)) {
      let st;
      try {
        st = statSync(join(this.dir, name));
      } catch {
        continue;
      }
      if (st.ino === now || st.ino === tmp) continue;
      this.held.delete(st.ino);
      // conmon cuts before a record that would not fit: an empty file is no history.
      if (st.size === 0) removeIfThere(join(this.dir, name));
      else done.push(name);
    }
    if (done.length > 0) this.shiftIn(done);
  }

  /**
   * Links the files at NAME and NAME.tmp the engine does not hold yet (NAME first: it is the
   * older), and makes NAME.tmp when conmon has taken it.
   */
  private hold(): void {
    for (const n of [this.base, `${this.base}.tmp`]) {
      const i = inoOf(join(this.dir, n));
      if (i === undefined || this.held.has(i)) continue;
      const seq = this.seq++;
      const kept = `${this.base}.kept-${seq}`;
      try {
        linkSync(join(this.dir, n), join(this.dir, kept));
      } catch {
        continue; // renamed meanwhile: the next look finds it where it went
      }
      const got = inoOf(join(this.dir, kept));
      if (got === undefined || this.held.has(got)) removeIfThere(join(this.dir, kept));
      else this.keep(got, kept, seq);
    }
    if (inoOf(this.p('.tmp')) !== undefined) return;
    const seq = this.seq++;
    const kept = `${this.base}.kept-${seq}`;
    closeSync(openSync(join(this.dir, kept), 'wx', 0o600));
    try {
      linkSync(join(this.dir, kept), this.p('.tmp'));
      this.keep(statSync(join(this.dir, kept)).ino, kept, seq);
    } catch {
      // conmon is making its own right now: the next look links it
      removeIfThere(join(this.dir, kept));
    }
  }

  /** names (oldest first) become NAME.1... (the newest NAME.1), the older ones move up; beyond max-file they go. */
  private shiftIn(names: string[]): void {
    const slots = this.policy!.maxFile - 1;
    const n = names.length;
    const rotated = [...rotatedNames(listDir(this.dir), this.base)].sort((a, b) => b[0] - a[0]);
    for (const [k] of rotated) {
      for (const ext of ['', '.gz']) {
        const from = this.p(`.${k}${ext}`);
        if (inoOf(from) === undefined) continue;
        if (k + n > slots) removeIfThere(from);
        else renameSync(from, this.p(`.${k + n}${ext}`));
      }
    }
    for (const [i, name] of names.entries()) {
      const index = n - i;
      if (index <= slots) renameSync(join(this.dir, name), this.p(`.${index}`));
      else removeIfThere(join(this.dir, name));
    }
    if (this.policy!.compress) this.compressLater();
  }

  /**
   * gzips the plain rotated files, one at a time, beside the rotation (readers read the plain one
   * meanwhile). A single worker: it looks at the disk again after each file, so a call while it
   * runs has nothing to add (a promise per cut would queue without bound behind a fast writer).
   */
  private compressLater(): void {
    if (this.compressing) return;
    this.compressing = true;
    this.compressions = (async () => {
      // Files that could not be compressed, while they are still there.
      let failed = new Set<number>();
      try {
        for (;;) {
          this.refresh();
          // The newest first: behind a fast writer the oldest may be gone before it is done.
          const todo = this.chain.findLast((e) => !e.gz && /\.\d+$/.test(e.name) && !failed.has(e.ino));
          if (!todo) return;
          try {
            if (!(await this.compress(todo))) failed.add(todo.ino);
          } catch (err) {
            failed.add(todo.ino);
            this.log(`log compression of ${join(this.dir, todo.name)}: ${(err as Error).message}`);
          }
          const live = new Set(this.chain.map((e) => e.ino));
          failed = new Set([...failed].filter((i) => live.has(i)));
        }
      } finally {
        this.compressing = false;
      }
    })();
  }

  /** true once compressed; false when the file went or changed meanwhile. */
  private async compress(e: Entry & { gen: number; origIno: number }): Promise<boolean> {
    const part = this.p(`.${e.ino}.gz.part`);
    const fd = openIfThere(join(this.dir, e.name));
    if (fd === undefined) return false;
    if (fstatSync(fd).ino !== e.ino) {
      closeSync(fd);
      return false;
    }
    // The file stays open to the end: its inode cannot be another file's meanwhile.
    try {
      try {
        await pipeline(createReadStream('', { fd, start: 0, autoClose: false }), createGzip(), createWriteStream(part, { mode: 0o600 }));
      } catch (err) {
        removeIfThere(part);
        throw err;
      }
      // Shifted meanwhile, or gone beyond max-file: found again by its inode.
      const now = [...rotatedNames(listDir(this.dir), this.base).values()].find((n) => !n.endsWith('.gz') && inoOf(join(this.dir, n)) === e.ino);
      if (!now) {
        removeIfThere(part);
        return false;
      }
      renameSync(part, join(this.dir, `${now}.gz`));
      const gz = inoOf(join(this.dir, `${now}.gz`));
      if (gz !== undefined) this.gens.set(gz, { gen: e.gen, ino: e.origIno });
      removeIfThere(join(this.dir, now));
      this.refresh();
      return true;
    } finally {
      closeSync(fd);
    }
  }

  /** Opens an entry of the chain, checking it is still the file the chain names. */
  private openEntry(e: (typeof this.chain)[number]): OpenLogFile | undefined {
    const names = [e.name];
    // Cut by conmon since the last look: the engine's second link still holds it.
    const kept = this.held.get(e.ino);
    if (kept && kept.name !== e.name) names.push(kept.name);
    for (const n of names) {
      const fd = openIfThere(join(this.dir, n));
      if (fd === undefined) continue;
      if (fstatSync(fd).ino === e.ino) return { gen: e.gen, ino: e.origIno, fd, gz: e.gz };
      closeSync(fd);
    }
    return undefined;
  }

  open(from?: LogPosition): { files: OpenLogFile[]; offset: number } {
    this.update();
    let chain = this.chain;
    let offset = 0;
    if (from) {
      const i = chain.findIndex((e) => e.origIno === from.ino);
      // A position in a file since dropped: the current file from its start.
      chain = i >= 0 ? chain.slice(i) : chain.slice(-1);
      if (i >= 0 && !chain[0]!.gz) offset = from.offset;
    }
    const files: OpenLogFile[] = [];
    for (const e of chain) {
      const f = this.openEntry(e);
      if (f) files.push(f);
    }
    return { files, offset };
  }

  next(gen: number): OpenLogFile | undefined {
    this.update();
    for (const e of this.chain) {
      if (e.gen <= gen) continue;
      const f = this.openEntry(e);
      if (f) return f;
    }
    return undefined;
  }

  successor(current: OpenLogFile): OpenLogFile | undefined {
    if (!this.managed || !this.rotating || inoOf(this.path) !== current.ino) return undefined;
    const fd = openIfThere(this.p('.tmp'));
    if (fd === undefined) return undefined;
    const h = this.held.get(fstatSync(fd).ino);
    if (!h) {
      closeSync(fd);
      return undefined;
    }
    return { gen: h.seq, ino: fstatSync(fd).ino, fd, gz: false };
  }
}
