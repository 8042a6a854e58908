import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_RESOURCES } from '../types/resources.js';
import { humanDuration, tableRow } from './table.js';

describe('tables', () => {
  it('ages read as kubectl prints them (duration.HumanDuration)', () => {
    const s = 1000;
    assert.equal(humanDuration(5 * s), '5s');
    assert.equal(humanDuration(119 * s), '119s');
    assert.equal(humanDuration(270 * s), '4m30s');
    assert.equal(humanDuration(600 * s), '10m');
    assert.equal(humanDuration(3 * 3600 * s + 120 * s), '3h2m');
    assert.equal(humanDuration(30 * 3600 * s), '30h');
    assert.equal(humanDuration(3 * 86400 * s + 3600 * s), '3d1h');
    assert.equal(humanDuration(400 * 86400 * s), '400d');
    assert.equal(humanDuration(-5 * s), '<invalid>');
  });

  it('configmap rows count data and binaryData', () => {
    const cm = BUILTIN_RESOURCES.find((t) => t.resource === 'configmaps')!;
    const now = Date.parse('2026-01-01T00:01:00Z');
    const row = tableRow(cm, { metadata: { name: 'a', creationTimestamp: '2026-01-01T00:00:00Z' }, data: { x: '1', y: '2' }, binaryData: { z: '' } }, 'None', now);
    assert.deepEqual(row.cells, ['a', 3, '60s']);
  });
});
