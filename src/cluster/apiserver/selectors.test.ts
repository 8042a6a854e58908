import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError } from './status.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front' };
  for (const [sel, want] of [
    ['', true], ['app=web', true], ['app==web', true], ['app!=web', false], ['app', true], ['!app', false], ['!db', true],
    ['app in (web,api)', true], ['tier notin (front)', false], ['app=web,tier=back', false], ['app=web, tier in (front, back)', true],
    ['missing!=x', true],
  ] as const) {
    it(`${JSON.stringify(sel)} → ${want}`, () => assert.equal(parseLabelSelector(sel)(labels), want));
  }
  it('refuses what it cannot parse', () => {
    assert.throws(() => parseLabelSelector('a b c'), (err: unknown) => err instanceof ApiError && err.code === 400);
  });
});

describe('field selectors', () => {
  const fields = { 'metadata.name': 'x', 'metadata.namespace': 'default' };
  const supported = ['metadata.name', 'metadata.namespace'];
  it('matches = and !=', () => {
    assert.equal(parseFieldSelector('metadata.name=x', supported)(fields), true);
    assert.equal(parseFieldSelector('metadata.name!=x', supported)(fields), false);
    assert.equal(parseFieldSelector('metadata.name=x,metadata.namespace==kube-system', supported)(fields), false);
  });
  it('refuses unsupported fields as kube-apiserver does', () => {
    assert.throws(() => parseFieldSelector('spec.x=1', supported), /field label not supported: spec.x/);
  });
});
