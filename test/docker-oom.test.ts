// Live `oom` events through the docker CLI: a container whose memory limit is hit gets its event
// as it happens (as dockerd gives containerd's TaskOOM), State.OOMKilled from then on, also when
// only a child was killed or (cgroup v1) the cgroup stalls under --oom-kill-disable.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEngine, waitFor } from './harness.js';

// The memory controller: v1 (hybrid hosts like this one) has memory.oom_control, v2 memory.events.
const v1 = existsSync('/sys/fs/cgroup/memory/memory.oom_control');
const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers') && !v1;
const noMemoryCgroup = !v1 && !v2 ? 'no memory cgroup controller on this host' : false;
// Touches 64 MiB at once (dd's buffer): past a 32 MiB limit without swap.
const HOG = 'dd if=/dev/zero of=/dev/null bs=64M count=1';
const LIMIT = ['-m', '32m', '--memory-swap', '32m'];

describe('oom events', { concurrency: false, skip: noMemoryCgroup }, () => {
  const e = new TestEngine();
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

  const since = (): string => String(Math.floor(Date.now() / 1000) - 1);
  const actions = async (name: string, from: string): Promise<string[]> => {
    const out = await e.ok(['events', '--since', from, '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', `container=${name}`, '--format', '{{.Action}}']);
    return out.split('\n').filter((a) => a === 'oom' || a === 'die');
  };
  const state = async (name: string): Promise<string> => (await e.ok(['inspect', '-f', '{{.State.Status}} {{.State.OOMKilled}}', name])).trim();

  it('reports a child killed by the OOM killer while the container runs on', async () => {
    const from = since();
    // The hog runs in the first run only (the file stays in the container's layer).
    await e.ok(['run', '-d', '--name', 'child-oom', ...LIMIT, 'busybox', 'sh', '-c', `if [ ! -e /once ]; then touch /once; ${HOG}; fi; echo survived; sleep 1000`]);
    await waitFor(async () => (await actions('child-oom', from)).includes('oom'), 'the oom event', 30_000);
    assert.deepEqual(await actions('child-oom', from), ['oom']);
    await waitFor(async () => (await e.ok(['logs', 'child-oom'])).includes('survived'), 'the shell going on');
    assert.equal(await state('child-oom'), 'running true');
    // Stopped normally afterwards: the run still had an OOM kill, and no second event comes.
    await e.ok(['stop', '-t', '0', 'child-oom']);
    assert.equal(await state('child-oom'), 'exited true');
    assert.deepEqual(await actions('child-oom', from), ['oom', 'die']);
    // A new run starts clean, and stays so once past where the first one was killed.
    await e.ok(['start', 'child-oom']);
    await waitFor(async () => (await e.ok(['logs', 'child-oom'])).split('survived').length === 3, 'the second run going on');
    assert.equal(await state('child-oom'), 'running false');
  });

  it('reports the main process killed once, before its die', async () => {
    const from = since();
    const r = await e.docker(['run', '--name', 'main-oom', ...LIMIT, 'busybox', 'sh', '-c', `exec ${HOG}`]);
    assert.equal(r.code, 137, r.stderr);
    assert.equal(await state('main-oom'), 'exited true');
    assert.deepEqual(await actions('main-oom', from), ['oom', 'die']);
  });

  it('reports a cgroup stalled under --oom-kill-disable (cgroup v1), the container still running', { skip: v1 ? false : 'cgroup v2 has no oom_kill_disable (dockerd ignores the flag there)' }, async (t) => {
    // What the kernel and conmon saw, for a run that gave no event.
    const seen = async (name: string): Promise<string> => {
      const pid = (await e.ok(['inspect', '-f', '{{.State.Pid}}', name])).trim();
      const mem = /^\d+:memory:(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1] ?? '?';
      const read = (f: string): string => { try { return readFileSync(join('/sys/fs/cgroup/memory', mem, f), 'utf8').trim().replace(/\n/g, ' '); } catch { return '?'; } };
      return `pid ${pid}, cgroup ${mem}: ${read('memory.oom_control')}; limit ${read('memory.limit_in_bytes')} usage ${read('memory.usage_in_bytes')} max ${read('memory.max_usage_in_bytes')} failcnt ${read('memory.failcnt')}; state ${await state(name)}; logs ${JSON.stringify(await e.ok(['logs', name]))}`;
    };
    // Twice at most: under heavy load the kernel has been seen to leave the cgroup not under OOM
    // (under_oom 0, no event) for a minute; the diagnostics of such a try are reported.
    for (let attempt = 1; ; attempt++) {
      const name = `stalled${attempt}`;
      const from = since();
      await e.ok(['run', '-d', '--name', name, ...LIMIT, '--oom-kill-disable', 'busybox', 'sh', '-c', `${HOG}; echo done; sleep 1000`]);
      try {
        await waitFor(async () => (await actions(name, from)).includes('oom'), 'the oom event', 60_000);
      } catch (err) {
        const why = `${(err as Error).message}; ${await seen(name)}`;
        if (attempt === 2) throw new Error(why);
        t.diagnostic(`try ${attempt}: ${why}`);
        await e.ok(['rm', '-f', name]);
        continue;
      }
      assert.equal(await state(name), 'running true');
      assert.doesNotMatch(await e.ok(['logs', name]), /done/);
      await e.ok(['rm', '-f', name]);
      return;
    }
  });
});
