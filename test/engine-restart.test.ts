// Containers outlive the engine: conmon keeps them (and their logs) while the daemon is down,
// and the next daemon on the same roots adopts them. Bad input leaves nothing on the host.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestEngine, processAlive as alive, waitFor } from './harness.js';

const TICKER = 'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done';
const ZERO_TIME = '0001-01-01T00:00:00Z';

describe('engine restart: containers outlive the engine', { concurrency: false, timeout: 180_000 }, () => {
  const e = new TestEngine();
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

  it('keeps a container running through SIGKILL of the engine and adopts it', async () => {
    const id = (await e.ok(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', TICKER])).trim();
    const pid = Number((await e.ok(['inspect', '-f', '{{.State.Pid}}', id])).trim());
    assert.ok(pid > 0, `pid ${pid}`);
    await waitFor(async () => ticks(await e.ok(['logs', 'ticker'])).length >= 3, 'ticks before the kill');
    const beforeKill = ticks(await e.ok(['logs', 'ticker']));

    await e.stopEngine('SIGKILL');
    assert.ok(alive(pid), 'the container process survives the engine');
    await sleep(1000); // ticks written while no engine runs: conmon keeps logging
    assert.ok(alive(pid), 'still alive while the engine is down');

    await e.start();
    assert.equal((await e.ok(['ps', '--format', '{{.Names}} {{.Status}}'])).trim().split('\n').filter((l) => /^ticker Up/.test(l)).length, 1,
      'docker ps lists it Up');
    assert.equal((await e.ok(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.State.Pid}}', 'ticker'])).trim(), `running true ${pid}`);
    const atRestart = Math.max(...ticks(await e.ok(['logs', 'ticker'])));
    await waitFor(async () => Math.max(...ticks(await e.ok(['logs', 'ticker']))) >= atRestart + 2, 'ticks after the restart');
    const all = ticks(await e.ok(['logs', 'ticker']));
    assert.deepEqual(all, all.map((_, i) => i), 'one unbroken sequence tick0..tickN, before, during and after');
    assert.ok(all.length > beforeKill.length + 5, `lines from while the engine was down and after (${beforeKill.length} -> ${all.length})`);

    // The adopted container is fully managed again: exec, stop, exit code.
    assert.equal(await e.ok(['exec', 'ticker', 'echo', 'in']), 'in\n');
    await e.ok(['stop', '-t', '1', 'ticker']);
    assert.ok(!alive(pid), 'the process is gone after stop');
    const st = await e.ok(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.FinishedAt}}', 'ticker']);
    const [status, running, code, finished] = st.trim().split(' ');
    assert.equal(`${status} ${running} ${code}`, 'exited false 137', 'sh as pid 1 ignores TERM: killed after -t 1');
    assert.notEqual(finished, ZERO_TIME);
    assert.equal((await e.ok(['wait', 'ticker'], { timeout: 10_000 })).trim(), '137');
    await e.ok(['rm', 'ticker']);
  });

  it('records the exit code of a container that exited while the engine was down', async () => {
    const id = (await e.ok(['run', '-d', '--name', 'quitter', 'busybox', 'sh', '-c', 'sleep 1; echo done; exit 4'])).trim();
    const [pidText, started] = (await e.ok(['inspect', '-f', '{{.State.Pid}} {{.State.StartedAt}}', id])).trim().split(' ');
    const pid = Number(pidText);
    await e.stopEngine('SIGKILL');
    await waitForSync(() => !alive(pid) && !e.monitorAlive(id), 'the container and its monitor (which writes the exit file) to exit while the engine is down', 10_000);

    await e.start();
    const st = await e.ok(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.Pid}} {{.State.FinishedAt}}', 'quitter']);
    const [status, running, code, p, finished] = st.trim().split(' ');
    assert.equal(`${status} ${running} ${code} ${p}`, 'exited false 4 0');
    assert.notEqual(finished, ZERO_TIME, 'FinishedAt set');
    assert.ok(Date.parse(finished!) >= Date.parse(started!), `FinishedAt ${finished} not before StartedAt ${started}`);
    assert.match(await e.ok(['logs', 'quitter']), /^done$/m);
    const w = await e.docker(['wait', 'quitter'], { timeout: 10_000 });
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout.trim(), '4');
    assert.equal((await e.ok(['ps', '-q'])).trim(), '', 'not listed as running');
    const left = e.leftovers();
    assert.deepEqual({ mounts: left.mounts, conmon: left.conmon, runc: left.runc }, { mounts: [], conmon: [], runc: [] },
      'its mount, conmon and runc state are cleaned once the exit is noticed');
    await e.ok(['rm', 'quitter']);
  });

  it('removes a --rm container that exited while the engine was down', async () => {
    const id = (await e.ok(['run', '-d', '--rm', '--name', 'gone', 'busybox', 'sh', '-c', 'sleep 1; exit 3'])).trim();
    const pid = Number((await e.ok(['inspect', '-f', '{{.State.Pid}}', id])).trim());
    await e.stopEngine('SIGKILL');
    await waitForSync(() => !alive(pid) && !e.monitorAlive(id), 'the container and its monitor to exit while the engine is down', 10_000);
    await e.start();
    await waitFor(async () => (await e.ok(['ps', '-aq'])).trim() === '', 'the --rm container to be removed');
    const r = await e.docker(['inspect', 'gone']);
    assert.equal(r.code, 1);
    assert.deepEqual(e.leftovers(), { mounts: [], conmon: [], runc: [], snapshots: [] });
  });

  it('keeps containers running through a graceful stop (SIGTERM) and adopts them', async () => {
    const id = (await e.ok(['run', '-d', '--name', 'calm', 'busybox', 'sh', '-c', TICKER])).trim();
    const pid = Number((await e.ok(['inspect', '-f', '{{.State.Pid}}', id])).trim());
    await waitFor(async () => ticks(await e.ok(['logs', 'calm'])).length >= 2, 'ticks before the stop');
    await e.stopEngine('SIGTERM');
    assert.ok(alive(pid), 'a graceful engine stop leaves the container running');
    await sleep(500);
    assert.ok(alive(pid));
    await e.start();
    assert.match(await e.ok(['ps', '--format', '{{.Names}} {{.Status}}']), /^calm Up/m);
    assert.equal((await e.ok(['inspect', '-f', '{{.State.Pid}}', 'calm'])).trim(), String(pid));
    const n = Math.max(...ticks(await e.ok(['logs', 'calm'])));
    await waitFor(async () => Math.max(...ticks(await e.ok(['logs', 'calm']))) > n, 'ticks after the restart');
    // Killing the adopted container is noticed: docker wait returns its exit code.
    const wait = e.docker(['wait', 'calm'], { timeout: 15_000 });
    await sleep(200);
    await e.ok(['kill', 'calm']);
    const w = await wait;
    assert.equal(w.stdout.trim(), '137', w.stderr);
    assert.ok(!alive(pid));
    assert.equal((await e.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'calm'])).trim(), 'exited 137');
    await e.ok(['rm', 'calm']);
  });

  it('survives two restarts in a row with a container still running', async () => {
    const id = (await e.ok(['run', '-d', '--name', 'twice', 'busybox', 'sleep', '1000'])).trim();
    const pid = Number((await e.ok(['inspect', '-f', '{{.State.Pid}}', id])).trim());
    await e.stopEngine('SIGKILL');
    await e.start();
    await e.stopEngine('SIGKILL');
    await e.start();
    assert.equal((await e.ok(['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', 'twice'])).trim(), `true ${pid}`);
    await e.ok(['rm', '-f', 'twice']);
    assert.ok(!alive(pid));
  });

  it('leaves nothing on the host once its containers are removed', async () => {
    for (const id of (await e.ok(['ps', '-aq'])).split('\n').filter(Boolean)) await e.ok(['rm', '-f', id]);
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '');
    assert.deepEqual(e.leftovers(), { mounts: [], conmon: [], runc: [], snapshots: [] });
  });
});

