// minke's own CLI against the real docker CLI (v28), both driving the same minke engine: each
// scenario runs the same command with both and compares exit code, stdout and stderr, after
// normalising what legitimately differs (the program's name, container IDs, clocks).
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { busyboxTar, minkeCmd, TestEngine, underPty, waitFor, type RunResult } from './harness.js';

type Who = 'docker' | 'minke';
type Args = string[] | ((who: Who) => string[]);
type Norm = (s: string) => string;

interface CompareOptions {
  input?: string | Buffer;
  /** extra normalisation applied to both outputs */
  norm?: Norm;
  timeout?: number;
}

const e = new TestEngine();

/** Runs one CLI against the engine. */
function cli(who: Who, args: string[], opts: { input?: string | Buffer; timeout?: number } = {}): Promise<RunResult> {
  const [cmd, argv] = who === 'docker' ? ['docker', args] : [minkeCmd, args];
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { env: e.env, stdio: ['pipe', 'pipe', 'pipe'] });
    // whole buffers decoded once: binary output (save, cp -) compares the same however it was chunked
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${who} ${args.join(' ')} timed out\nstdout: ${Buffer.concat(out).toString()}\nstderr: ${Buffer.concat(err).toString()}`));
    }, opts.timeout ?? 30_000);
    p.on('error', reject);
    // a command may exit before reading all its input, as docker's does
    p.stdin.on('error', () => undefined);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString() });
    });
    p.stdin.end(opts.input);
  });
}

const durations = /\b(?:Less than a second|About a minute|About an hour|\d+ (?:second|minute|hour|day|week|month|year)s?)\b/g;

/** What differs between the two programs by right: their names, IDs of objects each made, clocks. */
function normalise(s: string, extra?: Norm): string {
  let out = s
    .replace(/Docker/g, 'Minke')
    .replace(/docker/g, 'minke')
    .replace(/\b[0-9a-f]{64}\b/g, '<id>')
    .replace(/\b[0-9a-f]{12}\b/g, '<short>')
    .replace(durations, '<dur>');
  // a table column holding a duration is as wide as the longest one, which the clock decides
  if (out.includes('<dur>')) out = out.replace(/ {3,}/g, '   ');
  if (extra) out = extra(out);
  return out;
}

/** Runs both, asserts they agree; returns both results. */
async function same(args: Args, opts: CompareOptions = {}): Promise<{ d: RunResult; m: RunResult }> {
  const argv = (who: Who): string[] => (typeof args === 'function' ? args(who) : args);
  const d = await cli('docker', argv('docker'), opts);
  const m = await cli('minke', argv('minke'), opts);
  const label = `minke ${argv('minke').join(' ')}`;
  const n = (s: string): string => normalise(s, opts.norm);
  assert.equal(n(m.stdout), n(d.stdout), `${label}: stdout`);
  assert.equal(n(m.stderr), n(d.stderr), `${label}: stderr`);
  assert.equal(m.code, d.code, `${label}: exit code (stderr: ${m.stderr})`);
  return { d, m };
}

const programs: Record<Who, string> = { docker: 'docker', minke: minkeCmd };

/** The same terminal session with both programs: output byte for byte and the exit code. */
async function samePty(args: (who: Who) => string, inputs: Array<[number, string, string?]>): Promise<{ d: { code: number; out: string }; m: { code: number; out: string } }> {
  const d = await underPty(e.env, `${programs.docker} ${args('docker')}`, inputs);
  const m = await underPty(e.env, `${programs.minke} ${args('minke')}`, inputs);
  assert.equal(normalise(m.out), normalise(d.out), `pty: minke ${args('minke')}`);
  assert.equal(m.code, d.code, `pty exit code: minke ${args('minke')}`);
  return { d, m };
}

async function ok(args: string[], opts: { input?: string } = {}): Promise<string> {
  return e.ok(args, opts);
}

async function removeContainers(...names: string[]): Promise<void> {
  await e.docker(['rm', '-f', ...names]);
}

const both = (name: string): string[] => [`docker-${name}`, `minke-${name}`];

/** The first of `count` consecutive TCP ports (from 20000 up, below Linux's ephemeral range) nothing listens on. */
async function freePorts(count: number): Promise<number> {
  const free = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 120) * 100;
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await free(base + i);
    if (ok) return base;
  }
  throw new Error('no free ports');
}

describe('minke CLI matches the docker CLI against a minke engine', { concurrency: false, timeout: 600_000 }, () => {
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

  it('runs in the foreground: output, exit codes 0-127 and 125-127 failures', async () => {
    await same(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    await same(['run', '--rm', 'busybox', 'nosuchcommand']);
    await same(['run', '--rm', 'busybox', '/etc/passwd']);
    await same(['run', '--rm', '--pull', 'never', 'nosuchimage']);
    await same(['run', '--rm', '-u', 'nosuchuser', 'busybox', 'true']);
    await same(['run', '--rm', '-w', '/etc/passwd', 'busybox', 'true']);
    await same(['run', '--rm', '-e', 'A=1', '-w', '/tmp', '-u', 'nobody', '--hostname', 'box', 'busybox', 'sh', '-c', 'echo $A $(pwd) $(id -u) $(hostname)']);
    await same(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'a', 'b']);
    await same(['run', '--rm', 'busybox']);
    await same(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'tr a-z A-Z; echo done >&2'], { input: 'hello stdin\nsecond line\n' });
    await same(['run', '--rm', '-a', 'stderr', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal((await ok(['ps', '-aq'])).trim(), '', '--rm left nothing behind');
  });

  it('runs detached and names containers, refusing a name in use', async () => {
    const { d, m } = await same((who) => ['run', '-d', '--name', `${who}-det`, 'busybox', 'sleep', '1000']);
    assert.match(d.stdout, /^[0-9a-f]{64}\n$/);
    assert.match(m.stdout, /^[0-9a-f]{64}\n$/);
    await same((who) => ['inspect', '-f', '{{.Name}} {{.State.Status}} {{json .Config.Cmd}}', `${who}-det`]);
    await ok(['create', '--name', 'taken', 'busybox', 'true']);
    await same(['run', '--name', 'taken', 'busybox', 'true']);
    await same(['create', '--name', 'taken', 'busybox', 'true']);
    await same(['run', '-d', '--name', 'taken', 'busybox', 'true']);
    await removeContainers('taken', ...both('det'));
  });

  it('rejects bad options with docker wording and exit codes', async () => {
    const dir = mkdtempSync('/tmp/minke-cli-');
    try {
      writeFileSync(join(dir, 'cid'), 'x');
      const cases: string[][] = [
        ['run'],
        ['run', '--bogus', 'busybox'],
        ['run', '-m', '1x', 'busybox'],
        ['run', '-m', '10kk', 'busybox'],
        ['run', '--memory-swap', '1.2.3', 'busybox'],
        ['run', '--cpus', 'x', 'busybox'],
        ['run', '--stop-timeout', 'x', 'busybox'],
        ['run', '--sysctl', 'foo', 'busybox'],
        ['run', '-a', 'bogus', 'busybox'],
        ['run', '--ulimit', 'bad', 'busybox'],
        ['run', '--mount', 'foo=bar', 'busybox'],
        ['run', '--health-interval', 'x', 'busybox'],
        ['run', '-p', 'bad', 'busybox'],
        ['run', '--expose', 'x', 'busybox'],
        ['run', '--expose', '1:2', 'busybox'],
        ['run', '--env-file', '/nonexistent', 'busybox'],
        ['run', '-v', '/a:/b:/c:/d', 'busybox'],
        ['run', '--rm', '--restart', 'always', 'busybox'],
        ['run', '--restart', ':1', 'busybox'],
        ['run', '--pull', 'bogus', 'busybox'],
        ['run', '-d', '-a', 'stdout', 'busybox'],
        ['run', '-it', 'busybox'],
        ['run', 'BadName'],
        ['run', '--rm', '--memory', '1m', 'busybox', 'true'],
        ['run', '--rm', '-m', '10m', '--memory-swap', '5m', 'busybox', 'true'],
        ['run', '--cidfile', join(dir, 'cid'), 'busybox'],
        ['create', '--cidfile', join(dir, 'cid'), 'busybox'],
        ['create', '--pull', 'never', 'nosuchimage'],
        ['create', '-p', 'bad', 'busybox'],
        ['create', '--memory', '1m', 'busybox'],
        ['container', 'run', '-m', '1x', 'busybox'],
        ['container', 'run', '--pull', 'bogus', 'busybox'],
      ];
      for (const c of cases) await same(c);
      assert.equal((await ok(['ps', '-aq'])).trim(), '', 'no container was left by a rejected run');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs -it under a real terminal, and detaches from run -it', async () => {
    await samePty(() => 'run -it --rm busybox sh', [[300, 'echo $((6*7)); tty\n', '/ # '], [300, 'exit 5\n', '/ # ']]);
    await samePty((who) => `run -it --name ${who}-rd busybox sh`, [[300, 'echo x\n', '/ # '], [300, '\x10\x11', '/ # ']]);
    await same((who) => ['inspect', '-f', '{{.State.Running}}', `${who}-rd`]);
    await removeContainers(...both('rd'));
  });

  it('lists containers: ps -a, -q, --format, --filter, -n, -l, -s', async () => {
    await ok(['run', '-d', '--name', 'ps-up', '--label', 'k=v', 'busybox', 'sleep', '1000']);
    await e.docker(['run', '--name', 'ps-exited', 'busybox', 'sh', '-c', 'exit 2']);
    await ok(['create', '--name', 'ps-created', 'busybox', 'echo', 'a long command line for truncation']);
    try {
      const cases: string[][] = [
        ['ps'],
        ['ps', '-a'],
        ['ps', '-q'],
        ['ps', '-aq', '--no-trunc'],
        ['ps', '-a', '--no-trunc'],
        ['ps', '-a', '--format', '{{.Names}} {{.Image}} {{.Command}} {{.Status}} {{.State}} {{.Labels}} {{.Label "k"}}'],
        ['ps', '-a', '--format', 'json'],
        ['ps', '-a', '--format', '{{json .}}'],
        ['ps', '-a', '--format', 'table {{.Names}}\t{{.Status}}\t{{.Networks}}'],
        ['ps', '-a', '--format', 'table'],
        ['ps', '-a', '--filter', 'status=exited'],
        ['ps', '-a', '--filter', 'name=ps-', '--filter', 'status=running'],
        ['ps', '-a', '--filter', 'exited=2', '--format', '{{.Names}}'],
        ['ps', '-a', '--filter', 'label=k=v', '-q'],
        ['ps', '-a', '--filter', 'bogus=1'],
        ['ps', '-n', '2'],
        ['ps', '-l', '--format', '{{.Names}}'],
        ['ps', '-s'],
        ['ps', '--format', '{{.Nosuchfield}}'],
        ['ps', '--format', 'table {{.Names}}\t{{.Nosuchfield}}'],
        ['ps', '--format', '{{.Names'],
        ['ps', 'extra'],
        ['container', 'ls', '-a', '--format', '{{.Names}}'],
      ];
      for (const c of cases) await same(c);
    } finally {
      await removeContainers('ps-up', 'ps-exited', 'ps-created');
    }
  });

  it('reads logs: --tail, -t, -f, --since, --details', async () => {
    await ok(['run', '--name', 'lg', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line$i; done; echo err >&2']);
    try {
      for (const c of [['logs', 'lg'], ['logs', '--tail', '2', 'lg'], ['logs', '--tail', '0', 'lg'], ['logs', '-t', 'lg'], ['logs', '-n', '1', '-t', 'lg'], ['logs', '-f', 'lg'], ['logs', '--since', '0', 'lg'], ['logs', '--until', '1h', 'lg'], ['logs', '--since', '1h', 'lg'], ['logs', '--details', 'lg'], ['logs', 'nosuch'], ['logs']]) {
        await same(c);
      }
      // -f on a running container follows it to its end
      await same((who) => ['run', '-d', '--name', `${who}-lf`, 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo $i; sleep 0.2; done; echo bye >&2']);
      await same((who) => ['logs', '-f', `${who}-lf`]);
    } finally {
      await removeContainers('lg', ...both('lf'));
    }
  });

  it('executes in a container: output, exit codes, -e/-w/-u, -i, -d, -t under a terminal', async () => {
    await ok(['run', '-d', '--name', 'ex', 'busybox', 'sleep', '1000']);
    await ok(['create', '--name', 'ex-stopped', 'busybox', 'true']);
    try {
      const cases: string[][] = [
        ['exec', 'ex', 'sh', '-c', 'echo out; echo err >&2; exit 7'],
        ['exec', 'ex', 'nosuchcmd'],
        ['exec', 'ex', '/etc/passwd'],
        ['exec', '-e', 'X=y', '-w', '/tmp', '-u', 'nobody', 'ex', 'sh', '-c', 'echo $X $(pwd) $(id -u)'],
        ['exec', '-u', 'nosuchuser', 'ex', 'true'],
        ['exec', '-w', '/nonexistent', 'ex', 'true'],
        ['exec', '--env-file', '/nonexistent', 'ex', 'true'],
        ['exec', 'nosuch', 'true'],
        ['exec', 'ex-stopped', 'true'],
        ['exec', 'ex'],
        ['exec', '-it', 'ex', 'sh'],
        ['exec', '-d', 'ex', 'sleep', '1'],
      ];
      for (const c of cases) await same(c);
      await same(['exec', '-i', 'ex', 'sh', '-c', 'cat; echo eof'], { input: 'through exec\n' });
      await samePty(() => 'exec -it ex sh', [[300, 'echo tty=$(tty)\n', '/ # '], [300, 'exit 3\n', '/ # ']]);
      await samePty(() => 'exec -it ex sh', [[300, 'echo y\n', '/ # '], [300, '\x10\x11', '/ # ']]);
    } finally {
      await removeContainers('ex', 'ex-stopped');
    }
  });

  it('attaches and detaches with the default and custom detach keys', async () => {
    for (const n of both('at')) await ok(['run', '-d', '-it', '--name', n, 'busybox', 'sh']);
    try {
      await samePty((who) => `attach ${who}-at`, [[800, 'echo attached-$((1+1))\n'], [300, '\x10\x11', '/ # ']]);
      await samePty((who) => `attach --detach-keys ctrl-x,x ${who}-at`, [[800, 'echo b\n'], [300, '\x18x', '/ # ']]);
      await same((who) => ['inspect', '-f', '{{.State.Running}}', `${who}-at`]);
      await samePty((who) => `attach ${who}-at`, [[800, 'exit 4\n']]);
      await same((who) => ['attach', `${who}-at`]);
      await same(['attach', 'nosuch']);
    } finally {
      await removeContainers(...both('at'));
    }
  });

  it('stops, kills, restarts, pauses, unpauses, renames, waits and removes', async () => {
    for (const n of both('lc')) await ok(['run', '-d', '--name', n, 'busybox', 'sh', '-c', 'trap "exit 7" USR1; trap "exit 0" TERM; while :; do sleep 0.1; done']);
    try {
      await same((who) => ['pause', `${who}-lc`]);
      await same((who) => ['pause', `${who}-lc`]);
      await same((who) => ['ps', '--filter', `name=${who}-lc`, '--format', '{{.Names}} {{.Status}}']);
      await same((who) => ['unpause', `${who}-lc`]);
      await same((who) => ['unpause', `${who}-lc`]);
      await same((who) => ['rename', `${who}-lc`, `${who}-lc2`]);
      await same((who) => ['rename', `${who}-lc2`, `${who}-lc2`]);
      await same(['rename', 'nosuch', 'x']);
      await same((who) => ['kill', '-s', 'USR1', `${who}-lc2`]);
      await same((who) => ['wait', `${who}-lc2`]);
      await same((who) => ['kill', `${who}-lc2`]);
      await same((who) => ['kill', '-s', 'BOGUS', `${who}-lc2`]);
      await same((who) => ['restart', '-t', '1', `${who}-lc2`]);
      await same((who) => ['rm', `${who}-lc2`]);
      await same((who) => ['stop', '-t', '5', `${who}-lc2`, 'nosuch']);
      await same((who) => ['start', `${who}-lc2`]);
      await same((who) => ['stop', `${who}-lc2`]);
      await same((who) => ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', `${who}-lc2`]);
      await same(['start', 'nosuch']);
      await same(['stop']);
      await same((who) => ['rm', `${who}-lc2`, 'nosuch']);
      await same((who) => ['inspect', `${who}-lc2`]);
    } finally {
      await removeContainers(...both('lc'), ...both('lc2'));
    }
  });

  it('inspects with templates and reports missing objects as docker does', async () => {
    await ok(['create', '--name', 'insp', '-e', 'A=<b>&', '--label', 'x=y', 'busybox', 'sh', '-c', 'echo hi']);
    try {
      const cases: string[][] = [
        ['inspect', 'insp'],
        ['inspect', 'busybox'],
        ['inspect', '-f', '{{.Name}} {{.State.Status}} {{json .Config.Cmd}} {{.Config.Labels.x}}', 'insp'],
        ['inspect', '-f', '{{json .Config.Env}}', 'insp'],
        ['inspect', '-f', '{{index .Config.Cmd 0}} {{len .Config.Cmd}} {{upper .Name}} {{join .Config.Cmd ","}}', 'insp'],
        ['inspect', '-f', '{{range .Config.Env}}[{{.}}]{{end}}', 'insp'],
        ['inspect', '-f', '{{if .State.Running}}up{{else}}down{{end}}', 'insp'],
        ['inspect', '-f', '{{.Id}}', 'busybox', 'insp'],
        ['inspect', '-f', 'json', 'insp'],
        ['inspect', '-s', '-f', '{{.SizeRw}}', 'insp'],
        ['inspect', 'nosuch'],
        ['inspect', '-f', '{{.Id}}', 'nosuch'],
        ['inspect', '-f', '{{.Id}}', 'nosuch', 'insp'],
        ['inspect', '--type', 'image', 'insp'],
        ['inspect', '--type', 'container', 'busybox'],
        ['inspect', '--type', 'bogus', 'insp'],
        ['image', 'inspect', 'nosuch'],
        ['image', 'inspect', '-f', '{{.Id}}', 'nosuch'],
        ['image', 'inspect', '-f', '{{.Config.Cmd}}', 'busybox'],
        ['container', 'inspect', 'nosuch'],
        ['container', 'inspect', '-f', '{{.Config.Image}}', 'insp'],
        ['inspect', '-f', '{{.Nosuchfield}}', 'insp'],
        ['inspect', '-f', '{{.State.Nosuch}}', 'nosuch', 'insp'],
        ['inspect', '-f', '{{.Config.Labels.nokey}}', 'insp'],
        ['inspect', '-f', '{{.Name', 'insp'],
        ['inspect'],
      ];
      for (const c of cases) await same(c);
    } finally {
      await removeContainers('insp');
    }
  });

  it('shows processes, stats, filesystem changes; copies both ways', async () => {
    const dir = mkdtempSync('/tmp/minke-cli-');
    await ok(['run', '-d', '--name', 'fs', '--memory', '64m', 'busybox', 'sh', '-c', 'mkdir /d; echo made > /d/made.txt; sleep 1000']);
    try {
      await waitFor(async () => (await e.docker(['exec', 'fs', 'test', '-f', '/d/made.txt'])).code === 0);
      // ps's C column is CPU use, which moves between two runs
      const cpu: Norm = (s) => s.replace(/^(\S+\s+\d+\s+\d+\s+)\d+\s+/gm, '$1<c> ');
      await same(['top', 'fs'], { norm: cpu });
      await same(['top', 'fs', '-o', 'pid,comm,args']);
      await same(['top', 'nosuch']);
      const numbers: Norm = (s) => s.replace(/[\d.]+(?:%|[kKMGT]i?B|B)?/g, '<n>').replace(/ +/g, ' ');
      await same(['stats', '--no-stream', 'fs'], { norm: numbers });
      await same(['stats', '--no-stream', '--format', '{{.Name}} {{.ID}} {{.Container}} {{.PIDs}}', 'fs']);
      await same(['stats', '--no-stream', '--format', 'json'], { norm: numbers });
      await same(['stats', '--no-stream', 'nosuch']);
      await same(['diff', 'fs']);
      await same(['diff', 'nosuch']);

      writeFileSync(join(dir, 'in.txt'), 'from host\n');
      await same((who) => ['cp', join(dir, 'in.txt'), `fs:/tmp/${who}.txt`]);
      await same((who) => ['exec', 'fs', 'cat', `/tmp/${who}.txt`]);
      await same((who) => ['cp', 'fs:/d/made.txt', join(dir, `${who}-out.txt`)]);
      assert.equal(readFileSync(join(dir, 'minke-out.txt'), 'utf8'), 'made\n');
      await same((who) => ['cp', 'fs:/d', join(dir, `${who}-dir`)]);
      assert.equal(readFileSync(join(dir, 'minke-dir', 'made.txt'), 'utf8'), 'made\n');
      await same(['cp', 'fs:/d/made.txt', '-']);
      await same(['cp', 'fs:/nosuch', dir]);
      await same(['cp', join(dir, 'nosuch'), 'fs:/tmp/']);
      await same(['cp', join(dir, 'in.txt'), 'fs:/nodir/sub/'], { norm: (s) => s.replace(/^time=.*\n/gm, '') });
      await same(['cp', 'a', 'b']);
      await same(['cp', 'nosuch:/x', dir]);
    } finally {
      await removeContainers('fs');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exports, imports and commits', async () => {
    const dir = mkdtempSync('/tmp/minke-cli-');
    await ok(['run', '--name', 'src', 'busybox', 'sh', '-c', 'echo data > /data.txt']);
    try {
      await same((who) => ['export', '-o', join(dir, `${who}.tar`), 'src']);
      assert.deepEqual(readFileSync(join(dir, 'minke.tar')), readFileSync(join(dir, 'docker.tar')), 'the same archive');
      await same(['export', 'nosuch']);
      const { m } = await same((who) => ['import', '-m', 'imported', '--change', 'CMD ["cat", "/data.txt"]', join(dir, `${who}.tar`), `${who}-imp:1`]);
      assert.match(m.stdout, /^sha256:[0-9a-f]{64}\n$/);
      await same((who) => ['run', '--rm', `${who}-imp:1`]);
      await same((who) => ['import', '-', `${who}-stdin:1`], { input: readFileSync(join(dir, 'docker.tar')) });
      await same(['import', join(dir, 'nosuch.tar')]);
      await same((who) => ['commit', '-m', 'msg', '-a', 'me', '-c', 'CMD ["cat", "/data.txt"]', 'src', `${who}-cm:1`]);
      await same((who) => ['run', '--rm', `${who}-cm:1`]);
      await same((who) => ['history', `${who}-cm:1`]);
      await same((who) => ['inspect', '-f', '{{.Comment}} {{.Author}} {{json .Config.Cmd}}', `${who}-cm:1`]);
      await same(['commit', 'nosuch']);
    } finally {
      await removeContainers('src');
      for (const who of ['docker', 'minke']) await e.docker(['rmi', `${who}-imp:1`, `${who}-cm:1`, `${who}-stdin:1`]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists, tags, removes and describes images', async () => {
    // an image of its own: docker lists the repositories of one image in map order, at random
    await ok(['import', '-m', 'another', busyboxTar(), 'other/repo:v1']);
    try {
      const cases: string[][] = [
        ['images'],
        ['images', '-a'],
        ['images', '-q'],
        ['images', '--no-trunc'],
        ['images', '--digests'],
        ['images', 'busybox'],
        ['images', 'other/repo:v1'],
        ['images', '--filter', 'reference=other/*'],
        ['images', '--filter', 'dangling=true'],
        ['images', '--filter', 'bogus=1'],
        ['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'],
        ['images', '--format', 'json'],
        ['images', '--format', 'table {{.Repository}}\t{{.Tag}}'],
        ['image', 'ls', '-q'],
        ['history', 'busybox'],
        ['history', '-q', 'busybox'],
        ['history', '--no-trunc', 'busybox'],
        ['history', '--human=false', 'busybox'],
        ['history', '--format', 'json', 'busybox'],
        ['history', '--format', '{{.ID}} {{.CreatedBy}}', 'busybox'],
        ['history', 'nosuch'],
        ['history', '--format', '{{.Nosuchfield}}', 'busybox'],
        ['images', '--format', '{{.Nosuchfield}}'],
        ['images', '--format', 'x\n{{if .Tag}}{{.Nosuch}}{{end}}'],
        ['images', '--format', '{{.Repository'],
        ['tag', 'nosuch', 'x'],
        ['tag', 'busybox', 'bad::tag'],
        ['tag', 'busybox', 'Upper'],
        ['tag', 'busybox'],
        ['rmi', 'nosuch'],
        ['rmi', '-f', 'nosuch'],
      ];
      for (const c of cases) await same(c);
      await same((who) => ['tag', 'busybox', `${who}-tag:1`]);
      await same((who) => ['tag', 'busybox', `localhost:5000/${who}/tag`]);
      await same((who) => ['images', `${who}-tag`]);
      await same((who) => ['rmi', `${who}-tag:1`, `localhost:5000/${who}/tag`, 'nosuch']);
      // an image in two repositories cannot go by ID without -f
      await ok(['tag', 'other/repo:v1', 'other/repo:v2']);
      const id = (await ok(['images', '-q', 'other/repo:v1'])).trim();
      await same(['rmi', id]);
    } finally {
      await e.docker(['rmi', 'other/repo:v1', 'other/repo:v2']);
    }
  });

  it('saves and loads images', async () => {
    const dir = mkdtempSync('/tmp/minke-cli-');
    try {
      await same((who) => ['save', '-o', join(dir, `${who}.tar`), 'busybox']);
      assert.deepEqual(readFileSync(join(dir, 'minke.tar')), readFileSync(join(dir, 'docker.tar')), 'the same archive');
      const { m } = await same(['save', 'busybox']);
      assert.ok(m.stdout.length > 1000);
      await same(['save', 'nosuch']);
      await same(['save', '-o', join(dir, 'x.tar'), 'nosuch']);
      await same(['save', '-o', join(dir, 'nodir', 'x.tar'), 'busybox']);
      await same(['export', '-o', join(dir, 'nodir', 'x.tar'), 'nosuch']);
      await same((who) => ['load', '-i', join(dir, `${who}.tar`)]);
      await same(['load', '-q', '-i', join(dir, 'docker.tar')]);
      await same(['load', '-i', join(dir, 'nosuch.tar')]);
      // archives are not written to, or read from, a terminal
      await samePty(() => 'save busybox', []);
      await samePty(() => 'export nosuch', []);
      await samePty(() => 'load', []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports system information: df, info, version', async () => {
    await ok(['create', '--name', 'sys', 'busybox', 'true']);
    try {
      await same(['system', 'df']);
      await same(['system', 'df', '-v']);
      await same(['system', 'df', '--format', 'json']);
      await same(['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}']);
      // the client sections describe each program; the server's must match
      const serverPart: Norm = (s) => s.slice(s.indexOf('Server:'));
      await same(['info'], { norm: serverPart });
      await same(['info', '--format', '{{.Containers}} {{.Images}} {{.Driver}} {{.Name}} {{json .Plugins}}']);
      const infoJSON = (s: string): string => {
        const o = JSON.parse(s) as Record<string, unknown>;
        delete o.ClientInfo;
        delete o.SystemTime;
        return JSON.stringify(o);
      };
      const { d, m } = await same(['info', '--format', 'json'], { norm: () => '' });
      assert.equal(infoJSON(m.stdout), infoJSON(d.stdout));
      await same(['version'], { norm: serverPart });
      await same(['version', '--format', '{{.Server.Version}} {{.Server.Os}} {{.Server.Platform.Name}}']);
      const v = await same(['version', '--format', 'json'], { norm: () => '' });
      const server = (s: string): string => JSON.stringify((JSON.parse(s) as { Server: unknown }).Server);
      assert.equal(server(v.m.stdout), server(v.d.stdout));
    } finally {
      await removeContainers('sys');
    }
  });

  it('replays events between --since and --until with --filter and --format', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    await ok(['run', '--rm', '--name', 'ev', 'busybox', 'true']);
    await ok(['tag', 'busybox', 'ev:1']);
    await ok(['rmi', 'ev:1']);
    await new Promise((r) => setTimeout(r, 1100));
    const until = String(Math.ceil(Date.now() / 1000));
    for (const extra of [
      [],
      ['--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'],
      ['--format', 'json'],
      ['--format', '{{json .}}'],
      ['--format', '{{.Status}} {{.ID}} {{.From}} {{.Scope}} {{.TimeNano}}'],
      ['--filter', 'event=start'],
      ['--filter', 'type=image'],
      ['--filter', 'container=ev', '--format', '{{.Action}}'],
    ]) {
      await same(['events', '--since', since, '--until', until, ...extra]);
    }
    await same(['events', '--since', 'bogus', '--until', until]);
    await same(['system', 'events', '--since', '1h', '--until', '0s', '--filter', 'event=tag', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
  });

  /** A /24 of this engine's own address pool, away from the networks it hands out. */
  const poolSubnet = (third: number): string => `${/base=(\d+\.\d+)\./.exec(e.pool)![1]}.${third}.0/24`;

  it('manages networks: the group help, create, ls, inspect, rm, connect, disconnect, prune', async () => {
    for (const c of ['', '--help', 'bogus', 'create --help', 'ls --help', 'list --help', 'inspect --help', 'rm --help', 'remove --help', 'prune --help', 'connect --help', 'disconnect --help']) {
      await same(['network', ...c.split(' ').filter(Boolean)]);
    }
    const subnet = poolSubnet(250);
    const prefix = subnet.replace(/0\/24$/, '');
    await ok(['network', 'create', '--subnet', subnet, '--gateway', `${prefix}254`, '--ip-range', `${prefix}128/25`, '--label', 'k=v', '-o', 'com.docker.network.bridge.enable_icc=true', 'clinet']);
    await ok(['network', 'create', '--internal', '--attachable', '--label', 'k', 'clinet2']);
    for (const n of both('nc')) await ok(['create', '--name', n, 'busybox', 'sleep', '1000']);
    try {
      const created = await same((who) => ['network', 'create', '--label', 'made=1', `${who}-net`]);
      assert.match(created.m.stdout, /^[0-9a-f]{64}\n$/);
      const listings: string[][] = [
        ['network', 'ls'],
        ['network', 'list', '-q'],
        ['network', 'ls', '--no-trunc'],
        ['network', 'ls', '-q', '--no-trunc'],
        ['network', 'ls', '--format', 'json'],
        ['network', 'ls', '--format', 'raw'],
        ['network', 'ls', '-q', '--format', 'raw'],
        ['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.IPv4}} {{.IPv6}} {{.Internal}} {{.Labels}} [{{.Label "k"}}] {{.CreatedAt}}'],
        ['network', 'ls', '--format', 'table {{.ID}}\t{{.Name}}\t{{.Internal}}'],
        ['network', 'ls', '--format', '{{json .}}'],
        ['network', 'ls', '-f', 'name=clinet'],
        ['network', 'ls', '-f', 'driver=bridge', '-f', 'type=custom', '--format', '{{.Name}}'],
        ['network', 'ls', '-f', 'label=k=v', '-q'],
        ['network', 'ls', '-f', 'type=builtin'],
        ['network', 'ls', '-f', 'dangling=true', '--format', '{{.Name}}'],
        ['network', 'ls', '-f', 'bogus=1'],
        ['network', 'ls', '-f', 'type=x'],
        ['network', 'ls', '-f', 'bogus'],
        ['network', 'ls', '--format', '{{.Nosuch}}'],
        ['network', 'ls', '--format', '{{.Label"k"}}'],
        ['network', 'ls', 'extra'],
        ['network', 'inspect', 'clinet'],
        ['network', 'inspect', 'clinet', 'bridge'],
        ['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Internal}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}} {{.Labels}}', 'clinet', 'clinet2'],
        ['network', 'inspect', '-f', 'json', 'clinet'],
        ['network', 'inspect', '-v', 'clinet2'],
        ['network', 'inspect', 'nosuch'],
        ['network', 'inspect', '-f', '{{.Name}}', 'nosuch', 'clinet'],
        ['network', 'inspect', '-f', '{{.Nosuch}}', 'clinet'],
        ['network', 'inspect', '-f', '{{.Name', 'clinet'],
        ['network', 'inspect'],
        ['inspect', 'clinet'],
        ['inspect', '-f', '{{.Name}}', 'busybox', 'nosuch', 'clinet'],
        ['inspect', '--type', 'network', '-f', '{{.Scope}}', 'clinet'],
      ];
      for (const c of listings) await same(c);
      const creates: string[][] = [
        ['network', 'create'],
        ['network', 'create', 'a', 'b'],
        ['network', 'create', 'clinet'],
        ['network', 'create', '-d', 'bogus', 'x'],
        ['network', 'create', '--label', '=x', 'x'],
        ['network', 'create', '--subnet', '"a', 'x'],
        ['network', 'create', '--gateway', '10.1.1.1', 'x'],
        ['network', 'create', '--subnet', '10.50.0.0/24', '--gateway', '10.51.0.1', 'x'],
        ['network', 'create', '--subnet', '10.50.0.0/24,10.50.0.0/16', 'x'],
        ['network', 'create', '--subnet', '10.50.0.0/24', '--ip-range', '10.60.0.0/25', 'x'],
        ['network', 'create', '--subnet', '10.50.0.0/24', '--ip-range', 'x', 'x'],
        ['network', 'create', '--subnet', '10.50.0.0/24', '--gateway', '10.50.0.1', '--gateway', '10.50.0.2', 'x'],
        ['network', 'create', '--subnet', '10.50.0.0/24', '--aux-address', 'a=10.60.0.9', 'x'],
        ['network', 'create', '--subnet', 'x', '--gateway', '1.1.1.1', 'x'],
        ['network', 'create', '--label', '=x'],
        ['network', 'connect', '--link', 'a:b:c'],
        ['network', 'ls', '--bogus'],
      ];
      for (const c of creates) await same(c);
      // A name with a space is a name, as dockerd takes it.
      await same((who) => ['network', 'create', `spaced name ${who}`]);
      await same((who) => ['network', 'rm', `spaced name ${who}`], { norm: (x) => x.replace(/spaced name (docker|minke)/, 'spaced name') });

      // connect and disconnect, each CLI its own container
      const ip = (who: Who): string => `${prefix}${who === 'docker' ? 140 : 141}`;
      await same((who) => ['network', 'connect', '--alias', 'a1', '--alias', 'a2,a3', '--driver-opt', 'k=v', '--ip', ip(who), 'clinet', `${who}-nc`]);
      assert.equal((await ok(['inspect', '-f', '{{(index .NetworkSettings.Networks "clinet").IPAMConfig.IPv4Address}}', 'minke-nc'])).trim(), ip('minke'));
      // A second connect of a container that is not running replaces its endpoint's settings, as dockerd.
      await same((who) => ['network', 'connect', 'clinet', `${who}-nc`]);
      await same((who) => ['inspect', '-f', '{{json (index .NetworkSettings.Networks "clinet").Aliases}} {{json (index .NetworkSettings.Networks "clinet").DriverOpts}} {{json (index .NetworkSettings.Networks "clinet").IPAMConfig}}', `${who}-nc`]);
      await same((who) => ['network', 'connect', '--link-local-ip', '169.254.9.9', '--gw-priority', '3', 'clinet2', `${who}-nc`]);
      await same((who) => ['inspect', '-f', '{{json (index .NetworkSettings.Networks "clinet2").IPAMConfig}} {{(index .NetworkSettings.Networks "clinet2").GwPriority}}', `${who}-nc`]);
      for (const c of [['--driver-opt', 'x'], ['--gw-priority', 'x'], ['--link', 'a:b:c']]) await same((who) => ['network', 'connect', ...c, 'clinet', `${who}-nc`]);
      await same(['network', 'connect', 'nosuch', 'minke-nc']);
      await same(['network', 'connect', 'clinet', 'nosuch']);
      await same(['network', 'connect', 'clinet']);
      await same((who) => ['network', 'disconnect', 'clinet', `${who}-nc`]);
      await same((who) => ['network', 'disconnect', 'clinet', `${who}-nc`]);
      await same((who) => ['network', 'disconnect', '-f', 'clinet2', `${who}-nc`]);
      await same(['network', 'disconnect', 'nosuch', 'minke-nc']);
      await same(['network', 'disconnect', 'clinet']);

      // rm: each name in turn, failures reported, exit 1 at the end
      for (const n of [...both('rm1'), ...both('rm2')]) await ok(['network', 'create', n]);
      await same((who) => ['network', 'rm', `${who}-rm1`, 'nosuch', `${who}-rm2`]);
      await same(['network', 'rm', '-f', 'nosuch']);
      await same(['network', 'rm', 'bridge']);
      await same(['network', 'rm']);
      await same((who) => ['network', 'remove', `${who}-net`]);

      // prune: the prompt, a cancelled prune, and what was deleted
      await same(['network', 'prune'], { input: 'n\n' });
      await same(['network', 'prune', '--filter', 'label=nothing-has-this'], { input: 'y\n' });
      for (const n of both('p1')) await ok(['network', 'create', '--label', `prune=${n.split('-')[0]}`, n]);
      for (const n of both('p2')) await ok(['network', 'create', '--label', `prune=${n.split('-')[0]}`, n]);
      await same((who) => ['network', 'prune', '--filter', `label=prune=${who}`], { input: 'y\n' });
      await same(['network', 'prune', '-f', '--filter', 'bogus=1']);
      await same(['network', 'prune', 'extra']);
    } finally {
      await removeContainers(...both('nc'));
      for (const n of ['clinet', 'clinet2', ...both('net'), ...both('rm1'), ...both('rm2'), ...both('p1'), ...both('p2')]) await e.docker(['network', 'rm', n]);
    }
  });

  it('publishes ports: port, ps PORTS, -p forms, -P and --expose', async () => {
    // host ports of their own, below the ephemeral range, free now on a shared host
    const b = await freePorts(6);
    await ok(['run', '-d', '--name', 'pp', '-p', `${b}:80`, '-p', `127.0.0.1:${b + 1}:81/udp`, '-p', `${b + 2}-${b + 3}:90-91`, '-p', '100', '-p', `${b + 4}:${b + 4}`, '-p', `${b + 5}:${b + 5}`, '--expose', '300-302', 'busybox', 'sleep', '1000']);
    await ok(['run', '-d', '--name', 'pa', '-P', '--expose', '500', '--expose', '501/udp', 'busybox', 'sleep', '1000']);
    try {
      const cases: string[][] = [
        ['port', 'pp'],
        ['port', 'pp', '80'],
        ['port', 'pp', '80/tcp'],
        ['port', 'pp', '81/udp'],
        ['port', 'pp', '81'],
        ['port', 'pp', '300'],
        ['port', 'pp', 'bogus'],
        ['port', 'pp', '70000'],
        ['port', 'pp', '80/'],
        ['port', 'pa'],
        ['port', 'nosuch'],
        ['port'],
        ['port', 'a', 'b', 'c'],
        ['container', 'port', 'pp', '100'],
        ['ps', '--filter', 'name=p'],
        ['ps', '--filter', 'name=pp', '--format', '{{.Ports}}'],
        ['ps', '--filter', 'name=pa', '--format', '{{.Names}}: {{.Ports}}'],
        ['ps', '--filter', 'name=pp', '--format', 'json'],
        ['ps', '--filter', 'name=pp', '--no-trunc', '--format', 'table {{.Names}}\t{{.Ports}}'],
      ];
      for (const c of cases) await same(c);
      // each CLI publishes its own ports; what they asked for reads the same
      const ports = (who: Who, n: number): string => String(b + (who === 'docker' ? 10 : 30) + n);
      await same((who) => ['create', '--name', `${who}-pc`, '-p', `${ports(who, 0)}-${ports(who, 1)}:80-81`, '-p', `127.0.0.1::82/udp`, '-p', `[::1]:${ports(who, 2)}:83`, '-p', `${ports(who, 3)}-${ports(who, 5)}:84`, '-p', '85-86', '--expose', '87-88/udp', '-P', 'busybox']);
      const hostPorts: Norm = (s) => s.replace(/\b\d{5}\b/g, '<port>');
      await same((who) => ['inspect', '-f', '{{json .HostConfig.PortBindings}} {{json .Config.ExposedPorts}} {{.HostConfig.PublishAllPorts}}', `${who}-pc`], { norm: hostPorts });
    } finally {
      await removeContainers('pp', 'pa', ...both('pc'));
    }
  });

  it('run and create: several networks, aliases, addresses, DNS and hosts as docker sends them', async () => {
    const subnet = poolSubnet(251);
    const prefix = subnet.replace(/0\/24$/, '');
    await ok(['network', 'create', '--subnet', subnet, 'rnet1']);
    await ok(['network', 'create', 'rnet2']);
    // --link names a container that must exist (dockerd checks links at create).
    await ok(['create', '--name', 'other', 'busybox']);
    try {
      const ip = (who: Who, n: number): string => `${prefix}${who === 'docker' ? n : n + 1}`;
      const mac = (who: Who): string => (who === 'docker' ? '02:42:ac:11:00:0a' : '02:42:ac:11:00:0b');
      await same((who) => [
        'create', '--name', `${who}-rn`, '--network', 'rnet1', '--network', 'name=RNET2,alias=Zed', '--network-alias', 'x', '--ip', ip(who, 10), '--mac-address', mac(who),
        '--dns', '1.1.1.1', '--dns', '0:0::1', '--dns-search', 'example.com.', '--dns-option', 'ndots:2', '--add-host', 'h:1.2.3.4', '--add-host', 'g=[::1]', '--add-host', 'hg:host-gateway',
        '--link', 'other:o', 'busybox',
      ]);
      const networks = '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}: {{json $v.Aliases}} {{json $v.Links}} {{if $v.IPAMConfig}}{{$v.IPAMConfig.IPv4Address}}{{end}}; {{end}}';
      const addressOf: Norm = (s) => s.replace(new RegExp(`${prefix.replace(/\./g, '\\.')}\\d+`, 'g'), '<ip>');
      await same((who) => ['inspect', '-f', networks, `${who}-rn`], { norm: addressOf });
      await same((who) => ['inspect', '-f', '{{.HostConfig.NetworkMode}} {{json .HostConfig.Dns}} {{json .HostConfig.DnsSearch}} {{json .HostConfig.DnsOptions}} {{json .HostConfig.ExtraHosts}} {{json .HostConfig.Links}}', `${who}-rn`]);
      await same(['run', '--rm', '--network', 'rnet1', '--add-host', 'foo=10.0.0.9', '--dns-search', 'x.example', 'busybox', 'sh', '-c', 'grep foo /etc/hosts; grep search /etc/resolv.conf']);
      await same(['run', '--rm', '--net', 'rnet2', '--net-alias', 'y', '--dns-opt', 'ndots:3', 'busybox', 'grep', 'ndots', '/etc/resolv.conf']);
      await same((who) => ['create', '--name', `${who}-rl`, '--dns', '127.0.0.1', 'busybox']);
      await same(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ls /sys/class/net']);
      const rejected: string[][] = [
        ['create', '--network', 'name=rnet1,bogus=1', 'busybox'],
        ['create', '--network', 'alias=x', 'busybox'],
        ['create', '--network', 'name=rnet1,alias="a,b"', 'busybox'],
        ['create', '--network', 'name=rnet1,gw-priority=x', 'busybox'],
        ['create', '--network', 'name=rnet1,driver-opt=x', 'busybox'],
        ['create', '--network', 'rnet1', '--network', 'rnet1', 'busybox'],
        ['create', '--network', 'host', '--network', 'rnet1', 'busybox'],
        ['create', '--network', '', 'busybox'],
        ['create', '--network-alias', 'a', 'busybox'],
        ['create', '--network', 'bridge', '--network-alias', 'a', 'busybox'],
        ['create', '--network-alias', 'a', '--network', 'name=rnet1,alias=b', 'busybox'],
        ['create', '--network', 'name=rnet1,ip=10.0.0.1', '--ip', '10.0.0.2', 'busybox'],
        ['create', '--network', 'name=rnet1,mac-address=zz', 'busybox'],
        ['create', '--mac-address', 'bad', 'busybox'],
        ['create', '--ip', '10.0.0.1', 'busybox'],
        ['create', '--dns', 'bad', 'busybox'],
        ['create', '--dns-search', '-foo', 'busybox'],
        ['create', '--add-host', 'bad', 'busybox'],
        ['create', '--add-host', 'h:bad', 'busybox'],
        ['create', '--add-host', 'a:b:1.2.3.4', 'busybox'],
        ['create', '--link', 'a:b:c', 'busybox'],
        ['create', '--label', '=x', 'busybox'],
        ['create', '-p', '8000:80-81', 'busybox'],
        ['create', '-p', '80/bogus', 'busybox'],
        ['create', '-p', '70000:80', 'busybox'],
        ['create', '-p', '1.2.3:80:80', 'busybox'],
        ['create', '-p', '[::1:80:80', 'busybox'],
        ['create', '-p', 'target=80,bogus', 'busybox'],
        ['create', '--expose', '81-80', 'busybox'],
        ['run', '--network', 'name=rnet1,bogus=1', 'busybox'],
        ['create', '--net', 'name=rnet1,bogus=1', 'busybox'],
        // a bad flag value is reported before a missing image
        ['run', '--dns', 'bad'],
        ['run', '-a', 'BOGUS'],
        ['create', '--network', 'alias=x'],
        ['run', '--rm', '--network', 'host', '--network-alias', 'a', 'busybox', 'true'],
      ];
      for (const c of rejected) await same(c);
      assert.equal((await ok(['ps', '-aq', '--filter', 'name=rn', '--filter', 'name=rl'])).trim().split('\n').length, 4, 'no container was left by a rejected create');
    } finally {
      await removeContainers(...both('rn'), ...both('rl'), 'other');
      for (const n of ['rnet1', 'rnet2']) await e.docker(['network', 'rm', n]);
    }
  });

  it('words unknown commands, flags and missing arguments as docker does', async () => {
    for (const c of [['nosuchcommand'], ['container', 'nosuch'], ['ps', '--bogus'], ['rm'], ['rename', 'a'], ['pause'], ['logs'], ['tag', 'a', 'b', 'c'], ['cp', 'a'], ['wait'], ['--bogus', 'ps']]) {
      await same(c);
    }
  });
});
