// minke's own CLI against the real docker CLI (v28), both driving the same minke engine: each
// scenario runs the same command with both and compares exit code, stdout and stderr, after
// normalising what legitimately differs (the program's name, container IDs, clocks).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxTar, minkeBin, TestEngine, underPty, waitFor, type RunResult } from './harness.js';

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

/** Runs one CLI against the engine; minke after `--` so node leaves flags like --env-file alone. */
function cli(who: Who, args: string[], opts: { input?: string | Buffer; timeout?: number } = {}): Promise<RunResult> {
  const [cmd, argv] = who === 'docker' ? ['docker', args] : [process.execPath, ['--', minkeBin, ...args]];
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

const programs: Record<Who, string> = { docker: 'docker', minke: `${process.execPath} -- ${minkeBin}` };

/** The same terminal session with both programs: output byte for byte and the exit code. */
async function samePty(args: (who: Who) => string, inputs: Array<[number, string]>): Promise<{ d: { code: number; out: string }; m: { code: number; out: string } }> {
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

describe('minke CLI matches the docker CLI against a minke engine', { concurrency: false, timeout: 600_000 }, () => {
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());

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
    await samePty(() => 'run -it --rm busybox sh', [[800, 'echo $((6*7)); tty\n'], [500, 'exit 5\n']]);
    await samePty((who) => `run -it --name ${who}-rd busybox sh`, [[800, 'echo x\n'], [500, '\x10\x11']]);
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
      for (const c of [['logs', 'lg'], ['logs', '--tail', '2', 'lg'], ['logs', '--tail', '0', 'lg'], ['logs', '-t', 'lg'], ['logs', '-n', '1', '-t', 'lg'], ['logs', '-f', 'lg'], ['logs', '--since', '0', 'lg'], ['logs', '--until', '1s', 'lg'], ['logs', '--details', 'lg'], ['logs', 'nosuch'], ['logs']]) {
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
      await samePty(() => 'exec -it ex sh', [[800, 'echo tty=$(tty)\n'], [400, 'exit 3\n']]);
      await samePty(() => 'exec -it ex sh', [[800, 'echo y\n'], [400, '\x10\x11']]);
    } finally {
      await removeContainers('ex', 'ex-stopped');
    }
  });

  it('attaches and detaches with the default and custom detach keys', async () => {
    for (const n of both('at')) await ok(['run', '-d', '-it', '--name', n, 'busybox', 'sh']);
    try {
      await samePty((who) => `attach ${who}-at`, [[800, 'echo attached-$((1+1))\n'], [400, '\x10\x11']]);
      await samePty((who) => `attach --detach-keys ctrl-x,x ${who}-at`, [[800, 'echo b\n'], [400, '\x18x']]);
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
      const numbers: Norm = (s) => s.replace(/[\d.]+(?:%|[KMGT]i?B|B)?/g, '<n>').replace(/ +/g, ' ');
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

  it('words unknown commands, flags and missing arguments as docker does', async () => {
    for (const c of [['nosuchcommand'], ['container', 'nosuch'], ['ps', '--bogus'], ['rm'], ['rename', 'a'], ['pause'], ['logs'], ['tag', 'a', 'b', 'c'], ['cp', 'a'], ['wait'], ['--bogus', 'ps']]) {
      await same(c);
    }
  });
});
