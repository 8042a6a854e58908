import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LogFiles } from './log-files.js';
import { readLogs } from './logs.js';
import { tempDir } from './testing.js';

const SLOWDOWN = Number(process.env.MINKE_TEST_SLOWDOWN ?? 3);

async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms * SLOWDOWN;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Writes as conmon does: CRI records, cut at maxSize by a new NAME.tmp renamed over NAME. */
class FakeConmon {
  private fd: number;
  private written = 0;
  cuts = 0;

  constructor(readonly path: string, private readonly maxSize: number) {
    this.fd = openSync(path, 'a', 0o600);
  }

  line(n: number): void {
    const rec = Buffer.from(`2026-12-07T03:00:00.${String(n).padStart(9, '0')}+00:00 stdout F line ${n} ${'a'.repeat(60)}\n`);
    if (this.written + rec.length > this.maxSize) this.cut();
    writeSync(this.fd, rec);
    this.written += rec.length;
  }

  cut(): void {
    this.written = 0;
    closeSync(this.fd);
    this.fd = openSync(`${this.path}.tmp`, 'w', 0o600);
    renameSync(`${this.path}.tmp`, this.path);
    this.cuts++;
  }

  close(): void {
    closeSync(this.fd);
  }
}

async function numbers(path: string, source?: LogFiles): Promise<number[]> {
  const out: number[] = [];
  for await (const l of readLogs(path, { source })) out.push(Number(l.line.toString().split(' ')[1]));
  return out;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** The engine had its look after the last cut: the next file waits at NAME.tmp. */
const caughtUp = (path: string) => (): boolean => existsSync(`${path}.tmp`) && statSync(`${path}.tmp`).size === 0 && readdirSync(join(path, '..')).filter((f) => f.includes('.kept-')).length === 2;

/** 100-byte lines through a fake conmon cutting at 1000, each cut waiting for the engine's look. */
async function writeKeepingUp(path: string, lines: number): Promise<FakeConmon> {
  const w = new FakeConmon(path, 1000);
  for (let n = 0; n < lines; n++) {
    const cuts = w.cuts;
    w.line(n);
    if (w.cuts > cuts) await waitFor(caughtUp(path), `the rotation after cut ${w.cuts}`);
  }
  return w;
}

test('rotation: conmon cuts at max-size, the engine keeps max-file files as NAME, NAME.1...; nothing else stays', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'container.log');
    const files = new LogFiles(path, { maxSize: 1000, maxFile: 3, compress: false });
    files.prepare();
    files.start(dir);
    const w = await writeKeepingUp(path, 100);
    w.close();
    await files.stop(true);
    assert.deepEqual(readdirSync(dir).sort(), ['container.log', 'container.log.1', 'container.log.2']);
    for (const f of readdirSync(dir)) assert.ok(statSync(join(dir, f)).size <= 1000, `${f} within max-size`);
    const kept = await numbers(path);
    assert.equal(kept.at(-1), 99);
    assert.deepEqual(kept, range(kept[0]!, 100), 'the newest lines, in order');
    assert.ok(kept.length > 2 * 8, 'two full rotated files (8 records each) and the current one');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rotation with compress: the rotated files become NAME.k.gz, read back in order', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'container.log');
    const files = new LogFiles(path, { maxSize: 1000, maxFile: 3, compress: true });
    files.prepare();
    files.start(dir);
    const w = await writeKeepingUp(path, 100);
    await waitFor(() => existsSync(`${path}.1.gz`) && existsSync(`${path}.2.gz`) && !existsSync(`${path}.1`), 'both rotated files compressed');
    const kept = await numbers(path, files);
    assert.equal(kept.at(-1), 99);
    assert.deepEqual(kept, range(kept[0]!, 100));
    w.close();
    await files.stop(true);
    assert.deepEqual(readdirSync(dir).sort(), ['container.log', 'container.log.1.gz', 'container.log.2.gz']);
    assert.deepEqual(await numbers(path), kept, 'read from disk alone, the same');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a follower gets every line once across cuts, even two cuts before the engine looks (max-file 2)', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'container.log');
    const files = new LogFiles(path, { maxSize: 1000, maxFile: 2, compress: false });
    files.prepare();
    files.start(dir);
    const w = new FakeConmon(path, 1000);
    let exit!: () => void;
    const exited = new Promise<void>((r) => { exit = r; });
    const got: number[] = [];
    const following = (async () => {
      for await (const l of readLogs(path, { follow: true, exited, source: files })) got.push(Number(l.line.toString().split(' ')[1]));
    })();
    let n = 0;
    let doubleCuts = 0;
    for (let round = 0; round < 8; round++) {
      // Lines for one or two cuts (8 records fill a file), written with no pause: conmon faster
      // than the engine, which sees the second cut only after it.
      const cuts = w.cuts;
      for (const end = n + 12; n < end; n++) w.line(n);
      if (w.cuts - cuts === 2) doubleCuts++;
      const upTo = n;
      await waitFor(() => got.length >= upTo, `the follower at line ${upTo} (has ${got.length})`);
    }
    w.close();
    exit();
    await following;
    assert.deepEqual(got, range(0, n));
    assert.ok(doubleCuts > 0, 'some rounds cut twice');
    await files.stop(true);
    const kept = await numbers(path);
    assert.equal(kept.at(-1), n - 1);
    assert.deepEqual(kept, range(kept[0]!, n));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('files a stopped engine left (cut, still linked) join the rotation in order at the next start', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'container.log');
    const rec = (n: number): string => `2026-12-07T03:00:0${n}.000000000+00:00 stdout F line ${n}\n`;
    writeFileSync(`${path}.1`, rec(0));
    writeFileSync(`${path}.kept-7`, rec(1));
    writeFileSync(`${path}.kept-9`, rec(2));
    writeFileSync(`${path}.kept-11`, '');
    writeFileSync(path, rec(3));
    assert.deepEqual(await numbers(path), [0, 1, 2, 3], 'read as they are');
    const files = new LogFiles(path, { maxSize: 1000, maxFile: 3, compress: false });
    files.prepare();
    await files.stop(true);
    assert.deepEqual(readdirSync(dir).sort(), ['container.log', 'container.log.1', 'container.log.2']);
    assert.deepEqual(await numbers(path), [1, 2, 3], 'the oldest beyond max-file gone');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
