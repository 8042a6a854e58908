import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FIRST_DELAY_MS, MAX_DELAY_MS, RestartManager, nextDelay, policyRestarts } from './restart-policy.js';

describe('restart back-off', () => {
  it('starts at 100ms, doubles, caps at a minute', () => {
    const seen: number[] = [];
    let d = 0;
    for (let i = 0; i < 12; i++) {
      d = nextDelay(d, 50);
      seen.push(d);
    }
    assert.deepEqual(seen.slice(0, 5), [100, 200, 400, 800, 1600]);
    assert.equal(seen[9], 51_200);
    assert.equal(seen[10], MAX_DELAY_MS);
    assert.equal(seen[11], MAX_DELAY_MS);
  });

  it('resets after a run of 10 seconds or more', () => {
    assert.equal(nextDelay(6400, 9_999), 12_800);
    assert.equal(nextDelay(6400, 10_000), FIRST_DELAY_MS);
  });
});

describe('restart policies', () => {
  const facts = { exitCode: 1, manuallyStopped: false, restartCount: 0 };

  it('no and empty never restart', () => {
    assert.equal(policyRestarts({ Name: 'no' }, facts), false);
    assert.equal(policyRestarts({ Name: '' }, facts), false);
    assert.equal(policyRestarts(undefined, facts), false);
  });

  it('always restarts whatever the exit and a manual stop', () => {
    assert.equal(policyRestarts({ Name: 'always' }, { ...facts, exitCode: 0, manuallyStopped: true }), true);
  });

  it('unless-stopped restarts unless the user stopped it', () => {
    assert.equal(policyRestarts({ Name: 'unless-stopped' }, { ...facts, exitCode: 0 }), true);
    assert.equal(policyRestarts({ Name: 'unless-stopped' }, { ...facts, manuallyStopped: true }), false);
  });

  it('on-failure restarts non-zero exits, up to the maximum', () => {
    const p = { Name: 'on-failure' as const, MaximumRetryCount: 3 };
    assert.equal(policyRestarts(p, { ...facts, exitCode: 0 }), false);
    assert.equal(policyRestarts(p, { ...facts, restartCount: 2 }), true);
    assert.equal(policyRestarts(p, { ...facts, restartCount: 3 }), false);
    assert.equal(policyRestarts({ Name: 'on-failure' }, { ...facts, restartCount: 1000 }), true, '0 means no maximum');
  });
});

describe('RestartManager', () => {
  it('gives growing delays while the policy restarts', () => {
    const m = new RestartManager({ Name: 'always' });
    const delays = [0, 1, 2].map(() => m.shouldRestart({ exitCode: 0, manuallyStopped: false, restartCount: 0, ranMs: 10 }));
    assert.deepEqual(delays, [100, 200, 400]);
    assert.equal(m.shouldRestart({ exitCode: 0, manuallyStopped: false, restartCount: 0, ranMs: 20_000 }), 100);
  });

  it('a cancel ends restarts and wakes a waiting restart', async () => {
    const m = new RestartManager({ Name: 'always' });
    const waiting = m.wait(5_000);
    m.cancel();
    assert.equal(await waiting, false);
    assert.equal(m.shouldRestart({ exitCode: 1, manuallyStopped: false, restartCount: 0, ranMs: 0 }), undefined);
    assert.equal(await m.wait(1), false);
  });

  it('wait resolves true after the delay', async () => {
    const m = new RestartManager({ Name: 'on-failure' });
    const t0 = Date.now();
    assert.equal(await m.wait(30), true);
    assert.ok(Date.now() - t0 >= 25);
  });

  it('follows a policy update', () => {
    const m = new RestartManager({ Name: 'always' });
    m.policy = { Name: 'no' };
    assert.equal(m.shouldRestart({ exitCode: 1, manuallyStopped: false, restartCount: 0, ranMs: 0 }), undefined);
  });
});
