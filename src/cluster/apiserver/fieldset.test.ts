import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMerge, fieldValues, fromFieldsV1, pathString, removeFields, systemField, toFieldsV1 } from './fieldset.js';
import type { Obj } from './object.js';

const deploy: Obj = {
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a', 'b'] },
  spec: {
    replicas: 2, selector: { matchLabels: { app: 'web' } },
    template: { spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80 }], args: ['-v'], env: [{ name: 'A', value: '1' }] }] } },
  },
};

describe('field sets (FieldsV1)', () => {
  it('names keyed list items by their keys, sets by value, atomic maps and lists as leaves', () => {
    const doc = toFieldsV1(fieldValues(deploy, systemField).keys());
    assert.deepEqual(doc, {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} }, 'f:finalizers': { '.': {}, 'v:"a"': {}, 'v:"b"': {} } },
      'f:spec': {
        'f:replicas': {}, 'f:selector': {},
        'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': {
          '.': {}, 'f:name': {}, 'f:image': {}, 'f:args': {},
          'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
          'f:env': { '.': {}, 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
        } } } },
      },
    });
  });

  it('reads back what it writes', () => {
    const paths = new Set(fieldValues(deploy, systemField).keys());
    assert.deepEqual(fromFieldsV1(toFieldsV1(paths)), paths);
  });

  it('prints paths as fieldpath does', () => {
    const paths = [...fieldValues(deploy, systemField).keys()].map(pathString);
    assert.ok(paths.includes('.spec.replicas'));
    assert.ok(paths.includes('.spec.template.spec.containers[name="c"].image'));
    assert.ok(paths.includes('.spec.template.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"].containerPort'));
    assert.ok(paths.includes('.metadata.finalizers[="a"]'));
  });
});

describe('apply merge and field removal', () => {
  it('merges keyed lists by key, unions sets, replaces atomic lists and maps', () => {
    const merged = applyMerge(deploy, {
      metadata: { finalizers: ['c'] },
      spec: { selector: { matchLabels: { tier: 'x' } }, template: { spec: { containers: [{ name: 'c', args: ['-q'] }, { name: 'd', image: 'y' }] } } },
    }) as Obj;
    const spec = merged.spec as Obj;
    assert.deepEqual(spec.selector, { matchLabels: { tier: 'x' } });
    assert.deepEqual((merged.metadata as Obj).finalizers, ['a', 'b', 'c']);
    const containers = ((spec.template as Obj).spec as Obj).containers as Obj[];
    assert.deepEqual(containers.map((c) => [c.name, c.image, c.args]), [['c', 'x', ['-q']], ['d', 'y', undefined]]);
  });

  it('removes fields, list items and set values, but not a node something under which is still owned', () => {
    const o = structuredClone(deploy);
    const v = fieldValues(o, systemField);
    const key = (s: string): string => [...v.keys()].find((k) => pathString(k) === s) as string;
    const owned = new Set([key('.metadata.labels.app')]);
    removeFields(o, [key('.spec.replicas'), key('.metadata.finalizers[="a"]'), key('.spec.template.spec.containers[name="c"].env[name="A"]'),
      key('.spec.template.spec.containers[name="c"].env[name="A"].value'), key('.metadata.labels')], owned);
    assert.equal((o.spec as Obj).replicas, undefined);
    assert.deepEqual((o.metadata as Obj).finalizers, ['b']);
    assert.deepEqual((o.metadata as Obj).labels, { app: 'web' });
    const c = (((o.spec as Obj).template as Obj).spec as Obj).containers as Obj[];
    assert.deepEqual(c[0].env, []);
  });
});
