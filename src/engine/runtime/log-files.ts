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
 * the engine links every file conmon writes a second time (NAME.kept-SEQ, in the order they were
 * made), so that conmon's cut drops nothing: it makes NAME.tmp itself beforehand, so the file
 * conmon cuts to is already kept, and links at once whatever file it finds at NAME or NAME.tmp
 * that it does not hold yet (done in the directory watch's callback, synchronously: the shorter
 * the time from a cut to the next NAME.tmp, the faster a writer the rotation keeps up with).
 * Then, beside, the files cut since join the rotation (NAME.1, the others shifted up, beyond
 * max-file dropped). conmon's cut holds whether or not the engine keeps up, so a container
 * writing fast never passes its limits on disk; while the engine is down, at most the two files
 * it linked last outlive their cut (they join the rotation when it is back).
 */
import { linkSync, closeSync, openSync, statSync, unlinkSync, watch, type FSWatcher } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { constants } from 'node:fs';
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

/** One of the log's files as it is on disk now, oldest first in a listing. */
export interface LogFileEntry {
  name: string;
  /** The file's inode now (a compressed file is a new one). */
  ino: number;
  gz: boolean;
}

/** A file opened for reading: `gen` orders the files a log has had (higher is newer). */
export interface OpenLogFile {
  gen: number;
  /** Inode of the file conmon wrote (kept for a compressed one, so a position in it still names it). */
  ino: number;
  fh: FileHandle;
  gz: boolean;
}

/** What readers of a log need: its files now, and the one after a file they finished. */
export interface LogSource {
  /** The files oldest first, opened; with `from`, only from that file on (the first at that offset). */
  open(from?: LogPosition): Promise<{ files: OpenLogFile[]; offset: number }>;
  /** The oldest file newer than `gen`, opened; undefined while `gen` is the current one. */
  next(gen: number): Promise<OpenLogFile | undefined>;
  /**
   * The file conmon is to write once it cuts `current` (made beforehand), opened, so a reader
   * following the log holds it however fast the rotation drops files; undefined when unknown.
   */
  successor?(current: OpenLogFile): Promise<OpenLogFile | undefined>;
}

