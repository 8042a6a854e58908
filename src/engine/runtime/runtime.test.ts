import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import type { Readable } from 'node:stream';
import { Runtime } from './runtime.js';
import { buildSpec, type ContainerSpecInput } from './spec.js';
import { readLogs, type LogLine } from './logs.js';
import { ContainerStartError } from './conmon.js';
import { canRunContainers, cleanupAll, makeBusyboxRootfs, tempDir } from './testing.js';

const skip = !canRunContainers() && 'needs root, runc, conmon and busybox';
let dir = '';
let rootfs = '';
let rt: Runtime;
const cgroupParent = `/minke-test-${process.pid}`;
let n = 0;

before(() => {
  if (skip) return;
  dir = tempDir();
  rootfs = makeBusyboxRootfs(join(dir, 'rootfs'));
  rt = new Runtime({ root: join(dir, 'state'), cgroupParent });
});

after(() => {
  if (skip) return;
  rt.close();
  cleanupAll(dir, rt.runcRoot, cgroupParent);
});

function bundle(args: string[], extra: Partial<ContainerSpecInput> = {}): { id: string; bundleDir: string; logPath: string; input: ContainerSpecInput } {
  const id = `t${process.pid}x${n++}`;
  const bundleDir = join(dir, 'bundles', id);
  mkdirSync(bundleDir, { recursive: true });
  const input: ContainerSpecInput = { id, rootfs, args, cgroupParent, network: 'private', ...extra };
  return { id, bundleDir, logPath: join(bundleDir, 'ctr.log'), input };
}

async function runToExit(args: string[], extra: Partial<ContainerSpecInput> = {}): Promise<{ id: string; code: number; logs: LogLine[]; oom: boolean }> {
  const b = bundle(args, extra);
  await rt.run({ id: b.id, bundleDir: b.bundleDir, spec: buildSpec(b.input), logPath: b.logPath, stdin: false, tty: false });
  const code = await rt.waitExit(b.id);
  const oom = await rt.oomKilled(b.id);
  await rt.delete(b.id);
  const logs: LogLine[] = [];
  for await (const l of readLogs(b.logPath, {})) logs.push(l);
  return { id: b.id, code, logs, oom };
}

