// Restart policies and health checks through the real docker CLI: docker's back-off and counts,
// stop/kill/rm while restarting, boot restarts after an engine crash, probes, ps and events.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEngine, busyboxTar, processAlive as alive, processState as procState, waitFor } from './harness.js';

interface Ev {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano: number;
}

describe('docker CLI: restart policies and health checks', { concurrency: false, timeout: 300_000 }, () => {
  const e = new TestEngine();
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  // A failed test leaves neither containers nor a stopped engine to the next.
  afterEach(() => e.reset());

  const inspect = async (c: string, f: string): Promise<string> => (await e.ok(['inspect', '-f', f, c])).trim();
  const now = (): string => (Date.now() / 1000).toFixed(3);
  /** Events from `since` until now, as `docker events --format '{{json .}}'` prints them. */
  const events = async (since: string, filters: string[] = []): Promise<Ev[]> => {
    const out = await e.ok(['events', '--since', since, '--until', now(), ...filters, '--format', '{{json .}}']);
    return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ev);
  };
  const psStatus = async (name: string, extra: string[] = []): Promise<string> => {
    const rows = (await e.ok(['ps', '-a', ...extra, '--format', '{{.Names}}\t{{.Status}}'])).split('\n');
    return rows.find((r) => r.startsWith(`${name}\t`))?.split('\t')[1] ?? '';
  };

  it('validates restart policies as the engine does, and updates them', async () => {
    const bad: Array<[string, RegExp]> = [
      ['always:3', /invalid restart policy: maximum retry count can only be used with 'on-failure'$/m],
      ['no:-1', /maximum retry count can only be used with 'on-failure' and cannot be negative/],
      ['on-failure:-1', /invalid restart policy: maximum retry count cannot be negative/],
      ['sometimes', /invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'/],
    ];
    for (const [policy, msg] of bad) {
      const r = await e.docker(['create', '--restart', policy, 'busybox']);
      assert.equal(r.code, 1, `${policy}: ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
    const cli = await e.docker(['run', '--rm', '--restart', 'always', 'busybox']);
    assert.equal(cli.code, 125);
    assert.match(cli.stderr, /conflicting options: cannot specify both --restart and --rm/);
    // The engine's own check, for API clients.
    const api = await e.run('curl', ['-s', '-w', '\n%{http_code}', '--unix-socket', e.socket, '-X', 'POST', '-H', 'Content-Type: application/json',
      '-d', JSON.stringify({ Image: 'busybox', HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }), 'http://minke/containers/create']);
    assert.deepEqual(api.stdout.split('\n'), ['{"message":"can\'t create \'AutoRemove\' container with restart policy"}', '400']);
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '', 'nothing created');

    await e.ok(['create', '--name', 'upd', 'busybox']);
    assert.equal(await inspect('upd', '{{.HostConfig.RestartPolicy.Name}}'), 'no');
    await e.ok(['update', '--restart', 'on-failure:2', 'upd']);
    const policy = '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}';
    assert.equal(await inspect('upd', policy), 'on-failure:2');
    await e.ok(['update', '--memory', '64m', 'upd']);
    assert.equal(await inspect('upd', policy), 'on-failure:2', 'an update without --restart keeps the policy');
    const badUpdate = await e.docker(['update', '--restart', 'always:2', 'upd']);
    assert.equal(badUpdate.code, 1);
    assert.match(badUpdate.stderr, /maximum retry count can only be used with 'on-failure'/);
    await e.ok(['rm', 'upd']);

    await e.ok(['run', '-d', '--rm', '--name', 'rmc', 'busybox', 'sleep', '100']);
    const r = await e.docker(['update', '--restart', 'always', 'rmc']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Restart policy cannot be updated because AutoRemove is enabled for the container/);
    await e.ok(['rm', '-f', 'rmc']);
  });

  it('restarts an on-failure:3 container exactly three times, with die then start each time', async () => {
    const t0 = now();
    const id = (await e.ok(['run', '-d', '--name', 'crash', '--restart', 'on-failure:3', 'busybox', 'sh', '-c', 'echo boom; sleep 0.3; exit 3'])).trim();
    await waitFor(async () => (await inspect('crash', '{{.State.Status}} {{.RestartCount}}')) === 'exited 3', 'three restarts, then exited', 20_000);
    await sleep(1000); // longer than the next back-off would be (800 ms): no fourth restart
    assert.equal(await inspect('crash', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}} {{.State.Restarting}}'), 'exited 3 3 false');
    assert.equal((await e.ok(['logs', 'crash'])).match(/boom/g)?.length, 4, 'four runs');
    assert.match(await psStatus('crash'), /^Exited \(3\) /);

    const evs = await events(t0, ['--filter', `container=${id}`]);
    const lifecycle = evs.map((x) => x.Action).filter((a) => ['start', 'die', 'restart', 'stop'].includes(a));
    assert.deepEqual(lifecycle, ['start', 'die', 'start', 'die', 'start', 'die', 'start', 'die'], 'no restart event for policy restarts');
    const dies = evs.filter((x) => x.Action === 'die');
    assert.equal(dies.length, 4);
    for (const d of dies) {
      assert.equal(d.Type, 'container');
      assert.equal(d.Actor.ID, id);
      assert.equal(d.Actor.Attributes.exitCode, '3');
      assert.equal(d.Actor.Attributes.name, 'crash');
      assert.equal(d.Actor.Attributes.image, 'busybox');
      assert.equal(Math.floor(d.timeNano / 1e9), d.time);
    }
    // Between a die and the next start: the back-off (100, 200, 400 ms) and the start itself.
    const gaps = evs.filter((x) => x.Action === 'die' || x.Action === 'start').map((x) => x.timeNano / 1e6);
    const waits = [1, 3, 5].map((i) => gaps[i + 1]! - gaps[i]!);
    assert.ok(waits[0]! >= 90 && waits[1]! >= 190 && waits[2]! >= 390, `back-off ${waits.join(', ')} ms`);

    // A manual start begins anew: RestartCount back to 0, three more restarts allowed.
    const t1 = now();
    await e.ok(['start', 'crash']);
    assert.ok(Number(await inspect('crash', '{{.RestartCount}}')) < 2, 'reset by the start');
    await waitFor(async () => (await events(t1, ['--filter', 'container=crash', '--filter', 'event=die'])).length === 4, 'four more runs', 20_000);
    await waitFor(async () => (await inspect('crash', '{{.State.Status}} {{.RestartCount}}')) === 'exited 3', 'three restarts again', 20_000);

    // on-failure leaves a clean exit alone.
    await e.ok(['run', '-d', '--name', 'clean', '--restart', 'on-failure', 'busybox', 'true']);
    await waitFor(async () => (await inspect('clean', '{{.State.Status}}')) === 'exited', 'clean exit');
    await sleep(400);
    assert.equal(await inspect('clean', '{{.State.Status}} {{.RestartCount}}'), 'exited 0');
    await e.ok(['rm', 'crash', 'clean']);
  });

  it('keeps following the policy when a restart fails to start', async () => {
    // The first run removes its own shell: each restart then fails to start (127), as on-failure:3 allows.
    const t0 = now();
    await e.ok(['run', '-d', '--name', 'noshell', '--restart', 'on-failure:3', 'busybox', 'sh', '-c', 'sleep 0.2; rm /bin/sh; exit 1']);
    await waitFor(async () => (await inspect('noshell', '{{.State.Status}} {{.RestartCount}}')) === 'exited 3', 'three failed restarts', 20_000);
    await sleep(1000);
    assert.equal(await inspect('noshell', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}} {{.State.Running}}'), 'exited 3 127 false');
    assert.match(await inspect('noshell', '{{.State.Error}}'), /sh/);
    const evs = (await events(t0, ['--filter', 'container=noshell'])).map((x) => x.Action).filter((a) => a === 'start' || a === 'die');
    assert.deepEqual(evs, ['start', 'die'], 'failed starts are neither start nor die');
    await e.ok(['rm', 'noshell']);
  });

  it('mounts a restarted container\'s volumes again each time and releases them', async () => {
    await e.ok(['run', '-d', '--name', 'volrs', '--restart', 'on-failure:2', '-v', 'rsvol:/data', 'busybox', 'sh', '-c', 'echo run >> /data/runs; exit 1']);
    await waitFor(async () => (await inspect('volrs', '{{.State.Status}} {{.RestartCount}}')) === 'exited 2', 'two restarts', 20_000);
    assert.equal(await e.ok(['run', '--rm', '-v', 'rsvol:/data', 'busybox', 'cat', '/data/runs']), 'run\nrun\nrun\n');
    await e.ok(['rm', 'volrs']);
    await e.ok(['volume', 'rm', 'rsvol']);
  });

  it('restarts an always container after exit 0, shows it restarting, and docker stop ends it', async () => {
    await e.ok(['run', '-d', '--name', 'loop', '--restart', 'always', 'busybox', 'true']);
    // After five restarts the back-off is 3.2 s and more: long enough to look at.
    await waitFor(async () => Number(await inspect('loop', '{{.RestartCount}}')) >= 5, 'five restarts', 20_000);
    await waitFor(async () => (await inspect('loop', '{{.State.Status}} {{.State.Restarting}} {{.State.Running}} {{.State.Pid}}')) === 'restarting true true 0',
      'restarting state', 10_000);
    assert.match(await psStatus('loop'), /^Restarting \(0\) (Less than a second|\d+ seconds?) ago$/);
    assert.match(await e.ok(['ps', '--filter', 'status=restarting', '--format', '{{.Names}}']), /^loop$/m);
    const ex = await e.docker(['exec', 'loop', 'true']);
    assert.notEqual(ex.code, 0);
    assert.match(ex.stderr, /is restarting, wait until the container is running/);

    const t1 = now();
    const began = Date.now();
    await e.ok(['stop', 'loop']);
    assert.ok(Date.now() - began < 9000, 'stop of a restarting container does not wait for its 10 s timeout');
    assert.equal(await inspect('loop', '{{.State.Status}} {{.State.Restarting}} {{.State.Running}}'), 'exited false false');
    const count = await inspect('loop', '{{.RestartCount}}');
    // Nothing may come after the stop: no restart within a back-off's time.
    await sleep(2000);
    assert.equal(await inspect('loop', '{{.State.Status}} {{.RestartCount}}'), `exited ${count}`, 'no restart after stop');
    // Under load the back-off may have run out since the look above: a start and die before the stop.
    const after = (await events(t1, ['--filter', 'container=loop'])).map((x) => x.Action);
    assert.equal(after.at(-1), 'stop', after.join(' '));
    assert.ok(after.slice(0, -1).join(' ').replace(/start die ?/g, '') === '', after.join(' '));
    await e.ok(['rm', 'loop']);
  });

  it('ends restarting on docker kill and removes a restarting container with rm -f', async () => {
    for (const name of ['k1', 'r1']) await e.ok(['run', '-d', '--name', name, '--restart', 'always', 'busybox', 'sh', '-c', 'exit 1']);
    const restartingAfter = async (c: string, n: number): Promise<boolean> => {
      const [count, status] = (await inspect(c, '{{.RestartCount}} {{.State.Status}}')).split(' ');
      return Number(count) >= n && status === 'restarting';
    };
    await waitFor(() => restartingAfter('k1', 5), 'k1 restarting with a long back-off', 20_000);
    await e.ok(['kill', 'k1']);
    assert.equal(await inspect('k1', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 1');
    const count = await inspect('k1', '{{.RestartCount}}');
    await sleep(1000);
    assert.equal(await inspect('k1', '{{.RestartCount}} {{.State.Status}}'), `${count} exited`);

    await waitFor(() => restartingAfter('r1', 5), 'r1 restarting with a long back-off', 20_000);
    const rm = await e.docker(['rm', 'r1']);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /cannot remove container "\/?r1": container is restarting: stop the container before removing or force remove/);
    await e.ok(['rm', '-f', 'r1']);
    assert.equal((await e.docker(['inspect', 'r1'])).code, 1);
    await e.ok(['rm', 'k1']);
    assert.doesNotMatch(await e.ok(['ps', '-a', '--format', '{{.Names}}']), /^(k1|r1)$/m);
  });

  it('turns healthy then unhealthy, shows it in ps, filters and events', async () => {
    const t0 = now();
    const id = (await e.ok(['run', '-d', '--name', 'hc', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '200ms', '--health-retries', '2',
      '--health-start-period', '60s', '--health-start-interval', '200ms', 'busybox', 'sleep', '1000'])).trim();
    await e.ok(['run', '-d', '--name', 'plain', 'busybox', 'sleep', '1000']);
    assert.equal(await inspect('hc', '{{.State.Health.Status}}'), 'starting');
    assert.match(await psStatus('hc'), /^Up .* \(health: starting\)$/);
    assert.match(await psStatus('plain'), /^Up (Less than a second|\d+ seconds?)$/);
    // Failures in the start period do not count: still starting after several probes.
    await waitFor(async () => (await inspect('hc', '{{len .State.Health.Log}}')) === '3', 'three failed probes', 10_000);
    assert.equal(await inspect('hc', '{{.State.Health.Status}} {{.State.Health.FailingStreak}}'), 'starting 0');
    const names = async (filter: string): Promise<string> => (await e.ok(['ps', '--filter', filter, '--format', '{{.Names}}'])).trim();
    assert.equal(await names('health=starting'), 'hc');
    assert.equal(await names('health=none'), 'plain');

    await e.ok(['exec', 'hc', 'touch', '/tmp/ok']);
    await waitFor(async () => (await inspect('hc', '{{.State.Health.Status}}')) === 'healthy', 'healthy', 10_000);
    assert.match(await psStatus('hc'), /^Up .* \(healthy\)$/);
    assert.equal(await names('health=healthy'), 'hc');
    assert.equal(await names('health=unhealthy'), '');

    await e.ok(['exec', 'hc', 'rm', '/tmp/ok']);
    await waitFor(async () => (await inspect('hc', '{{.State.Health.Status}}')) === 'unhealthy', 'unhealthy', 10_000);
    assert.match(await psStatus('hc'), /^Up .* \(unhealthy\)$/);
    assert.equal(await names('health=unhealthy'), 'hc');
    assert.equal(await names('health=starting'), '');
    const health = JSON.parse(await inspect('hc', '{{json .State.Health}}')) as { Status: string; FailingStreak: number; Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }> };
    assert.ok(health.FailingStreak >= 2, `FailingStreak ${health.FailingStreak}`);
    assert.equal(health.Log.length, 5, 'the last five results');
    const last = health.Log.at(-1)!;
    assert.equal(last.ExitCode, 1);
    assert.ok(Date.parse(last.End) >= Date.parse(last.Start));
    assert.equal(await inspect('hc', '{{json .ExecIDs}}'), 'null', 'probes are not the user\'s execs');
    const bad = await e.docker(['ps', '--filter', 'health=bogus']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Unrecognised filter value for health: bogus/);

    const hs = await events(t0, ['--filter', 'event=health_status', '--filter', 'container=hc']);
    assert.deepEqual(hs.map((x) => x.Action), ['health_status: healthy', 'health_status: unhealthy']);
    assert.deepEqual(hs.map((x) => [x.Type, x.Actor.ID, x.Actor.Attributes.name, x.Actor.Attributes.image]), [
      ['container', id, 'hc', 'busybox'], ['container', id, 'hc', 'busybox'],
    ]);
    const probes = await events(t0, ['--filter', 'container=hc', '--filter', 'event=exec_create', '--filter', 'event=exec_start', '--filter', 'event=exec_die']);
    const create = probes.find((x) => x.Action === 'exec_create: /bin/sh -c test -f /tmp/ok');
    assert.ok(create, `probe exec_create in ${probes.slice(0, 3).map((x) => x.Action).join(', ')}`);
    const execId = create.Actor.Attributes.execID!;
    assert.match(execId, /^[0-9a-f]{64}$/);
    const ofProbe = probes.filter((x) => x.Actor.Attributes.execID === execId).map((x) => x.Action);
    assert.deepEqual(ofProbe, ['exec_create: /bin/sh -c test -f /tmp/ok', 'exec_start: /bin/sh -c test -f /tmp/ok', 'exec_die']);
    assert.equal(probes.find((x) => x.Action === 'exec_die' && x.Actor.Attributes.execID === execId)!.Actor.Attributes.exitCode, '1');

    // Monitoring stops with the container and resumes, from starting, when it starts again.
    // (A probe may or may not run between the touch and the stop: the status at the stop stays.)
    await e.ok(['exec', 'hc', 'touch', '/tmp/ok']);
    await e.ok(['stop', '-t', '0', 'hc']);
    const t1 = now();
    const atStop = await inspect('hc', '{{.State.Health.Status}}');
    assert.match(atStop, /^(un)?healthy$/);
    await sleep(700);
    assert.deepEqual((await events(t1, ['--filter', 'container=hc', '--filter', 'event=exec_create'])).map((x) => x.Action), [], 'no probes while stopped');
    assert.match(await psStatus('hc'), /^Exited/);
    assert.equal(await inspect('hc', '{{.State.Health.Status}}'), atStop, 'the last status stays');
    const t2 = now();
    await e.ok(['start', 'hc']);
    // Back to starting, then healthy: a status change, so an event.
    await waitFor(async () => (await events(t2, ['--filter', 'container=hc', '--filter', 'event=health_status'])).length === 1, 'healthy after start', 10_000);
    assert.equal(await inspect('hc', '{{.State.Health.Status}} {{.State.Health.FailingStreak}}'), 'healthy 0');
    await e.ok(['rm', '-f', 'hc', 'plain']);
  });

  it("kills a probe at its timeout; takes the image's HEALTHCHECK, overrides and --no-healthcheck", async () => {
    await e.ok(['import', '--change', 'CMD ["sh"]', '--change', 'HEALTHCHECK --interval=200ms --timeout=300ms --retries=1 CMD echo slow; sleep 5',
      busyboxTar(), 'slowcheck:latest']);
    assert.equal(await e.ok(['image', 'inspect', '-f', '{{json .Config.Healthcheck}}', 'slowcheck']),
      '{"Test":["CMD-SHELL","echo slow; sleep 5"],"Interval":200000000,"Timeout":300000000,"Retries":1}\n');
    await e.ok(['run', '-d', '--name', 'slow', 'slowcheck', 'sleep', '1000']);
    await waitFor(async () => (await inspect('slow', '{{.State.Health.Status}}')) === 'unhealthy', 'unhealthy by timeout', 10_000);
    const log = JSON.parse(await inspect('slow', '{{json .State.Health.Log}}')) as Array<{ ExitCode: number; Output: string; Start: string; End: string }>;
    assert.equal(log[0]!.ExitCode, -1);
    assert.equal(log[0]!.Output, 'Health check exceeded timeout (300ms): slow\n');
    assert.ok(Date.parse(log[0]!.End) - Date.parse(log[0]!.Start) < 4500, 'killed, not waited for (the probe sleeps 5 s)');
    await e.ok(['rm', '-f', 'slow']);

    // The run's options merge over the image's check; --no-healthcheck disables it.
    await e.ok(['run', '-d', '--name', 'quick', '--health-cmd', 'true', 'slowcheck', 'sleep', '1000']);
    assert.equal(await inspect('quick', '{{json .Config.Healthcheck}}'), '{"Test":["CMD-SHELL","true"],"Interval":200000000,"Timeout":300000000,"Retries":1}');
    await waitFor(async () => (await inspect('quick', '{{.State.Health.Status}}')) === 'healthy', 'healthy', 10_000);
    await e.ok(['run', '-d', '--name', 'nocheck', '--no-healthcheck', 'slowcheck', 'sleep', '1000']);
    assert.equal(await inspect('nocheck', '{{json .State.Health}}'), 'null');
    assert.match(await psStatus('nocheck'), /^Up [^(]*$/);
    assert.equal((await e.ok(['ps', '--filter', 'health=none', '--format', '{{.Names}}'])).trim(), 'nocheck');
    await e.ok(['rm', '-f', 'quick', 'nocheck']);
    await e.ok(['rmi', 'slowcheck']);
  });

  it('brings always and unless-stopped containers back after an engine crash, and resumes health checks', async () => {
    await e.ok(['run', '-d', '--name', 'al', '--restart', 'always', 'busybox', 'sleep', '1000']);
    await e.ok(['run', '-d', '--name', 'us', '--restart', 'unless-stopped', 'busybox', 'sleep', '1000']);
    // Stopped by the user: unless-stopped stays down, always comes back (as dockerd at boot).
    await e.ok(['run', '-d', '--name', 'us-stopped', '--restart', 'unless-stopped', 'busybox', 'sleep', '1000']);
    await e.ok(['stop', '-t', '0', 'us-stopped']);
    await e.ok(['run', '-d', '--name', 'al-stopped', '--restart', 'always', 'busybox', 'sleep', '1000']);
    await e.ok(['stop', '-t', '0', 'al-stopped']);
    await e.ok(['run', '-d', '--name', 'no-policy', 'busybox', 'sleep', '1000']);
    // Fails once while the engine is down (when the test says so through a bound directory), then keeps running.
    const sig = join(e.dir, 'of-signal');
    mkdirSync(sig);
    await e.ok(['run', '-d', '--name', 'of', '--restart', 'on-failure:2', '-v', `${sig}:/sig`, 'busybox', 'sh', '-c',
      'if [ -f /once ]; then exec sleep 1000; fi; touch /once; while [ ! -f /sig/go ]; do sleep 0.1; done; exit 2']);
    await e.ok(['run', '-d', '--name', 'hcr', '--health-cmd', 'true', '--health-interval', '200ms', 'busybox', 'sleep', '1000']);
    await waitFor(async () => (await inspect('hcr', '{{.State.Health.Status}}')) === 'healthy', 'healthy before the crash', 10_000);

    const pids = new Map<string, number>();
    for (const c of ['al', 'us', 'no-policy', 'of']) pids.set(c, Number(await inspect(c, '{{.State.Pid}}')));
    const t0 = now();
    await e.stopEngine('SIGKILL');
    for (const c of ['al', 'us', 'no-policy']) process.kill(pids.get(c)!, 'SIGKILL');
    writeFileSync(join(sig, 'go'), '');
    // Their monitors write the exit files, then end.
    const ids = new Map<string, string>();
    for (const c of pids.keys()) ids.set(c, (await e.ok(['inspect', '-f', '{{.Id}}', c]).catch(() => '')).trim());
    try {
      await waitFor(() => [...pids.values()].every((p) => !alive(p)) && [...ids.values()].every((id) => !e.monitorAlive(id)),
        'the containers and their monitors to exit while the engine is down', 10_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${[...pids].map(([c, p]) => `${c} pid ${p} ${procState(p)} monitor ${e.monitorAlive(ids.get(c)!)}`).join(', ')}`);
    }
    await e.start();

    await waitFor(async () => {
      const st = await Promise.all(['al', 'us', 'of', 'al-stopped'].map((c) => inspect(c, '{{.State.Status}}')));
      return st.every((s) => s === 'running');
    }, 'always, unless-stopped and on-failure containers running again', 15_000);
    assert.equal(await inspect('us-stopped', '{{.State.Status}}'), 'exited', 'unless-stopped stopped by the user stays down');
    assert.equal(await inspect('no-policy', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');
    assert.equal(await inspect('al', '{{.RestartCount}} {{.State.ExitCode}}'), '1 0');
    assert.equal(await inspect('of', '{{.RestartCount}}'), '1');
    for (const c of ['al', 'us', 'of']) assert.notEqual(Number(await inspect(c, '{{.State.Pid}}')), pids.get(c), `${c} is a new process`);

    const evs = await events(t0, ['--filter', 'type=container']);
    const of = evs.filter((x) => x.Actor.Attributes.name === 'of').map((x) => `${x.Action} ${x.Actor.Attributes.exitCode ?? ''}`.trim());
    assert.deepEqual(of, ['die 2', 'start']);
    const al = evs.filter((x) => x.Actor.Attributes.name === 'al').map((x) => `${x.Action} ${x.Actor.Attributes.exitCode ?? ''}`.trim());
    assert.deepEqual(al, ['die 137', 'start']);

    // Health checks run again for the adopted container.
    const t1 = now();
    await waitFor(async () => (await events(t1, ['--filter', 'container=hcr', '--filter', 'event=exec_die'])).length >= 2, 'probes after the restart', 10_000);
    assert.equal(await inspect('hcr', '{{.State.Health.Status}}'), 'healthy');

    // docker restart still emits restart.
    const t2 = now();
    await e.ok(['restart', '-t', '0', 'us']);
    assert.deepEqual((await events(t2, ['--filter', 'container=us'])).map((x) => x.Action).filter((a) => ['die', 'start', 'restart', 'stop'].includes(a)),
      ['die', 'stop', 'start', 'restart']);
    for (const id of (await e.ok(['ps', '-aq'])).split('\n').filter(Boolean)) await e.ok(['rm', '-f', id]);
    assert.deepEqual(e.leftovers(), { mounts: [], conmon: [], runc: [], snapshots: [] });
  });

  it('filters and bounds events as docker does', async () => {
    const t0 = now();
    await e.ok(['run', '--name', 'ev1', '--label', 'team=a', 'busybox', 'true']);
    assert.equal((await e.docker(['run', '--name', 'ev2', '--label', 'team=b', 'busybox', 'sh', '-c', 'exit 4'])).code, 4);
    const t1 = now();
    await sleep(50);
    await e.ok(['rm', 'ev1', 'ev2']);
    const between = await events(t0, []);
    assert.ok(between.every((x) => x.timeNano / 1e6 <= Date.now()));
    const upto = await e.ok(['events', '--since', t0, '--until', t1, '--filter', 'event=die', '--format', '{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}']);
    assert.equal(upto, 'ev1 0\nev2 4\n', '--until bounds the replay');
    assert.deepEqual((await events(t0, ['--filter', 'label=team=b', '--filter', 'event=die'])).map((x) => x.Actor.Attributes.name), ['ev2']);
    assert.deepEqual((await events(t0, ['--filter', 'container=ev1', '--filter', 'event=destroy'])).length, 1);
    assert.deepEqual([...new Set((await events(t0, ['--filter', 'image=busybox', '--filter', 'type=container'])).map((x) => x.Actor.Attributes.name))], ['ev1', 'ev2']);
    assert.equal((await events(t0, ['--filter', 'type=image'])).length, 0);
    // network= and volume= are accepted and match by ID or name, whatever the type.
    assert.equal((await events(t0, ['--filter', 'network=nosuchnet'])).length, 0);
    assert.deepEqual([...new Set((await events(t0, ['--filter', 'volume=ev1'])).map((x) => x.Actor.Attributes.name))], ['ev1']);
    const bad = await e.docker(['events', '--since', t0, '--until', now(), '--filter', 'bogus=1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid filter 'bogus'/);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
