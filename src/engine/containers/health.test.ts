import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { goDuration, parseGoDuration } from '../../core/units.js';
import { HealthMonitor, healthSettings, initialHealth, nextInterval, recordResult, type Health, type HealthcheckResult, type ProbeOutcome } from './health.js';

const result = (code: number): HealthcheckResult => ({ Start: '', End: '', ExitCode: code, Output: '' });

describe('health settings', () => {
  it("fills docker's defaults", () => {
    assert.deepEqual(healthSettings({ Healthcheck: { Test: ['CMD', 'true'] } }), {
      argv: ['true'], intervalMs: 30_000, timeoutMs: 30_000, timeoutNs: 30e9, startPeriodMs: 0, startIntervalMs: 5_000, retries: 3,
    });
  });

  it('runs CMD-SHELL through the container shell', () => {
    assert.deepEqual(healthSettings({ Healthcheck: { Test: ['CMD-SHELL', 'test -f /x'] } })?.argv, ['/bin/sh', '-c', 'test -f /x']);
    assert.deepEqual(healthSettings({ Shell: ['/bin/ash', '-e', '-c'], Healthcheck: { Test: ['CMD-SHELL', 'x'] } })?.argv, ['/bin/ash', '-e', '-c', 'x']);
  });

  it('has no probe for NONE, an empty test or none at all', () => {
    assert.equal(healthSettings({ Healthcheck: { Test: ['NONE'] } }), undefined);
    assert.equal(healthSettings({ Healthcheck: { Interval: 1e9 } }), undefined);
    assert.equal(healthSettings({}), undefined);
  });

  it('takes durations in nanoseconds', () => {
    const s = healthSettings({ Healthcheck: { Test: ['CMD', 'x'], Interval: 200e6, Timeout: 1.5e9, StartPeriod: 2e9, StartInterval: 100e6, Retries: 2 } })!;
    assert.deepEqual([s.intervalMs, s.timeoutMs, s.startPeriodMs, s.startIntervalMs, s.retries], [200, 1500, 2000, 100, 2]);
  });
});

describe('health state machine', () => {
  const s = { retries: 2, startPeriodMs: 0 };

  it('starting -> healthy on success, unhealthy after `retries` failures in a row', () => {
    const h = initialHealth();
    assert.equal(h.Status, 'starting');
    recordResult(h, result(0), s, 100);
    assert.equal(h.Status, 'healthy');
    recordResult(h, result(1), s, 200);
    assert.deepEqual([h.Status, h.FailingStreak], ['healthy', 1]);
    recordResult(h, result(1), s, 300);
    assert.deepEqual([h.Status, h.FailingStreak], ['unhealthy', 2]);
    assert.equal(recordResult(h, result(0), s, 400), 'unhealthy', 'returns the status before');
    assert.deepEqual([h.Status, h.FailingStreak], ['healthy', 0]);
  });

  it('any non-zero exit (also -1 for a timeout) is a failure', () => {
    const h = initialHealth();
    recordResult(h, result(-1), s, 0);
    recordResult(h, result(2), s, 0);
    assert.equal(h.Status, 'unhealthy');
  });

  it('does not count failures within the start period until a probe succeeded', () => {
    const sp = { retries: 1, startPeriodMs: 1000 };
    const h = initialHealth();
    recordResult(h, result(1), sp, 500);
    assert.deepEqual([h.Status, h.FailingStreak], ['starting', 0]);
    recordResult(h, result(1), sp, 1500);
    assert.equal(h.Status, 'unhealthy');
    const h2 = initialHealth();
    recordResult(h2, result(0), sp, 100);
    recordResult(h2, result(1), sp, 200);
    assert.equal(h2.Status, 'unhealthy', 'once healthy, failures count at once');
  });

  it('keeps the last five results', () => {
    const h = initialHealth();
    for (let i = 0; i < 7; i++) recordResult(h, { ...result(0), Output: String(i) }, s, 0);
    assert.deepEqual(h.Log.map((r) => r.Output), ['2', '3', '4', '5', '6']);
  });

  it('a restart resets status and streak and keeps the log', () => {
    const h: Health = { Status: 'unhealthy', FailingStreak: 4, Log: [result(1)] };
    assert.deepEqual(initialHealth(h), { Status: 'starting', FailingStreak: 0, Log: [result(1)] });
  });

  it('probes at the start interval while starting in the start period', () => {
    const t = { intervalMs: 30_000, startIntervalMs: 5_000, startPeriodMs: 60_000 };
    assert.equal(nextInterval(t, 1_000, 'starting'), 5_000);
    assert.equal(nextInterval(t, 1_000, 'healthy'), 30_000);
    assert.equal(nextInterval(t, 61_000, 'starting'), 30_000);
  });
});

