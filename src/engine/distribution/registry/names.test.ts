import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkName, isRepositoryName, parseDigest, parseManifestRef, tryParseDigest } from './names.js';
import { RegistryError } from './errors.js';
import { parseContentRange, parseRange } from './http.js';

void test('repository names follow the spec grammar, 255 characters at most', () => {
  for (const ok of ['a', 'library/busybox', 'a.b_c__d-e---f/g0', 'x/y/z/w', `${'a'.repeat(255)}`]) assert.ok(isRepositoryName(ok), ok);
  for (const bad of ['', 'A', 'a/', '/a', 'a//b', 'a..b', '_a', 'a_', 'a___b', 'a/_x', 'a:b', `${'a'.repeat(256)}`]) assert.ok(!isRepositoryName(bad), bad);
  assert.throws(() => checkName('Bad'), (e: unknown) => e instanceof RegistryError && e.code === 'NAME_INVALID' && e.status === 400);
});

void test('digests: sha256 and sha512 with lowercase hex of their length; anything else is DIGEST_INVALID', () => {
  assert.equal(tryParseDigest(`sha256:${'a'.repeat(64)}`)?.algorithm, 'sha256');
  assert.equal(tryParseDigest(`sha512:${'0'.repeat(128)}`)?.algorithm, 'sha512');
  for (const bad of [`sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, `sha512:${'a'.repeat(64)}`, `sha384:${'a'.repeat(96)}`, 'sha256:', ':abc', 'sha256']) {
    assert.equal(tryParseDigest(bad), undefined, bad);
    assert.throws(() => parseDigest(bad), (e: unknown) => e instanceof RegistryError && e.code === 'DIGEST_INVALID', bad);
  }
});

void test('manifest references: a digest when there is a colon, else a tag of the grammar', () => {
  assert.deepEqual(parseManifestRef('v1.0_rc-1'), { tag: 'v1.0_rc-1' });
  assert.ok('digest' in parseManifestRef(`sha256:${'b'.repeat(64)}`));
  assert.throws(() => parseManifestRef('sha256:baddigeststring'), (e: unknown) => e instanceof RegistryError && e.code === 'DIGEST_INVALID');
  for (const bad of ['-x', '.x', 't'.repeat(129), 'a/b']) assert.throws(() => parseManifestRef(bad), (e: unknown) => e instanceof RegistryError && e.code === 'MANIFEST_INVALID', bad);
});

void test('byte ranges of a blob: clamped, suffixes, and what cannot be satisfied', () => {
  assert.deepEqual(parseRange('bytes=500-1499', 2048), { start: 500, end: 1499 });
  assert.deepEqual(parseRange('bytes=500-', 2048), { start: 500, end: 2047 });
  assert.deepEqual(parseRange('bytes=-500', 2048), { start: 1548, end: 2047 });
  assert.deepEqual(parseRange('bytes=-5000', 2048), { start: 0, end: 2047 });
  assert.deepEqual(parseRange('bytes=2000-5000', 2048), { start: 2000, end: 2047 });
  for (const r of ['bytes=500-0', 'bytes=5000-10000', 'bytes=-0', 'bytes=2048-', 'bytes=abc', 'bytes=-']) assert.equal(parseRange(r, 2048), 'unsatisfiable', r);
  assert.equal(parseRange('bytes=0-0', 0), 'unsatisfiable');
  assert.equal(parseRange(undefined, 10), undefined);
  assert.equal(parseRange('bytes=0-1,3-4', 10), undefined);
  assert.equal(parseRange('items=0-1', 10), undefined);
});

void test('upload chunks: Content-Range as the spec writes it and as distribution does', () => {
  assert.deepEqual(parseContentRange('0-1023'), { start: 0, end: 1023 });
  assert.deepEqual(parseContentRange('bytes 1024-2047/4096'), { start: 1024, end: 2047 });
  assert.deepEqual(parseContentRange('bytes=5-9/*'), { start: 5, end: 9 });
  for (const bad of ['', '5-', '-5', '9-5', 'a-b', '1-2-3']) assert.equal(parseContentRange(bad), undefined, bad);
});
