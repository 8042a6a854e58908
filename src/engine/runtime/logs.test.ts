import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, rmSync, writeFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readLogs, parseCriTime, type ReadLogsOptions } from './logs.js';
import { ExitWatcher, readExitCode } from './exit-watcher.js';
import { tempDir } from './testing.js';

const LOG = [
  '2026-11-23T08:58:49.100000000+00:00 stdout F one',
  '2026-11-23T08:58:50.000000001+00:00 stdout P par',
  '2026-11-23T08:58:50.200000000+00:00 stderr F err1',
  '2026-11-23T08:58:50.300000000+00:00 stdout P ti',
  '2026-11-23T08:58:50.400000000+00:00 stdout F al',
  '2026-11-23T08:58:51.5+00:00 stdout F ',
  '2026-11-23T08:58:52.000000000+00:00 stdout P tail-without-end',
].join('\n') + '\n';

async function read(path: string, o: ReadLogsOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const l of readLogs(path, o)) out.push(`${l.stream[3]}|${l.time.slice(17)}|${l.line.toString()}`);
  return out;
}

test('CRI parsing: partial lines joined, streams, ns timestamps, tail, since/until, offsets', async () => {
  const dir = tempDir();
  try {
    const p = join(dir, 'ctr.log');
    writeFileSync(p, LOG);
    assert.deepEqual(await read(p, {}), [
      'o|49.100000000Z|one\n', 'e|50.200000000Z|err1\n', 'o|50.000000001Z|partial\n', 'o|51.500000000Z|\n', 'o|52.000000000Z|tail-without-end',
    ]);
    assert.deepEqual(await read(p, { stdout: false }), ['e|50.200000000Z|err1\n']);
    assert.deepEqual(await read(p, { tail: 2, stderr: false }), ['o|51.500000000Z|\n', 'o|52.000000000Z|tail-without-end']);
    assert.deepEqual(await read(p, { tail: 0 }), []);
    const t = (s: string): bigint => BigInt(Date.parse(s)) * 1_000_000n;
    assert.deepEqual(await read(p, { since: t('2026-11-23T08:58:50Z'), until: t('2026-11-23T08:58:51Z') }), ['e|50.200000000Z|err1\n', 'o|50.000000001Z|partial\n']);
    assert.deepEqual(await read(p, { from: { ino: statSync(p).ino, offset: LOG.indexOf('2026-11-23T08:58:51.5') } }), ['o|51.500000000Z|\n', 'o|52.000000000Z|tail-without-end']);
    assert.deepEqual(await read(join(dir, 'missing.log'), {}), []);
    assert.deepEqual(parseCriTime('2026-11-23T09:58:49.838806567+01:00'), { time: '2026-11-23T08:58:49.838806567Z', ns: 1795424329838806567n });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('follow: appended lines arrive; ends when told to, or on exit once drained', async () => {
  const dir = tempDir();
  try {
    const p = join(dir, 'ctr.log');
    writeFileSync(p, '2026-11-23T08:58:49.1+00:00 stdout F a\n');
    let exit!: () => void;
    const exited = new Promise<void>((r) => { exit = r; });
    const got: string[] = [];
    const done = (async () => {
      for await (const l of readLogs(p, { follow: true, exited })) {
        got.push(l.line.toString());
        if (got.length === 1) appendFileSync(p, '2026-11-23T08:58:49.2+00:00 stdout P b');
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(p, 'c\n2026-11-23T08:58:49.3+00:00 stdout F d\n');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(got, ['a\n', 'bcd\n']);
    appendFileSync(p, '2026-11-23T08:58:49.4+00:00 stderr F e\n');
    exit();
    await done;
    assert.deepEqual(got, ['a\n', 'bcd\n', 'e\n']);

    const ac = new AbortController();
    const lines: string[] = [];
    const it = (async () => {
      for await (const l of readLogs(p, { follow: true, tail: 1 }, ac.signal)) lines.push(l.line.toString());
    })();
    await new Promise((r) => setTimeout(r, 30));
    ac.abort();
    await it;
    assert.deepEqual(lines, ['e\n']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exit watcher: file written before or after wait, by rename, many waiters, abort', async () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'early'), '3');
    const w = new ExitWatcher(dir);
    assert.equal(await w.wait('early'), 3);
    const a = w.wait('late');
    const b = w.wait('late');
    writeFileSync(join(dir, '.tmp'), '137');
    renameSync(join(dir, '.tmp'), join(dir, 'late'));
    assert.deepEqual(await Promise.all([a, b]), [137, 137]);
    const ac = new AbortController();
    const c = w.wait('never', ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(c, /stop/);
    assert.equal(await readExitCode(dir, 'none'), undefined);
    w.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
