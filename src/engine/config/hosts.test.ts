import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeHost, normalizeHosts, parseListenAddress } from './hosts.js';

test('-H values normalized as dockerd ParseHost does', () => {
  assert.equal(normalizeHost('', false), 'unix:///run/minke/minke.sock');
  assert.equal(normalizeHost('', true), 'tcp://localhost:2376');
  assert.equal(normalizeHost('unix://', false), 'unix:///run/minke/minke.sock');
  assert.equal(normalizeHost('unix:///tmp/x.sock', false), 'unix:///tmp/x.sock');
  assert.equal(normalizeHost('tcp://', false), 'tcp://localhost:2375');
  assert.equal(normalizeHost('tcp://:2380', false), 'tcp://localhost:2380');
  assert.equal(normalizeHost('127.0.0.1:2380', false), 'tcp://127.0.0.1:2380');
  assert.equal(normalizeHost('tcp://0.0.0.0', false), 'tcp://0.0.0.0:2375');
  assert.equal(normalizeHost('tcp://[::1]:2380', false), 'tcp://[::1]:2380');
  assert.equal(normalizeHost('tcp://127.0.0.1:0', false), 'tcp://127.0.0.1:0');
  assert.throws(() => normalizeHost('udp://x', false), { message: 'Invalid bind address format: udp://x' });
  assert.throws(() => normalizeHost('tcp://x:1/path', false), /Invalid bind address format/);
  assert.throws(() => normalizeHost('fd://', false), /not supported/);
});

test('a list without duplicates, sorted; addresses split', () => {
  assert.deepEqual(normalizeHosts(['unix:///b', 'tcp://127.0.0.1:1', 'unix:///b'], false), ['tcp://127.0.0.1:1', 'unix:///b']);
  assert.deepEqual(parseListenAddress('tcp://[::1]:2380'), { proto: 'tcp', host: '::1', port: 2380 });
  assert.deepEqual(parseListenAddress('unix:///x.sock'), { proto: 'unix', path: '/x.sock' });
});