describe('Go durations', () => {
  it('formats as time.Duration.String()', () => {
    assert.deepEqual([30e9, 200e6, 1.5e9, 90e9, 120e9, 3_723e9, 1500, 0].map(goDuration), ['30s', '200ms', '1.5s', '1m30s', '2m0s', '1h2m3s', '1.5µs', '0s']);
  });

  it('parses as time.ParseDuration', () => {
    assert.deepEqual(['200ms', '1m30s', '1.5h', '0', '10us'].map(parseGoDuration), [200e6, 90e9, 5400e9, 0, 10e3]);
    assert.equal(parseGoDuration('5'), undefined);
    assert.equal(parseGoDuration('abc'), undefined);
  });
});

describe('HealthMonitor', () => {
  it('probes every interval, reports status changes, and stops', async () => {
    const codes = [0, 1, 1, 0];
    let calls = 0;
    const changes: string[] = [];
    const health = initialHealth();
    const m = new HealthMonitor({
      settings: { argv: ['x'], intervalMs: 10, timeoutMs: 1000, timeoutNs: 1e9, startPeriodMs: 0, startIntervalMs: 10, retries: 2 },
      startedAtMs: Date.now(),
      health,
      probe: async (): Promise<ProbeOutcome> => ({ exitCode: codes[Math.min(calls++, codes.length - 1)]!, output: 'out' }),
      onResult: (changed) => { if (changed) changes.push(health.Status); },
    });
    const end = Date.now() + 2000;
    while (calls < 4 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    m.stop();
    await m.done;
    const after = calls;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(calls, after, 'no probe after stop');
    assert.deepEqual(changes.slice(0, 3), ['healthy', 'unhealthy', 'healthy']);
    assert.equal(health.Log[0]!.Output, 'out');
  });

  it('drops the result of a probe in flight when stopped, and a probe error is a failure', async () => {
    const health = initialHealth();
    let seen: AbortSignal | undefined;
    const m = new HealthMonitor({
      settings: { argv: ['x'], intervalMs: 1, timeoutMs: 1000, timeoutNs: 1e9, startPeriodMs: 0, startIntervalMs: 1, retries: 1 },
      startedAtMs: Date.now(),
      health,
      probe: (signal) => {
        seen = signal;
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      },
      onResult: () => assert.fail('no result after stop'),
    });
    while (!seen) await new Promise((r) => setTimeout(r, 1));
    m.stop();
    await m.done;
    assert.equal(health.Log.length, 0);

    const h2 = initialHealth();
    const m2 = new HealthMonitor({
      settings: { argv: ['x'], intervalMs: 1, timeoutMs: 1000, timeoutNs: 1e9, startPeriodMs: 0, startIntervalMs: 1, retries: 1 },
      startedAtMs: Date.now(),
      health: h2,
      probe: () => Promise.reject(new Error('exec failed')),
      onResult: () => m2.stop(),
    });
    await m2.done;
    assert.deepEqual([h2.Status, h2.Log[0]!.ExitCode, h2.Log[0]!.Output], ['unhealthy', -1, 'exec failed']);
  });
});
