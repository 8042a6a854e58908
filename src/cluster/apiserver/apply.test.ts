import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_RESOURCES } from '../types/resources.js';
import { applyToObject } from './apply.js';
import { decodeManaged, updateManagedFields } from './managed-fields.js';
import type { Obj } from './object.js';
import { ApiError } from './status.js';

const cmType = BUILTIN_RESOURCES.find((t) => t.resource === 'configmaps')!;
const cm = (data: Record<string, string>): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });

describe('managed fields of updates', () => {
  it('gives the updater what it changed and takes it from the others', () => {
    const created = cm({ a: '1', b: '2' });
    updateManagedFields(cmType, undefined, created, { manager: 'maker' }, 'v1');
    const next = structuredClone(created);
    (next.data as Obj).b = '3';
    updateManagedFields(cmType, created, next, { manager: 'editor' }, 'v1');
    const m = decodeManaged(next);
    assert.deepEqual(m.map((x) => [x.manager, x.operation, x.fields.size]), [['editor', 'Update', 1], ['maker', 'Update', 2]].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  });
});

describe('server-side apply', () => {
  it('conflicts with another manager on a changed field, shares an equal one, and takes it when forced', () => {
    const live = cm({ a: '1' });
    updateManagedFields(cmType, undefined, live, { manager: 'other' }, 'v1');
    const same = applyToObject(cmType, live, cm({ a: '1' }), { manager: 'me', force: false });
    assert.equal(decodeManaged(same).length, 2, 'co-owned');
    assert.throws(() => applyToObject(cmType, live, cm({ a: '2' }), { manager: 'me', force: false }), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 409);
      assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "other" using v1: .data.a');
      assert.deepEqual(err.details?.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "other" using v1', field: '.data.a' }]);
      return true;
    });
    const forced = applyToObject(cmType, live, cm({ a: '2' }), { manager: 'me', force: true });
    assert.deepEqual(forced.data, { a: '2' });
    const owners = decodeManaged(forced).map((m) => [m.manager, [...m.fields].length]);
    assert.deepEqual(owners, [['me', 2], ['other', 1]], '"other" keeps only .data itself');
  });

  it('removes a field the applier no longer sets when it alone owns it', () => {
    const first = applyToObject(cmType, undefined, cm({ a: '1', b: '2' }), { manager: 'me', force: false });
    const second = applyToObject(cmType, first, cm({ a: '1' }), { manager: 'me', force: false });
    assert.deepEqual(second.data, { a: '1' });
    const shared = applyToObject(cmType, first, cm({ b: '2' }), { manager: 'you', force: false });
    const third = applyToObject(cmType, shared, cm({ a: '1' }), { manager: 'me', force: false });
    assert.deepEqual(third.data, { a: '1', b: '2' }, 'b stays: "you" owns it too');
  });
});
