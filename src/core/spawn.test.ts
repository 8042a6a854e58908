import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, openSync, closeSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { execProcess, spawnProcess } from './spawn.js';

const skip = !existsSync('/bin/sh') && 'needs /bin/sh';

function text(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => { out += d; });
    s.on('close', () => resolve(out));
  });
}

test('stdio pipes both ways, exit code, cwd and the given environment only', { skip }, async () => {
  const c = spawnProcess('sh', ['-c', 'read x; echo "got $x in $(pwd) as $A/${HOME-unset}"; echo err >&2; exit 3'], {
    stdio: ['pipe', 'pipe', 'pipe'], cwd: '/tmp', env: { A: 'b', PATH: '/usr/bin:/bin' },
  });
  const out = text(c.stdio[1]!);
  const err = text(c.stdio[2]!);
  c.stdio[0]!.end('hello\n');
  assert.deepEqual(await c.exited, { code: 3, signal: null });
  assert.equal(await out, 'got hello in /tmp as b/unset\n');
  assert.equal(await err, 'err\n');
});

test('a signal that ends the child is reported by name; kill after the exit does nothing', { skip }, async () => {
  const c = spawnProcess('sh', ['-c', 'sleep 30'], { stdio: ['ignore', 'ignore', 'ignore'] });
  c.kill('SIGKILL');
  assert.deepEqual(await c.exited, { code: null, signal: 'SIGKILL' });
  c.kill('SIGKILL');
});

test('the child holds only its stdio, with no signal ignored or blocked, in a session of its own when detached', { skip }, async () => {
  // Descriptors the parent has open without close-on-exec must not leak either.
  const leaky = openSync('/dev/null', 'r');
  try {
    const c = spawnProcess('sh', ['-c', 'ls /proc/self/fd | wc -l; grep -E "^Sig(Ign|Blk)" /proc/self/status; ps -o sid= -p $$ 2>/dev/null || cat /proc/self/stat | cut -d" " -f6; echo $$'], {
      stdio: ['ignore', 'pipe', 'ignore', 'ignore'], detached: true,
    });
    const out = (await text(c.stdio[1]!)).trim().split('\n');
    await c.exited;
    // fds 0-3 and the one ls opens for /proc/self/fd
    assert.equal(out[0]!.trim(), '5');
    assert.equal(out[1], 'SigBlk:\t0000000000000000');
    assert.equal(out[2], 'SigIgn:\t0000000000000000');
    assert.equal(out[3]!.trim(), out[4]!.trim(), 'the child leads its own session');
  } finally {
    closeSync(leaky);
  }
});

test('a file that cannot be executed throws at once with its errno', async () => {
  assert.throws(() => spawnProcess('/nonexistent/minke-x', [], { stdio: ['ignore', 'pipe'] }), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
  const dir = mkdtempSync('/tmp/minke-test-');
  try {
    writeFileSync(join(dir, 'plain'), 'not a program', { mode: 0o644 });
    writeFileSync(join(dir, 'garbage'), 'not a program', { mode: 0o755 });
    assert.throws(() => spawnProcess(join(dir, 'plain'), [], { stdio: [] }), (err: NodeJS.ErrnoException) => err.code === 'EACCES');
    assert.throws(() => spawnProcess(join(dir, 'garbage'), [], { stdio: [] }), (err: NodeJS.ErrnoException) => err.code === 'ENOEXEC');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('execProcess: input, both outputs and the exit status; a timeout ends the process', { skip }, async () => {
  const r = await execProcess('sh', ['-c', 'cat; echo e >&2; exit 4'], { input: '{"a":1}' });
  assert.deepEqual(r, { code: 4, signal: null, stdout: '{"a":1}', stderr: 'e\n' });
  const slow = await execProcess('sh', ['-c', 'exec sleep 30'], { timeoutMs: 100 });
  assert.equal(slow.signal, 'SIGTERM');
});
