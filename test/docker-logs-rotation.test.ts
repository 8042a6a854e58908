// Logs as dockerd keeps them, through the real docker CLI: json-file's max-size, max-file and
// compress (rotated files NAME.1, NAME.2, NAME.k.gz), `docker logs` (--tail, -f, --since,
// --until, --timestamps) across them, the local and none drivers, the engine's default driver
// and options, and dockerd's refusals of bad drivers and options.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEngine, waitFor } from './harness.js';

/** A shell loop printing "line N" padded to about 70 bytes; `pause` (µs) paces it. */
function writer(lines: number, pause = 0): string {
  const wait = pause > 0 ? ` usleep ${pause};` : '';
  return `i=0; while [ $i -lt ${lines} ]; do echo "line $i ${'a'.repeat(60)}"; i=$((i+1));${wait} done`;
}

/** The N of each "line N" in docker's output, in order. */
function numbers(out: string): number[] {
  return out.split('\n').filter((l) => l.startsWith('line ')).map((l) => Number(l.split(' ')[1]));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe('docker logs: rotation, drivers and their options', { concurrency: false, timeout: 600_000 }, () => {
  const e = new TestEngine();
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

  const logFiles = (id: string): Array<{ name: string; size: number }> => {
    const dir = join(e.dataRoot, 'containers', id);
    // A running container's rotation may remove a file between the listing and its stat.
    return readdirSync(dir).filter((f) => f.startsWith('container.log')).sort()
      .map((name) => ({ name, size: statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? -1 }))
      .filter((f) => f.size >= 0);
  };
  const runToEnd = async (args: string[]): Promise<string> => {
    const id = (await e.ok(['run', '-d', '--network', 'none', ...args])).trim();
    assert.equal((await e.ok(['wait', id], { timeout: 120_000 })).trim(), '0');
    return id;
  };

  it('json-file with max-size=10k max-file=2: a container writing 240 KB at full speed keeps two files of at most 10 kB', async () => {
    const id = await runToEnd(['--log-opt', 'max-size=10k', '--log-opt', 'max-file=2', 'busybox', 'sh', '-c', writer(3400)]);
    const files = logFiles(id);
    assert.deepEqual(files.map((f) => f.name), ['container.log', 'container.log.1']);
    for (const f of files) assert.ok(f.size <= 10_000, `${f.name} is ${f.size} bytes`);
    const lines = numbers(await e.ok(['logs', id]));
    assert.equal(lines.at(-1), 3399, 'the last line kept');
    assert.ok(lines.length > 60 && lines.length < 300, `about two files of lines (${lines.length})`);
    assert.deepEqual(numbers(await e.ok(['logs', '--tail', '3', id])), [3397, 3398, 3399]);
    assert.deepEqual(JSON.parse(await e.ok(['inspect', '-f', '{{json .HostConfig.LogConfig}}', id])), { Type: 'json-file', Config: { 'max-file': '2', 'max-size': '10k' } });
    assert.equal((await e.ok(['inspect', '-f', '{{.LogPath}}', id])).trim(), join(e.dataRoot, 'containers', id, 'container.log'));
  });

  it('docker run and logs -f follow across rotations: every line once, in order', async () => {
    // docker run attached follows the log; the writer is paced (as real programs are), faster
    // than a file a second.
    const run = await e.ok(['run', '--rm', '--network', 'none', '--log-opt', 'max-size=10k', '--log-opt', 'max-file=2', 'busybox', 'sh', '-c', writer(600, 500)], { timeout: 120_000 });
    assert.deepEqual(numbers(run), range(0, 600));

    const gate = join(e.dir, 'gate');
    mkdirSync(gate, { recursive: true });
    const id = (await e.ok(['run', '-d', '--network', 'none', '-v', `${gate}:/gate`, '--log-opt', 'max-size=10k', '--log-opt', 'max-file=2', 'busybox', 'sh', '-c',
      `echo ready; while [ ! -e /gate/go ]; do usleep 20000; done; ${writer(600, 500)}`])).trim();
    const follower = spawn('docker', ['logs', '-f', id], { env: e.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    follower.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const ended = new Promise<number | null>((r) => follower.on('close', r));
    try {
      await waitFor(() => out.includes('ready\n'), 'logs -f to print the first line', 30_000);
      writeFileSync(join(gate, 'go'), '');
      assert.equal(await ended, 0);
    } finally {
      follower.kill();
    }
    assert.deepEqual(numbers(out), range(0, 600));
    assert.ok(logFiles(id).length <= 2);
  });

  it('compress: rotated files become NAME.k.gz; logs --since, --until and --timestamps read across them', async () => {
    const id = await runToEnd(['--log-opt', 'max-size=10k', '--log-opt', 'max-file=3', '--log-opt', 'compress=true', 'busybox', 'sh', '-c', writer(500, 500)]);
    await waitFor(() => {
      const names = logFiles(id).map((f) => f.name);
      return names.join(' ') === 'container.log container.log.1.gz container.log.2.gz';
    }, 'the two rotated files compressed', 30_000);
    const stamped = (await e.ok(['logs', '--timestamps', id])).split('\n').filter(Boolean);
    const lines = stamped.map((l) => Number(l.split(' ')[2]));
    assert.equal(lines.at(-1), 499);
    assert.deepEqual(lines, range(lines[0]!, 500), 'contiguous across the compressed files');
    // since and until pick by time, to the nanosecond: what -t printed decides what they keep.
    const times = stamped.map((l) => l.split(' ')[0]!);
    const since = times[5]!;
    const until = times[lines.length - 5]!;
    const expected = lines.filter((_, i) => times[i]! >= since && times[i]! <= until);
    assert.deepEqual(numbers(await e.ok(['logs', '--since', since, '--until', until, id])), expected);
    assert.deepEqual(numbers(await e.ok(['logs', '--tail', '2', id])), [498, 499]);
  });

  it('rm -f of a container writing at full speed, its files compressed, leaves nothing', async () => {
    for (let i = 0; i < 3; i++) {
      const id = (await e.ok(['run', '-d', '--network', 'none', '--log-opt', 'max-size=10k', '--log-opt', 'max-file=3', '--log-opt', 'compress=true', 'busybox', 'sh', '-c', `while true; do echo "line ${'a'.repeat(60)}"; done`])).trim();
      await waitFor(() => logFiles(id).some((f) => f.name.endsWith('.gz')), 'a compressed file', 30_000);
      await e.ok(['rm', '-f', id]);
      assert.ok(!existsSync(join(e.dataRoot, 'containers', id)), 'its directory gone');
    }
  });

  it('local: dockerd\'s defaults (20m, 5 files, compressed), kept with rotation and read by docker logs', async () => {
    const id = await runToEnd(['--log-driver', 'local', '--log-opt', 'max-size=10k', 'busybox', 'sh', '-c', writer(1000, 200)]);
    assert.deepEqual(JSON.parse(await e.ok(['inspect', '-f', '{{json .HostConfig.LogConfig}}', id])), { Type: 'local', Config: { 'max-size': '10k' } });
    assert.equal((await e.ok(['inspect', '-f', '{{.LogPath}}', id])).trim(), '', 'as dockerd: no path for local');
    await waitFor(() => logFiles(id).filter((f) => f.name.endsWith('.gz')).length === 4, 'four rotated files, compressed', 30_000);
    assert.equal(logFiles(id).length, 5);
    const lines = numbers(await e.ok(['logs', id]));
    assert.equal(lines.at(-1), 999);
    assert.deepEqual(lines, range(lines[0]!, 1000));
    const plain = await runToEnd(['--log-driver', 'local', 'busybox', 'echo', 'hello']);
    assert.deepEqual(JSON.parse(await e.ok(['inspect', '-f', '{{json .HostConfig.LogConfig}}', plain])), { Type: 'local', Config: {} });
    assert.equal(await e.ok(['logs', plain]), 'hello\n');
  });

  it('a container started again cuts its earlier runs\' file at max-size too (conmon counts from 0 at each start)', async () => {
    // Each run writes about 6 kB: appended to the last run's file, it would pass 10 kB uncut.
    const id = await runToEnd(['--log-opt', 'max-size=10k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', writer(50, 5000)]);
    for (let run = 2; run <= 4; run++) await e.ok(['start', '-a', id], { timeout: 120_000 });
    const files = logFiles(id);
    assert.deepEqual(files.map((f) => f.name), ['container.log', 'container.log.1', 'container.log.2']);
    for (const f of files) assert.ok(f.size <= 12_000, `${f.name} is ${f.size} bytes`);
    const lines = numbers(await e.ok(['logs', id]));
    assert.deepEqual(lines.slice(-50), range(0, 50), 'the last run whole');
  });

  it('an engine killed and started again keeps rotating the logs of the containers that ran on', async () => {
    // The writer's second half waits for the engine to be back: while it is down, conmon's cuts
    // beyond the two files the engine linked last drop theirs, however long the restart takes.
    const flag = join(e.dir, 'rotation-flag');
    mkdirSync(flag, { recursive: true });
    const halves = `i=0; while [ $i -lt 600 ]; do echo "line $i ${'a'.repeat(60)}"; i=$((i+1)); usleep 5000;`
      + ' if [ $i -eq 300 ]; then touch /flag/half; while [ ! -e /flag/go ]; do usleep 20000; done; fi; done';
    const id = (await e.ok(['run', '-d', '--network', 'none', '-v', `${flag}:/flag`, '--log-opt', 'max-size=10k', '--log-opt', 'max-file=4', '--log-opt', 'compress=true', 'busybox', 'sh', '-c', halves])).trim();
    await waitFor(() => existsSync(join(flag, 'half')), 'the first half written', 60_000);
    await waitFor(() => logFiles(id).some((f) => f.name.startsWith('container.log.1')), 'a first rotation', 30_000);
    await e.stopEngine('SIGKILL');
    await e.start();
    writeFileSync(join(flag, 'go'), '');
    assert.equal((await e.ok(['wait', id], { timeout: 120_000 })).trim(), '0');
    await waitFor(() => logFiles(id).map((f) => f.name).join(' ') === 'container.log container.log.1.gz container.log.2.gz container.log.3.gz', 'four files, three compressed, nothing else', 30_000);
    const lines = numbers(await e.ok(['logs', id]));
    assert.equal(lines.at(-1), 599);
    assert.deepEqual(lines, range(lines[0]!, 600));
  });

  it('none: docker logs refuses as dockerd; the output still reaches an attached client', async () => {
    assert.equal(await e.ok(['run', '--rm', '--network', 'none', '--log-driver', 'none', 'busybox', 'echo', 'hi']), 'hi\n');
    const id = await runToEnd(['--log-driver', 'none', 'busybox', 'echo', 'hi']);
    const r = await e.docker(['logs', id]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /configured logging driver does not support reading/);
  });

  it('refuses unknown drivers and options at create, bad values at start, with dockerd\'s words', async () => {
    const refused = async (args: string[], message: string): Promise<void> => {
      const r = await e.docker(['create', ...args, 'busybox', 'true']);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.ok(r.stderr.includes(message), `${args.join(' ')}: ${r.stderr}`);
    };
    await refused(['--log-opt', 'foo=bar'], "unknown log opt 'foo' for json-file log driver");
    await refused(['--log-driver', 'local', '--log-opt', 'tag=x'], "unknown log opt 'tag' for log driver local");
    await refused(['--log-driver', 'nope'], 'error looking up logging plugin nope: plugin "nope" not found');
    await refused(['--log-opt', 'mode=fast'], 'logger: logging mode not supported: fast');
    await refused(['--log-opt', 'max-buffer-size=4m'], "logger: max-buffer-size option is only supported with 'mode=non-blocking'");
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '', 'nothing made');

    const failsToStart = async (opts: string[], message: string): Promise<void> => {
      const id = (await e.ok(['create', '--network', 'none', ...opts.flatMap((o) => ['--log-opt', o]), 'busybox', 'true'])).trim();
      const r = await e.docker(['start', id]);
      assert.notEqual(r.code, 0, opts.join(' '));
      assert.ok(r.stderr.includes(`failed to initialize logging driver: ${message}`), `${opts.join(' ')}: ${r.stderr}`);
      const state = JSON.parse(await e.ok(['inspect', '-f', '{{json .State}}', id])) as { Status: string; ExitCode: number; Error: string };
      assert.deepEqual([state.Status, state.ExitCode], ['created', 128]);
      assert.match(state.Error, /failed to initialize logging driver/);
    };
    await failsToStart(['max-size=abc'], "invalid size: 'abc'");
    await failsToStart(['max-size=0'], 'max-size must be a positive number');
    await failsToStart(['max-file=0'], 'max-file cannot be less than 1');
    await failsToStart(['compress=true'], 'compress cannot be true when max-file is less than 2 or max-size is not set');
    await failsToStart(['compress=yes', 'max-file=2', 'max-size=1m'], 'strconv.ParseBool: parsing "yes": invalid syntax');
    const left = e.leftovers();
    assert.deepEqual([left.mounts, left.conmon, left.runc], [[], [], []]);
  });
});

describe('the engine\'s default log driver and options (--log-driver, --log-opt)', { concurrency: false, timeout: 300_000 }, () => {
  const e = new TestEngine({ args: ['--log-driver', 'local', '--log-opt', 'max-size=10k'] });
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());

  it('shows in docker info, and in each container that names no driver, as dockerd reports it', async () => {
    assert.equal((await e.ok(['info', '--format', '{{.LoggingDriver}}'])).trim(), 'local');
    const config = async (args: string[]): Promise<unknown> => {
      const id = (await e.ok(['create', ...args, 'busybox', 'true'])).trim();
      return JSON.parse(await e.ok(['inspect', '-f', '{{json .HostConfig.LogConfig}}', id]));
    };
    assert.deepEqual(await config([]), { Type: 'local', Config: { 'max-size': '10k' } });
    assert.deepEqual(await config(['--log-opt', 'max-file=3']), { Type: 'local', Config: { 'max-file': '3', 'max-size': '10k' } });
    assert.deepEqual(await config(['--log-driver', 'json-file']), { Type: 'json-file', Config: {} }, 'the defaults are the default driver\'s');
  });

  it('an option no container could use stops the engine at start, as dockerd', async () => {
    const bad = new TestEngine({ args: ['--log-opt', 'foo=bar'] });
    try {
      await assert.rejects(bad.start(), /failed to set log opts: unknown log opt 'foo' for json-file log driver/);
      assert.ok(!existsSync(bad.socket) || !bad.running);
    } finally {
      await bad.destroy();
    }
  });
});
