import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_RESOURCES } from '../types/resources.js';
import { enforce, fieldValidationMode, pruneUnknown, scanFields, schemaFor, unknownFields } from './field-validation.js';
import type { Obj } from './object.js';

const deployment = BUILTIN_RESOURCES.find((t) => t.kind === 'Deployment')!;
const configMap = BUILTIN_RESOURCES.find((t) => t.kind === 'ConfigMap')!;

const BODY = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a","name":"b","unknownMeta":1,"labels":{"x":"1"}},
"spec":{"unknown1":"v","unknownDupe":1,"unknownDupe":2,"paused":true,"paused":false,"selector":{"matchLabels":{"a":"b"}},
"template":{"spec":{"containers":[{"name":"c","image":"i","unknownNested":1,"imagePullPolicy":"Always","imagePullPolicy":"Never"}]}}}}`;

describe('field validation', () => {
  it('finds unknown and duplicate fields in the order of the body, as kube-apiserver reports them', () => {
    assert.deepEqual(scanFields(BODY, schemaFor(deployment)), [
      'duplicate field "metadata.name"', 'unknown field "metadata.unknownMeta"', 'unknown field "spec.unknown1"', 'unknown field "spec.unknownDupe"',
      'duplicate field "spec.paused"', 'unknown field "spec.template.spec.containers[0].unknownNested"', 'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
    ]);
  });

  it('knows maps, free-form values and escaped keys', () => {
    assert.deepEqual(scanFields('{"data":{"any":"1","k\\u0065y":"2"},"binaryData":{},"metadata":{"annotations":{"a":"b"},"managedFields":[{"fieldsV1":{"f:x":{}}}]}}', schemaFor(configMap)), []);
    assert.deepEqual(scanFields('{"data":{"a":"1","a":"2"}}', schemaFor(configMap)), ['duplicate field "data.a"']);
    assert.deepEqual(scanFields('{"a":1,"a":2,"b":[{"c":1,"c":2}]}', undefined), ['duplicate field "a"', 'duplicate field "b[0].c"']);
  });

  it('lists a patched object\'s unknown fields sorted, and prunes them', () => {
    const o = JSON.parse('{"spec":{"zzz":1,"template":{"spec":{"containers":[{"name":"c","bad":1}]}}},"metadata":{"name":"x"}}') as Obj;
    assert.deepEqual(unknownFields(o, schemaFor(deployment)), ['unknown field "spec.template.spec.containers[0].bad"', 'unknown field "spec.zzz"']);
    pruneUnknown(o, schemaFor(deployment));
    assert.deepEqual(o, { spec: { template: { spec: { containers: [{ name: 'c' }] } } }, metadata: { name: 'x' } });
  });

  it('Strict refuses, Warn warns and prunes, Ignore prunes silently; the default is Warn', () => {
    assert.equal(fieldValidationMode(new URLSearchParams()), 'Warn');
    assert.throws(() => fieldValidationMode(new URLSearchParams('fieldValidation=Bogus')), /Unsupported value/);
    const issues = ['unknown field "spec.foo"'];
    assert.throws(() => enforce('Strict', deployment, issues, { spec: { foo: 1 } }),
      (e: Error) => e.message === 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"');
    const warned: Obj = { spec: { foo: 1 } };
    assert.deepEqual(enforce('Warn', deployment, issues, warned), issues);
    assert.deepEqual(warned, { spec: {} });
    const ignored: Obj = { spec: { foo: 1 } };
    assert.deepEqual(enforce('Ignore', deployment, [], ignored), []);
    assert.deepEqual(ignored, { spec: {} });
  });
});
