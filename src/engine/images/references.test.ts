import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiar, normalize, parseNormalizedNamed, parseReference, familiarString, familiarName } from './references.js';
import { InvalidArgument } from '../../core/errors.js';

const D = 'sha256:' + 'a'.repeat(64);

void test('normalises docker names', () => {
  assert.equal(normalize('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalize('busybox:1.36'), 'docker.io/library/busybox:1.36');
  assert.equal(normalize('foo/bar:1'), 'docker.io/foo/bar:1');
  assert.equal(normalize('index.docker.io/foo/bar'), 'docker.io/foo/bar:latest');
  assert.equal(normalize('docker.io/busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalize('localhost:5000/x'), 'localhost:5000/x:latest');
  assert.equal(normalize('localhost/x'), 'localhost/x:latest');
  assert.equal(normalize('quay.io/a/b/c:v1'), 'quay.io/a/b/c:v1');
  assert.equal(normalize('[::1]:5000/x:t'), '[::1]:5000/x:t');
  assert.equal(normalize(`busybox@${D}`), `docker.io/library/busybox@${D}`);
  assert.equal(normalize(`busybox:1@${D}`), `docker.io/library/busybox:1@${D}`);
  assert.equal(normalize('a__b/c--d.e_f'), 'docker.io/a__b/c--d.e_f:latest');
});

void test('familiar forms', () => {
  assert.equal(familiar('docker.io/library/busybox:latest'), 'busybox:latest');
  assert.equal(familiar('docker.io/foo/bar:1'), 'foo/bar:1');
  assert.equal(familiar('localhost:5000/x:tag'), 'localhost:5000/x:tag');
  assert.equal(familiar('docker.io/library/a/b:1'), 'library/a/b:1');
  assert.equal(familiarString(parseReference('busybox')), 'busybox:latest');
  assert.equal(familiarName(parseReference('localhost:5000/x')), 'localhost:5000/x');
});

void test('docker error messages', () => {
  const msg = (s: string): string => {
    try {
      parseNormalizedNamed(s);
    } catch (err) {
      assert.ok(err instanceof InvalidArgument);
      return err.message;
    }
    return 'ok';
  };
  assert.equal(msg('Busybox'), 'invalid reference format: repository name (library/Busybox) must be lowercase');
  assert.equal(msg('Foo/bar'), 'ok'); // an uppercase first component is a registry host
  assert.equal(msg('foo/Bar'), 'invalid reference format: repository name (foo/Bar) must be lowercase');
  assert.equal(msg(''), 'invalid reference format');
  assert.equal(msg('busybox:'), 'invalid reference format');
  assert.equal(msg('bus box'), 'invalid reference format');
  assert.equal(msg('-busybox'), 'invalid reference format');
  assert.equal(msg('a'.repeat(64)), `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`);
  assert.equal(msg('x:' + 't'.repeat(129)), 'invalid reference format');
  assert.equal(msg('x'.repeat(300)), 'invalid reference format: repository name must not be more than 255 characters');
  assert.equal(msg('Localhost:5000/x'), 'ok');
});
