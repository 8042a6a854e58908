import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonPatch, mergePatch, strategicAsMergePatch } from './patch.js';
import { ApiError } from './status.js';

describe('merge patch (RFC 7386)', () => {
  it('merges objects, deletes on null, replaces arrays and scalars', () => {
    assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null, e: 4 }, l: [3], f: 'x' }), { a: 1, b: { d: 3, e: 4 }, l: [3], f: 'x' });
    assert.deepEqual(mergePatch({ a: 1 }, 'x'), 'x');
  });

  it('strategic patches drop their directives', () => {
    assert.deepEqual(strategicAsMergePatch({ a: { b: 1 } }, { a: { $patch: 'replace', c: 2 }, '$setElementOrder/l': [] }), { a: { b: 1, c: 2 } });
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('applies add, replace, remove, move, copy and test in order', () => {
    const doc = { a: { b: 1 }, l: [1, 2] };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/a/c', value: 2 }, { op: 'replace', path: '/a/b', value: 9 }, { op: 'add', path: '/l/-', value: 3 },
      { op: 'remove', path: '/l/0' }, { op: 'move', from: '/a/c', path: '/m' }, { op: 'copy', from: '/m', path: '/n~1x' },
      { op: 'test', path: '/m', value: 2 },
    ]);
    assert.deepEqual(out, { a: { b: 9 }, l: [2, 3], m: 2, 'n/x': 2 });
    assert.deepEqual(doc, { a: { b: 1 }, l: [1, 2] }, 'the input is not changed');
  });

  it('refuses missing paths and failed tests as BadRequest', () => {
    for (const ops of [[{ op: 'remove', path: '/nope' }], [{ op: 'replace', path: '/x/y', value: 1 }], [{ op: 'test', path: '/a', value: 2 }], [{ op: 'frob', path: '/a' }]]) {
      assert.throws(() => jsonPatch({ a: 1 }, ops), (err: unknown) => err instanceof ApiError && err.code === 400);
    }
  });
});
