import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { interpolate, interpolateTree } from './interpolate.js';

const env: Record<string, string> = { SET: 'value', EMPTY: '', PORT: '8080', NESTED: 'inner' };
const lookup = (k: string): string | undefined => env[k];
const i = (s: string): string => interpolate(s, lookup);

describe('interpolation', () => {
  it('substitutes plain and braced variables', () => {
    assert.equal(i('$SET'), 'value');
    assert.equal(i('${SET}'), 'value');
    assert.equal(i('a-${SET}-b $SET.x'), 'a-value-b value.x');
    assert.equal(i('$$SET'), '$SET');
    assert.equal(i('$${SET}'), '${SET}');
    assert.equal(i('no dollar'), 'no dollar');
  });
  it('applies defaults: :- when unset or empty, - when unset', () => {
    assert.equal(i('${UNSET:-d}'), 'd');
    assert.equal(i('${EMPTY:-d}'), 'd');
    assert.equal(i('${SET:-d}'), 'value');
    assert.equal(i('${UNSET-d}'), 'd');
    assert.equal(i('${EMPTY-d}'), '');
    assert.equal(i('${UNSET:-}'), '');
  });
  it('applies replacements: :+ when set and not empty, + when set', () => {
    assert.equal(i('${SET:+r}'), 'r');
    assert.equal(i('${EMPTY:+r}'), '');
    assert.equal(i('${EMPTY+r}'), 'r');
    assert.equal(i('${UNSET+r}'), '');
  });
  it('requires values with :? and ?', () => {
    assert.throws(() => i('${UNSET:?need it}'), /required variable UNSET is missing a value: need it/);
    assert.throws(() => i('${EMPTY:?}'), /required variable EMPTY is missing a value$/);
    assert.equal(i('${EMPTY?x}'), '');
    assert.throws(() => i('${UNSET?gone}'), /gone/);
    assert.equal(i('${SET:?x}'), 'value');
  });
  it('nests templates in defaults and messages', () => {
    assert.equal(i('${UNSET:-${NESTED}}'), 'inner');
    assert.equal(i('${UNSET:-${ALSO:-${PORT}}}x'), '8080x');
    assert.equal(i('${SET:-${UNSET:?not evaluated}}'), 'value');
    assert.equal(i('${UNSET:-a}${UNSET:-b}'), 'ab');
    assert.equal(i('${UNSET:-$$}'), '$');
    assert.throws(() => i('${UNSET:?${NESTED} missing}'), /inner missing/);
  });
  it('reports unset variables and bad templates', () => {
    const unset: string[] = [];
    assert.equal(interpolate('${A}$B', lookup, { onUnset: (n) => unset.push(n) }), '');
    assert.deepEqual(unset, ['A', 'B']);
    for (const bad of ['${', '${}', '${SET', '$', '${1X}', '${SET:x}', '${UNSET:-abc']) assert.throws(() => i(bad), /Invalid template/, bad);
  });
  it('names the path of a failing value in a tree', () => {
    const tree = { services: { web: { image: 'x:${TAG:?set a tag}', ports: ['${PORT}:80'] } } };
    assert.throws(() => interpolateTree(tree, lookup), /error while interpolating services\.web\.image: required variable TAG is missing a value: set a tag/);
    env.TAG = '1';
    assert.deepEqual(interpolateTree(tree, lookup), { services: { web: { image: 'x:1', ports: ['8080:80'] } } });
  });
});