function collect(stream: Readable): { text: () => string; until: (s: string, ms?: number) => Promise<string> } {
  let buf = '';
  const waiters: (() => void)[] = [];
  stream.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    for (const w of waiters.splice(0)) w();
  });
  return {
    text: () => buf,
    until: (s, ms = 5000) => new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout waiting for ${JSON.stringify(s)}; got ${JSON.stringify(buf)}`)), ms);
      const check = (): void => {
        if (buf.includes(s)) {
          clearTimeout(t);
          resolve(buf);
        } else waiters.push(check);
      };
      check();
    }),
  };
}

/** Splits docker multiplexed frames into stdout/stderr text. */
function demux(raw: string): { out: string; err: string } {
  const b = Buffer.from(raw, 'latin1');
  let out = '';
  let err = '';
  for (let i = 0; i + 8 <= b.length;) {
    const len = b.readUInt32BE(i + 4);
    const payload = b.subarray(i + 8, i + 8 + len).toString();
    if (b[i] === 2) err += payload;
    else out += payload;
    i += 8 + len;
  }
  return { out, err };
}

test('stdout and stderr reach the CRI log; exit code 3', { skip }, async () => {
  const r = await runToExit(['sh', '-c', 'echo hello; echo oops >&2; printf partial; exit 3']);
  assert.equal(r.code, 3);
  assert.equal(r.oom, false);
  const out = r.logs.filter((l) => l.stream === 'stdout').map((l) => l.line.toString()).join('');
  const err = r.logs.filter((l) => l.stream === 'stderr').map((l) => l.line.toString()).join('');
  assert.equal(out, 'hello\npartial');
  assert.equal(err, 'oops\n');
  assert.match(r.logs[0]!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
});

test('a command that does not exist fails create with runc\'s reason and exit code 127', { skip }, async () => {
  const b = bundle(['nosuchcmd']);
  await assert.rejects(
    rt.create({ id: b.id, bundleDir: b.bundleDir, spec: buildSpec(b.input), logPath: b.logPath, stdin: false, tty: false }),
    (err: unknown) => {
      assert.ok(err instanceof ContainerStartError);
      assert.match(err.message, /exec: "nosuchcmd": executable file not found in \$PATH/);
      assert.equal(err.exitCode, 127);
      assert.equal(err.status, 500);
      return true;
    },
  );
  assert.deepEqual((await rt.list()).filter((c) => c.id === b.id), []);
});

test('a conmon that cannot be started fails create with 128 and leaves no runc container, cgroup or conmon', { skip }, async () => {
  const broken = new Runtime({ root: join(dir, 'state'), cgroupParent, conmonPath: join(dir, 'no-such-conmon') });
  const b = bundle(['true']);
  try {
    await assert.rejects(
      broken.create({ id: b.id, bundleDir: b.bundleDir, spec: buildSpec(b.input), logPath: b.logPath, stdin: false, tty: false }),
      (err: unknown) => {
        assert.ok(err instanceof ContainerStartError);
        assert.match(err.message, /^OCI runtime create failed: cannot start .*no-such-conmon \(ENOENT\): unknown$/);
        assert.equal(err.exitCode, 128);
        return true;
      },
    );
  } finally {
    broken.close();
  }
  assert.deepEqual((await rt.list()).filter((c) => c.id === b.id), []);
  assert.equal(existsSync(join(rt.runcRoot, b.id)), false);
  const cg = rt.cgroupPaths(b.id);
  assert.equal(existsSync(cg.v2 ? cg.dir('') : cg.dir('memory')), false);
  assert.equal(spawnSync('pgrep', ['-f', `conmon .*-c ${b.id} `]).status, 1, 'no conmon of that container runs');
});

test('a non-executable file yields 126', { skip }, async () => {
  const b = bundle(['/etc/notexec']);
  writeFileSync(join(rootfs, 'etc/notexec'), 'data');
  await assert.rejects(
    rt.create({ id: b.id, bundleDir: b.bundleDir, spec: buildSpec(b.input), logPath: b.logPath, stdin: false, tty: false }),
    (err: unknown) => err instanceof ContainerStartError && err.exitCode === 126,
  );
});

test('default capabilities match docker (CapEff a80425fb) and seccomp is active', { skip }, async () => {
  const r = await runToExit(['sh', '-c', 'grep -E "^(CapEff|CapBnd|Seccomp|NoNewPrivs):" /proc/self/status; cat /proc/sys/net/ipv4/ip_unprivileged_port_start']);
  const text = r.logs.map((l) => l.line.toString()).join('');
  assert.match(text, /CapEff:\s+00000000a80425fb/);
  assert.match(text, /CapBnd:\s+00000000a80425fb/);
  assert.match(text, /Seccomp:\s+2/);
  assert.match(text, /\n0\n$/);
  const unconfined = await runToExit(['grep', 'Seccomp:', '/proc/self/status'], { seccomp: 'unconfined', capDrop: ['all'], capAdd: ['chown'] });
  assert.match(unconfined.logs.map((l) => l.line.toString()).join(''), /Seccomp:\s+0/);
});

test('--memory 16m: a memory hog is OOM-killed and detected', { skip }, async () => {
  const r = await runToExit(['sh', '-c', 'head -c 200m /dev/zero | tail'], { resources: { memory: 16 * 1024 * 1024 } });
  assert.equal(r.code, 137);
  assert.equal(r.oom, true);
});

test('a TTY container echoes input through the attach bridge; resize reaches the terminal', { skip }, async () => {
  const b = bundle(['sh'], { terminal: true });
  const a: { at?: ReturnType<Runtime['attach']> } = {};
  await rt.run({ id: b.id, bundleDir: b.bundleDir, spec: buildSpec(b.input), logPath: b.logPath, stdin: true, tty: true }, async () => {
    a.at = rt.attach(b.bundleDir, { stdin: true });
    await a.at.ready;
  });
  const at = a.at!;
  const out = collect(at.output);
  await rt.resize(b.bundleDir, 33, 101);
  at.stdin!.write('echo hi$((40+2)); stty size\n');
  await out.until('hi42');
  await out.until('33 101');
  at.stdin!.write('exit 7\n');
  assert.equal(await rt.waitExit(b.id), 7);
  await at.done;
  await rt.delete(b.id);
});

test('exec: output frames, stdin, exit code; TTY exec; pause/resume; stats; ps', { skip }, async () => {
  const b = bundle(['sleep', '60'], { resources: { pidsLimit: 50, memory: 64 * 1024 * 1024 } });
  const { pid } = await rt.run({ id: b.id, bundleDir: b.bundleDir, spec: buildSpec(b.input), logPath: b.logPath, stdin: false, tty: false });
  try {
    assert.ok(pid > 0);
    assert.equal((await rt.state(b.id)).status, 'running');

    const ex = await rt.exec(b.id, b.bundleDir, { args: ['sh', '-c', 'echo out; echo err >&2; read x; echo got $x; exit 5'], env: ['PATH=/bin:/usr/bin'], tty: false, stdin: true });
    assert.ok(ex.pid > 0);
    const o = collect(ex.output);
    ex.stdin!.end('hello\n');
    assert.equal(await ex.exit, 5);
    assert.deepEqual(demux(o.text()), { out: 'out\ngot hello\n', err: 'err\n' });

    const tty = await rt.exec(b.id, b.bundleDir, { args: ['sh', '-c', 'tty; stty size; exit 2'], env: ['PATH=/bin'], tty: true, stdin: false, consoleSize: { height: 20, width: 70 } });
    const t = collect(tty.output);
    assert.equal(await tty.exit, 2);
    assert.match(t.text(), /\/dev\/pts\/\d+\r\n20 70\r\n/);

    await assert.rejects(rt.exec(b.id, b.bundleDir, { args: ['nosuchcmd'], env: [], tty: false, stdin: false }), (err: unknown) => err instanceof ContainerStartError && err.exitCode === 127);

    const detached = await rt.exec(b.id, b.bundleDir, { args: ['sh', '-c', 'exit 4'], env: ['PATH=/bin'], tty: false, stdin: false, detach: true });
    assert.equal(await detached.exit, 4);

    const pids = await rt.ps(b.id);
    assert.ok(pids.includes(pid));
    const s = await rt.stats(b.id);
    assert.ok((s.memory_stats.usage ?? 0) > 0);
    assert.equal(s.memory_stats.limit, 64 * 1024 * 1024);
    assert.equal(s.pids_stats.limit, 50);
    assert.ok((s.pids_stats.current ?? 0) >= 1);
    assert.ok(s.cpu_stats.system_cpu_usage > 0);
    assert.ok(s.cpu_stats.online_cpus > 0);

    await rt.pause(b.id);
    assert.equal((await rt.state(b.id)).status, 'paused');
    await rt.resume(b.id);
    assert.equal((await rt.state(b.id)).status, 'running');

    await rt.update(b.id, { memory: { limit: 32 * 1024 * 1024, swap: 64 * 1024 * 1024 } });
    assert.equal((await rt.stats(b.id)).memory_stats.limit, 32 * 1024 * 1024);

    await rt.kill(b.id, 'SIGKILL');
    assert.equal(await rt.waitExit(b.id), 137);
    assert.equal(await rt.exitCode(b.id), 137);
  } finally {
    await rt.delete(b.id, true).catch(() => {});
  }
  const cg = rt.cgroupPaths(b.id);
  assert.throws(() => execFileSync('ls', [cg.dir('memory')], { stdio: 'ignore' }));
});

test('logs --follow ends when the container exits and the log is drained', { skip }, async () => {
  const b = bundle(['sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.1; done']);
  await rt.run({ id: b.id, bundleDir: b.bundleDir, spec: buildSpec(b.input), logPath: b.logPath, stdin: false, tty: false });
  const exited = rt.waitExit(b.id);
  const lines: string[] = [];
  for await (const l of readLogs(b.logPath, { follow: true, exited })) lines.push(l.line.toString());
  assert.deepEqual(lines, ['line1\n', 'line2\n', 'line3\n']);
  await rt.delete(b.id);
});

test('timing: create+start+exit+delete of `true` vs bare runc run (median of 20)', { skip }, async (t) => {
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ours: number[] = [];
  for (let i = 0; i < 20; i++) {
    const b = bundle(['true']);
    const spec = buildSpec(b.input);
    const t0 = performance.now();
    await rt.run({ id: b.id, bundleDir: b.bundleDir, spec, logPath: b.logPath, stdin: false, tty: false });
    assert.equal(await rt.waitExit(b.id), 0);
    await rt.delete(b.id);
    ours.push(performance.now() - t0);
  }
  const bare: number[] = [];
  for (let i = 0; i < 20; i++) {
    const b = bundle(['true']);
    writeFileSync(join(b.bundleDir, 'config.json'), JSON.stringify(buildSpec(b.input)));
    const t0 = performance.now();
    execFileSync('/usr/sbin/runc', [`--root=${rt.runcRoot}`, 'run', '--bundle', b.bundleDir, b.id], { stdio: 'ignore' });
    bare.push(performance.now() - t0);
  }
  t.diagnostic(`minke create+start+exit+delete median ${median(ours).toFixed(1)} ms; bare runc run median ${median(bare).toFixed(1)} ms`);
});
