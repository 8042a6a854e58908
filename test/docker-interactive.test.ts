// The real docker CLI against minke: terminals, exec, attach, logs -f, stats, cp, commit.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEngine, underPty, waitFor } from './harness.js';

describe('docker CLI: terminals, exec, attach, logs, stats, cp, commit', { concurrency: false }, () => {
  const e = new TestEngine();
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

  it('runs -it under a real terminal', async () => {
    const r = await underPty(e.env, 'docker run -it --rm busybox sh', [[300, 'echo $((6*7)); tty\n', '/ # '], [300, 'exit 5\n', '/ # ']]);
    assert.match(r.out, /42/);
    assert.match(r.out, /\/dev\/pts\/0/);
    assert.equal(r.code, 5);
  });

  it('pipes stdin with -i', async () => {
    const r = await e.docker(['run', '-i', '--rm', 'busybox', 'sh', '-c', 'tr a-z A-Z'], { input: 'hello stdin\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'HELLO STDIN\n');
  });

  it('execs with output and exit code, and -it under a terminal', async () => {
    await e.ok(['run', '-d', '--name', 'ex', 'busybox', 'sleep', '1000']);
    const r = await e.docker(['exec', 'ex', 'sh', '-c', 'echo in-container; exit 7']);
    assert.equal(r.code, 7);
    assert.equal(r.stdout, 'in-container\n');
    const env = await e.ok(['exec', '-e', 'X=y', '-w', '/tmp', '-u', 'nobody', 'ex', 'sh', '-c', 'echo $X $(pwd) $(id -u)']);
    assert.equal(env, 'y /tmp 65534\n');
    const piped = await e.docker(['exec', '-i', 'ex', 'cat'], { input: 'through exec\n' });
    assert.equal(piped.stdout, 'through exec\n');
    const t = await underPty(e.env, 'docker exec -it ex sh', [[300, 'echo tty=$(tty)\n', '/ # '], [300, 'exit\n', '/ # ']]);
    assert.match(t.out, /tty=\/dev\/pts\/\d/);
    // Newest moby's codes: 127 for a command not found (20.10's defer wrote 126 over it), 126 for
    // one that cannot be invoked.
    const missing = await e.docker(['exec', 'ex', 'nosuchcmd']);
    assert.equal(missing.code, 127);
    // dockerd writes the start's error into the hijacked stream, on stdout.
    assert.match(missing.stdout, /executable file not found/);
    const notExecutable = await e.docker(['exec', 'ex', '/etc']);
    assert.equal(notExecutable.code, 126);
    await e.ok(['rm', '-f', 'ex']);
  });

  it('follows logs and attaches', async () => {
    await e.ok(['run', '-d', '--name', 'lg', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.3; done; echo err >&2']);
    const f = await e.docker(['logs', '-f', 'lg']);
    assert.equal(f.stdout, 'line1\nline2\nline3\n');
    assert.equal(f.stderr, 'err\n');
    // --tail counts lines of both streams, as docker's does.
    const tail = await e.docker(['logs', '--tail', '2', 'lg']);
    assert.equal(tail.stdout, 'line3\n');
    assert.equal(tail.stderr, 'err\n');
    const ts = await e.ok(['logs', '-t', 'lg']);
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line1$/m);
    // --since and --until at line2's time (the CLI sends unix seconds), and as a date.
    const at2 = /^(\S+) line2$/m.exec(ts)![1]!;
    const secs = (Date.parse(at2) / 1000).toFixed(3);
    assert.equal((await e.ok(['logs', '--since', secs, 'lg'])), 'line2\nline3\n');
    assert.equal((await e.ok(['logs', '--until', secs, 'lg'])), 'line1\n');
    assert.equal((await e.ok(['logs', '--since', at2, 'lg'])), 'line2\nline3\n');
    assert.equal((await e.ok(['logs', '--since', '1h', 'lg'])), 'line1\nline2\nline3\n');
    // a tail that is not a number of lines means all of them, as dockerd reads it
    assert.equal((await e.ok(['logs', '--tail', 'random', 'lg'])), 'line1\nline2\nline3\n');
    await e.ok(['rm', 'lg']);

    await e.ok(['run', '-d', '-it', '--name', 'at', 'busybox', 'sh']);
    const a = await underPty(e.env, 'docker attach at', [[800, 'echo attached-$((1+1))\n'], [300, '\x10\x11', '/ # ']]);
    assert.match(a.out, /attached-2/);
    assert.equal((await e.ok(['inspect', '-f', '{{.State.Running}}', 'at'])).trim(), 'true', 'detach keys leave it running');
    await e.ok(['rm', '-f', 'at']);
  });

  it('reports stats from cgroups', async () => {
    await e.ok(['run', '-d', '--name', 'st', '--memory', '64m', 'busybox', 'sleep', '1000']);
    const out = await e.ok(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}', 'st']);
    assert.match(out, /^st [\d.]+[KMG]?i?B \/ 64MiB 1$/m);
    const top = await e.ok(['top', 'st']);
    assert.match(top, /sleep 1000/);
    await e.ok(['update', '--memory', '128m', '--memory-swap', '256m', 'st']);
    assert.match(await e.ok(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'st']), /\/ 128MiB/);
    await e.ok(['rm', '-f', 'st']);
  });

  it('copies files both ways, diffs, exports and commits', async () => {
    const dir = mkdtempSync('/tmp/minke-cp-');
    try {
      writeFileSync(join(dir, 'in.txt'), 'from host\n');
      await e.ok(['run', '-d', '--name', 'cp', 'busybox', 'sh', '-c', 'echo made > /made.txt; sleep 1000']);
      await waitFor(async () => (await e.docker(['exec', 'cp', 'test', '-f', '/made.txt'])).code === 0);
      await e.ok(['cp', join(dir, 'in.txt'), 'cp:/tmp/in.txt']);
      assert.equal(await e.ok(['exec', 'cp', 'cat', '/tmp/in.txt']), 'from host\n');
      await e.ok(['cp', 'cp:/made.txt', join(dir, 'out.txt')]);
      assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'made\n');
      const diff = await e.ok(['diff', 'cp']);
      assert.match(diff, /^A \/made.txt$/m);
      assert.match(diff, /^C \/tmp$/m);
      await e.ok(['commit', '-c', 'CMD ["cat", "/made.txt"]', 'cp', 'committed:1']);
      assert.equal(await e.ok(['run', '--rm', 'committed:1']), 'made\n');
      await e.ok(['export', '-o', join(dir, 'fs.tar'), 'cp']);
      await e.ok(['import', join(dir, 'fs.tar'), 'exported:1']);
      assert.equal(await e.ok(['run', '--rm', 'exported:1', 'cat', '/tmp/in.txt']), 'from host\n');
      await e.ok(['rm', '-f', 'cp']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
