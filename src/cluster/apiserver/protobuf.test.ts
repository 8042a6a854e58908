import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtobuf, UnsupportedProtobuf } from './protobuf.js';

/** A length-delimited field. */
function field(num: number, value: Buffer | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([Buffer.from([(num << 3) | 2, v.length]), v]);
}

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from('k8s\u0000', 'latin1'), field(1, Buffer.concat([field(1, apiVersion), field(2, kind)])), field(2, raw)]);
}

describe('protobuf bodies', () => {
  it('decodes a ConfigMap as kubectl create configmap sends it', () => {
    const meta = Buffer.concat([field(1, 'a'), field(2, ''), field(3, 'default'), field(11, Buffer.concat([field(1, 'app'), field(2, 'web')]))]);
    const raw = Buffer.concat([field(1, meta), field(2, Buffer.concat([field(1, 'k'), field(2, 'v')]))]);
    assert.deepEqual(decodeProtobuf(envelope('v1', 'ConfigMap', raw)), {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default', labels: { app: 'web' } }, data: { k: 'v' },
    });
  });

  it('Secret data comes out base64 as in JSON', () => {
    const raw = Buffer.concat([field(1, field(1, 's')), field(2, Buffer.concat([field(1, 'p'), field(2, Buffer.from([0, 1, 2]))])), field(3, 'Opaque')]);
    assert.deepEqual(decodeProtobuf(envelope('v1', 'Secret', raw)), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { p: 'AAEC' }, type: 'Opaque' });
  });

  it('refuses types it has no schema for, and non-envelopes', () => {
    assert.throws(() => decodeProtobuf(envelope('apps/v1', 'StatefulSet', Buffer.alloc(0))), UnsupportedProtobuf);
    assert.throws(() => decodeProtobuf(Buffer.from('{}')), UnsupportedProtobuf);
  });
});
