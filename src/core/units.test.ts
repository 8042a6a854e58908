import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgument } from './errors.js';
import { parseGoDuration, parseTimestamp, parseTimestampNs } from './units.js';

test('Go durations', () => {
  assert.equal(parseGoDuration('1m30s'), 90e9);
  assert.equal(parseGoDuration('1.5h'), 5400e9);
  assert.equal(parseGoDuration('200ms'), 200e6);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('-2s'), -2e9);
  assert.equal(parseGoDuration('10'), undefined);
  assert.equal(parseGoDuration('1d'), undefined);
});

test('timestamps as the daemon takes them: unix seconds, durations back from now, dates', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  assert.equal(parseTimestamp('1700000000', now), 1700000000e3);
  assert.equal(parseTimestamp('1700000000.5', now), 1700000000500);
  assert.equal(parseTimestamp('1h', now), now - 3600e3);
  assert.equal(parseTimestamp('1h30m', now), now - 5400e3);
  assert.equal(parseTimestamp('2026-11-23T10:00:00Z', now), Date.parse('2026-11-23T10:00:00Z'));
  assert.equal(parseTimestamp('2026-11-23T10:00:00.123456789+01:00', now), Date.parse('2026-11-23T09:00:00.123Z'));
  assert.throws(() => parseTimestamp('yesterday', now), (e: unknown) => e instanceof InvalidArgument && /failed to parse value as time or duration: "yesterday"/.test(e.message));
});

test('parseTimestampNs keeps the nanoseconds the docker CLI sends', () => {
  assert.equal(parseTimestampNs('1795457734.131830278'), 1795457734131830278n);
  assert.equal(parseTimestampNs('1795457734'), 1795457734000000000n);
  assert.equal(parseTimestampNs('2026-11-23T18:15:34.131830278Z'), 1795457734131830278n);
  assert.equal(parseTimestampNs('1h', 1795457734000), 1795454134000000000n);
});