async function inoOf(p: string): Promise<number | undefined> {
  try {
    return (await stat(p)).ino;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

async function removeIfThere(p: string): Promise<void> {
  await unlink(p).catch((err: unknown) => {
    if (!isErrno(err, 'ENOENT')) throw err;
  });
}

async function openIfThere(p: string): Promise<FileHandle | undefined> {
  try {
    return await open(p, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/**
 * The log's files on disk, oldest first: NAME.k[.gz] from the highest k, then the engine's
 * second links of files conmon has cut since the engine last looked (NAME.kept-SEQ by SEQ), then
 * NAME. A plain NAME.k wins over a NAME.k.gz beside it (a compression that did not finish its
 * clean-up); the file still waiting as NAME.tmp is one conmon has not used.
 */
export async function listLogFiles(path: string): Promise<LogFileEntry[]> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  const rotated = new Map<number, string>();
  for (const n of names) {
    const m = n.startsWith(`${base}.`) ? /^(\d+)(\.gz)?$/.exec(n.slice(base.length + 1)) : null;
    if (!m) continue;
    const index = Number(m[1]);
    if (index < 1 || (m[2] !== undefined && rotated.has(index))) continue;
    rotated.set(index, n);
  }
  const out: LogFileEntry[] = [];
  const seen = new Set<number>();
  const add = async (name: string, gz: boolean): Promise<void> => {
    const ino = await inoOf(join(dir, name));
    if (ino === undefined || seen.has(ino)) return;
    seen.add(ino);
    out.push({ name, ino, gz });
  };
  for (const [, n] of [...rotated].sort((a, b) => b[0] - a[0])) await add(n, n.endsWith('.gz'));
  const cur = await inoOf(path);
  const tmp = await inoOf(`${path}.tmp`);
  if (cur !== undefined) seen.add(cur);
  if (tmp !== undefined) seen.add(tmp);
  for (const [, n] of keptNames(names, base)) await add(n, false);
  if (cur !== undefined) out.push({ name: base, ino: cur, gz: false });
  return out;
}

/** The engine's second links in a directory listing, [seq, name] by seq. */
function keptNames(names: string[], base: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (const n of names) {
    const m = n.startsWith(`${base}.kept-`) ? /^\d+$/.exec(n.slice(base.length + 6)) : null;
    if (m) out.push([Number(m[0]), n]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

function inoSync(p: string): number | undefined {
  try {
    return statSync(p).ino;
  } catch {
    return undefined;
  }
}

/** Asks the conmon of bundleDir to reopen its log (a cut of its own); false when none reads its fifo. */
async function askReopen(bundleDir: string): Promise<boolean> {
  let fh: FileHandle;
  try {
    // Non-blocking: a fifo nobody reads (conmon gone) must not hang the engine.
    fh = await open(join(bundleDir, 'ctl'), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    await fh.write('2 0 0\n');
    return true;
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}

/**
 * One container's log. Unmanaged (no policy), it only reads what is on disk; managed, it also
 * keeps the rotation while the container runs (see the top of this file). Every change of names
 * and every opening by readers goes through one queue, so a reader never sees a rotation half
 * done; only conmon's cuts happen beside it, and those never move a kept file.
 */
export class LogFiles implements LogSource {
  private readonly dir: string;
  private readonly base: string;
  /** The files in order: gen of each inode on disk, and the inode conmon wrote it as. */
  private readonly gens = new Map<number, { gen: number; ino: number }>();
  private chain: Array<LogFileEntry & { gen: number; origIno: number }> = [];
  /** Gens of files found already there (before any the engine linked, whose gen is their SEQ). */
  private nextGen = -1e9;
  private queue: Promise<unknown> = Promise.resolve();
  private syncQueued = false;
  private watcher: FSWatcher | undefined;
  private bundleDir: string | undefined;
  /** The file started non-empty (an earlier run's output): cut it at max-size, conmon counts from 0. */
  private cutDue = false;
  private firstIno = 0;
  /** Between prepare and stop: the rotation is kept (after, readers only read). */
  private managed = false;
  private compressions: Promise<void> = Promise.resolve();
  private readonly compressing = new Set<number>();
  private stopped = false;
  /** The engine's second links: inode → NAME.kept-SEQ (SEQ is the file's gen). */
  private readonly held = new Map<number, { name: string; seq: number }>();
  private seq = 0;
  private stopping: Promise<void> | undefined;

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

  private run<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.queue.then(fn);
    this.queue = r.catch(() => {});
    return r;
  }

  /**
   * Before conmon opens the file: the current file exists (so conmon appends to the inode the
   * engine links), files a crash left are folded into the rotation, the next file waits, and the
   * directory is watched for conmon's cuts.
   */
  async prepare(adopted = false): Promise<void> {
    await this.run(async () => {
      if (this.stopped) return;
      const fh = await open(this.path, 'a', 0o600);
      const { size, ino } = await fh.stat();
      await fh.close();
      // Adopted at boot, conmon's count is its own: it cuts in time.
      this.cutDue = !adopted && this.policy !== undefined && this.policy.maxSize > 0 && size > 0;
      this.firstIno = ino;
      this.managed = this.policy !== undefined;
      const names = await readdir(this.dir);
      for (const n of names) if (n.startsWith(`${this.base}.`) && n.endsWith('.gz.part')) await removeIfThere(join(this.dir, n));
      for (const [seq, n] of keptNames(names, this.base)) {
        const k = await inoOf(join(this.dir, n));
        if (k !== undefined) this.keep(k, n, seq);
        this.seq = Math.max(this.seq, seq + 1);
      }
      if (this.rotating) this.hold();
      await this.syncNow();
    });
    if (!this.policy || this.policy.maxSize <= 0 || this.stopped) return;
    try {
      this.watcher = watch(this.dir, (event, f) => {
        if (f !== null && f !== this.base && f !== `${this.base}.tmp`) return;
        // A cut is a rename; sizes matter only while the first file is due to be cut.
        if (event !== 'rename' && !this.cutDue) return;
        if (this.rotating && !this.stopped) this.hold();
        this.poke();
      });
      this.watcher.on('error', () => {});
    } catch (err) {
      this.log(`log rotation of ${this.path} not watched: ${(err as Error).message}`);
    }
  }

  /** conmon runs the container now: its control fifo can cut an earlier run's file in time. */
  start(bundleDir: string): void {
    this.bundleDir = bundleDir;
    this.poke();
  }

  /**
   * Links the files at NAME and NAME.tmp that the engine does not hold yet (NAME first: it is the
   * older), and makes NAME.tmp when conmon has taken it. Synchronous, so that it runs as soon as
   * the watch reports a cut, before conmon can cut again.
   */
  private hold(): void {
    try {
      for (const n of [this.base, `${this.base}.tmp`]) {
        const ino = inoSync(join(this.dir, n));
        if (ino === undefined || this.held.has(ino)) continue;
        const kept = `${this.base}.kept-${this.seq++}`;
        try {
          linkSync(join(this.dir, n), join(this.dir, kept));
        } catch {
          continue; // renamed meanwhile: the next look finds it where it went
        }
        const got = inoSync(join(this.dir, kept));
        if (got === undefined || this.held.has(got)) unlinkSync(join(this.dir, kept));
        else this.keep(got, kept, this.seq - 1);
      }
      if (inoSync(this.p('.tmp')) === undefined) {
        const seq = this.seq++;
        const kept = `${this.base}.kept-${seq}`;
        closeSync(openSync(join(this.dir, kept), 'wx', 0o600));
        try {
          linkSync(join(this.dir, kept), this.p('.tmp'));
          this.keep(statSync(join(this.dir, kept)).ino, kept, seq);
        } catch {
          // conmon is making its own right now: the next look links it
          unlinkSync(join(this.dir, kept));
        }
      }
    } catch (err) {
      this.log(`log rotation of ${this.path}: ${(err as Error).message}`);
    }
  }

  private keep(ino: number, name: string, seq: number): void {
    this.held.set(ino, { name, seq });
    this.gens.set(ino, { gen: seq, ino });
  }

  private poke(): void {
    if (this.syncQueued || this.stopped) return;
    this.syncQueued = true;
    void this.run(async () => {
      this.syncQueued = false;
      await this.syncNow();
    }).catch((err: unknown) => this.log(`log rotation of ${this.path}: ${(err as Error).message}`));
  }

  /**
   * The container's conmon is gone (final) or the engine stops (conmon goes on writing): the
   * last cut is folded in; at the end the engine's spare links go, leaving NAME and its rotation.
   */
  stop(final: boolean): Promise<void> {
    this.stopping ??= this.stopNow(final);
    return this.stopping;
  }

  private async stopNow(final: boolean): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = undefined;
    await this.run(async () => {
      await this.syncNow();
      this.managed = false;
      if (!final || !this.rotating) return;
      // The current file and the unused next one are linked once more only for conmon's cuts.
      const cur = await inoOf(this.path);
      const tmp = await inoOf(this.p('.tmp'));
      if (tmp !== undefined && this.held.has(tmp)) await removeIfThere(this.p('.tmp'));
      for (const [ino, { name }] of this.held) {
        if (ino !== cur && ino !== tmp) continue;
        await removeIfThere(join(this.dir, name));
        this.held.delete(ino);
      }
    }).catch((err: unknown) => this.log(`log rotation of ${this.path}: ${(err as Error).message}`));
    await this.compressions;
  }

  /** Brings the rotation up to date with conmon's cuts, then the chain with the disk. */
  private async syncNow(): Promise<void> {
    if (this.managed) await this.rotate();
    const entries = await listLogFiles(this.path);
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
    for (const ino of [...this.gens.keys()]) if (!live.has(ino) && !this.held.has(ino)) this.gens.delete(ino);
    this.chain = chain;
  }

  private async rotate(): Promise<void> {
    const pol = this.policy!;
    const cur = await inoOf(this.path);
    if (cur === undefined) return;
    if (this.cutDue) {
      if (cur !== this.firstIno) this.cutDue = false;
      else if (this.bundleDir && (await stat(this.path)).size >= pol.maxSize) {
        // An earlier run's output plus conmon's count from 0 would pass max-size: cut now.
        if (await askReopen(this.bundleDir)) this.cutDue = false;
      }
    }
    if (!this.rotating) return;
    this.hold();
    const now = await inoOf(this.path);
    const tmp = await inoOf(this.p('.tmp'));
    // Files conmon has cut since the last look, oldest first.
    const done: string[] = [];
    for (const [, name] of keptNames(await readdir(this.dir), this.base)) {
      const st = await stat(join(this.dir, name)).catch(() => undefined);
      if (!st || st.ino === now || st.ino === tmp) continue;
      this.held.delete(st.ino);
      // conmon cuts before a record that would not fit: an empty file is no history.
      if (st.size === 0) await removeIfThere(join(this.dir, name));
      else done.push(name);
    }
    if (done.length > 0) await this.shiftIn(done);
  }

  /** names (oldest first) become NAME.1... (the newest NAME.1), the older ones move up; beyond max-file they go. */
  private async shiftIn(names: string[]): Promise<void> {
    const pol = this.policy!;
    const slots = pol.maxFile - 1;
    const n = names.length;
    const present = (await readdir(this.dir)).filter((f) => f.startsWith(`${this.base}.`));
    let highest = 0;
    for (const f of present) {
      const m = /^(\d+)(\.gz)?$/.exec(f.slice(this.base.length + 1));
      if (m) highest = Math.max(highest, Number(m[1]));
    }
    for (let k = highest; k >= 1; k--) {
      for (const ext of ['', '.gz']) {
        const from = this.p(`.${k}${ext}`);
        if (!present.includes(basename(from))) continue;
        if (k + n > slots) await removeIfThere(from);
        else await rename(from, this.p(`.${k + n}${ext}`));
      }
    }
    for (const [i, name] of names.entries()) {
      const index = n - i;
      if (index <= slots) await rename(join(this.dir, name), this.p(`.${index}`));
      else await removeIfThere(join(this.dir, name));
    }
    if (pol.compress) this.compressLater();
  }

  /** gzips the plain rotated files, one at a time, beside the rotation (readers read the plain one meanwhile). */
  private compressLater(): void {
    this.compressions = this.compressions.then(async () => {
      for (;;) {
        const todo = await this.run(async () => {
          await this.syncNow();
          return this.chain.find((e) => !e.gz && e.name !== this.base && /\.\d+$/.test(e.name) && !this.compressing.has(e.ino));
        });
        if (!todo) return;
        this.compressing.add(todo.ino);
        try {
          await this.compress(todo);
        } catch (err) {
          this.log(`log compression of ${join(this.dir, todo.name)}: ${(err as Error).message}`);
          return;
        } finally {
          this.compressing.delete(todo.ino);
        }
      }
    });
  }

  private async compress(e: LogFileEntry): Promise<void> {
    const part = this.p(`.${e.ino}.gz.part`);
    const src = await this.run(() => openIfThere(join(this.dir, e.name)));
    if (!src) return;
    try {
      if ((await src.stat()).ino !== e.ino) return;
      await pipeline(src.createReadStream({ autoClose: false, start: 0 }), createGzip(), createWriteStream(part, { mode: 0o600 }));
    } catch (err) {
      await removeIfThere(part);
      throw err;
    } finally {
      await src.close();
    }
    await this.run(async () => {
      // Shifted meanwhile, or gone beyond max-file: find it again by its inode.
      await this.syncNow();
      const now = this.chain.find((c) => c.ino === e.ino);
      if (!now || now.gz || now.name === this.base) {
        await removeIfThere(part);
        return;
      }
      const gzName = `${now.name}.gz`;
      await rename(part, join(this.dir, gzName));
      const gzIno = await inoOf(join(this.dir, gzName));
      if (gzIno !== undefined) this.gens.set(gzIno, this.gens.get(e.ino) ?? { gen: now.gen, ino: now.origIno });
      await removeIfThere(join(this.dir, now.name));
      await this.syncNow();
    });
  }

  /** Opens an entry of the chain, checking it is still the file the chain names. */
  private async openEntry(e: (typeof this.chain)[number]): Promise<OpenLogFile | undefined> {
    const names = [e.name];
    // Cut by conmon since this look: the engine's second link still holds it.
    const kept = this.held.get(e.ino);
    if (e.name === this.base && kept) names.push(kept.name);
    for (const n of names) {
      const fh = await openIfThere(join(this.dir, n));
      if (!fh) continue;
      if ((await fh.stat()).ino === e.ino) return { gen: e.gen, ino: e.origIno, fh, gz: e.gz };
      await fh.close();
    }
    return undefined;
  }

  open(from?: LogPosition): Promise<{ files: OpenLogFile[]; offset: number }> {
    return this.run(async () => {
      await this.syncNow();
      let chain = this.chain;
      let offset = 0;
      if (from) {
        const i = chain.findIndex((e) => e.origIno === from.ino);
        // A position in a file since compressed or dropped: the current file from its start.
        chain = i >= 0 ? chain.slice(i) : chain.slice(-1);
        if (i >= 0 && !chain[0]!.gz) offset = from.offset;
      }
      const files: OpenLogFile[] = [];
      for (const e of chain) {
        const f = await this.openEntry(e);
        if (f) files.push(f);
      }
      return { files, offset };
    });
  }

  async successor(current: OpenLogFile): Promise<OpenLogFile | undefined> {
    if (!this.managed || !this.rotating || inoSync(this.path) !== current.ino) return undefined;
    const fh = await openIfThere(this.p('.tmp'));
    if (!fh) return undefined;
    const { ino } = await fh.stat();
    const h = this.held.get(ino);
    // Still current: NAME.tmp is the file of its cut (else the reader asks next()).
    if (!h || inoSync(this.path) !== current.ino) {
      await fh.close();
      return undefined;
    }
    return { gen: h.seq, ino, fh, gz: false };
  }

  next(gen: number): Promise<OpenLogFile | undefined> {
    return this.run(async () => {
      await this.syncNow();
      for (const e of this.chain) {
        if (e.gen <= gen) continue;
        const f = await this.openEntry(e);
        if (f) return f;
      }
      return undefined;
    });
  }
}
