import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonPatch, mergePatch, strategicMergePatch, type Json } from './patch.js';
import { ApiError } from './status.js';

describe('merge patch (RFC 7386)', () => {
  it('merges objects, deletes on null, replaces arrays and scalars', () => {
    assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null, e: 4 }, l: [3], f: 'x' }), { a: 1, b: { d: 3, e: 4 }, l: [3], f: 'x' });
    assert.deepEqual(mergePatch({ a: 1 }, 'x'), 'x');
  });

});

describe('strategic merge patch', () => {
  const deploy: Json = { spec: { template: { spec: { containers: [
    { name: 'a', image: 'a:1', ports: [{ containerPort: 80 }], env: [{ name: 'X', value: '1' }] },
    { name: 'b', image: 'b:1' },
  ] } } } };

  it('merges keyed lists by their merge key', () => {
    const out = strategicMergePatch(deploy, { spec: { template: { spec: {
      '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }],
      containers: [{ name: 'a', image: 'a:2', env: [{ name: 'Y', value: '2' }] }],
    } } } });
    assert.deepEqual(out, { spec: { template: { spec: { containers: [
      { name: 'a', image: 'a:2', ports: [{ containerPort: 80 }], env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] },
      { name: 'b', image: 'b:1' },
    ] } } } });
  });

  it('reads $patch delete/replace, $deleteFromPrimitiveList and $retainKeys', () => {
    const del = strategicMergePatch(deploy, { spec: { template: { spec: { containers: [{ name: 'b', $patch: 'delete' }] } } } });
    assert.deepEqual(JSON.stringify(del).match(/"name":"[a-z]"/g), ['"name":"a"']);
    assert.deepEqual(strategicMergePatch({ m: { a: 1, b: 2 } }, { m: { $patch: 'replace', c: 3 } }), { m: { c: 3 } });
    assert.deepEqual(strategicMergePatch({ metadata: { finalizers: ['x', 'y'] } }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }), { metadata: { finalizers: ['y'] } });
    assert.deepEqual(strategicMergePatch({ metadata: { finalizers: ['x'] } }, { metadata: { finalizers: ['y'] } }), { metadata: { finalizers: ['x', 'y'] } });
    assert.deepEqual(strategicMergePatch({ s: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }, { s: { $retainKeys: ['type'], type: 'Recreate' } }), { s: { type: 'Recreate' } });
  });

  it('replaces unkeyed lists and merges maps; null deletes', () => {
    assert.deepEqual(strategicMergePatch({ args: ['a'], labels: { x: '1', y: '2' } }, { args: ['b'], labels: { y: null, z: '3' } }), { args: ['b'], labels: { x: '1', z: '3' } });
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