describe('engine: bad input leaves nothing behind', { concurrency: false, timeout: 120_000 }, () => {
  const e = new TestEngine();
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());

  it('cleans up after a --rm run whose command does not exist', async () => {
    const r = await e.docker(['run', '--rm', 'busybox', 'nosuchcmd'], { timeout: 20_000 });
    assert.equal(r.code, 127, r.stderr);
    assert.match(r.stderr, /nosuchcmd/);
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '', 'no record');
    assert.deepEqual(e.leftovers(), { mounts: [], conmon: [], runc: [], snapshots: [] });
  });

  it('cleans up after create --name x twice (docker refuses one-character names)', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await e.docker(['create', '--name', 'x', 'busybox']);
      assert.equal(r.code, 1, 'docker requires [a-zA-Z0-9][a-zA-Z0-9_.-]+: at least two characters');
      assert.match(r.stderr, /Invalid container name \(x\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
    }
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '', 'no record');
    assert.deepEqual(e.leftovers(), { mounts: [], conmon: [], runc: [], snapshots: [] });
  });

  it('cleans up after a name conflict on create', async () => {
    await e.ok(['create', '--name', 'xx', 'busybox']);
    const r = await e.docker(['create', '--name', 'xx', 'busybox']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Conflict. The container name "\/xx" is already in use/);
    const all = (await e.ok(['ps', '-a', '--format', '{{.Names}}'])).trim();
    assert.equal(all, 'xx', 'only the first container exists');
    assert.equal(e.leftovers().snapshots.length, 1, 'one snapshot: the refused create made none');
    await e.ok(['rm', 'xx']);
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '');
    assert.deepEqual(e.leftovers(), { mounts: [], conmon: [], runc: [], snapshots: [] });
  });

  it('cleans up a run whose command does not exist without --rm once removed', async () => {
    const r = await e.docker(['run', '--name', 'bad', 'busybox', 'nosuchcmd'], { timeout: 20_000 });
    assert.equal(r.code, 127, r.stderr);
    assert.equal((await e.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'bad'])).trim(), 'created 127');
    const left = e.leftovers();
    assert.deepEqual({ mounts: left.mounts, conmon: left.conmon, runc: left.runc }, { mounts: [], conmon: [], runc: [] });
    await e.ok(['rm', 'bad']);
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '');
    assert.deepEqual(e.leftovers(), { mounts: [], conmon: [], runc: [], snapshots: [] });
  });

  it('leaves nothing after an engine restart either', async () => {
    await e.stopEngine('SIGKILL');
    await e.start();
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '');
    assert.deepEqual(e.leftovers(), { mounts: [], conmon: [], runc: [], snapshots: [] });
  });
});

/** The tick numbers in a ticker's log, in order. */
function ticks(log: string): number[] {
  return [...log.matchAll(/^tick(\d+)$/gm)].map((m) => Number(m[1]));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function waitForSync(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  return waitFor(() => Promise.resolve(cond()), what, ms);
}
