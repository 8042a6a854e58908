import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultLogConfig, logPolicy, parseHumanSize } from './log-config.js';

test('the engine default fills a container naming no driver, and only the default driver\'s options', () => {
  const engine = { Type: 'local', Config: { 'max-size': '10k' } };
  assert.deepEqual(defaultLogConfig(undefined, engine), { Type: 'local', Config: { 'max-size': '10k' } });
  assert.deepEqual(defaultLogConfig({ Type: '', Config: { 'max-file': '3' } }, engine), { Type: 'local', Config: { 'max-file': '3', 'max-size': '10k' } });
  assert.deepEqual(defaultLogConfig({ Type: 'local', Config: { 'max-size': '1m' } }, engine), { Type: 'local', Config: { 'max-size': '1m' } });
  assert.deepEqual(defaultLogConfig({ Type: 'json-file' }, engine), { Type: 'json-file', Config: {} });
  assert.deepEqual(defaultLogConfig(null), { Type: 'json-file', Config: {} });
  // as dockerd's API: none takes anything (the CLI refuses options for it on its side)
  assert.deepEqual(defaultLogConfig({ Type: 'none', Config: { foo: 'bar' } }), { Type: 'none', Config: { foo: 'bar' } });
});

test('sizes as go-units reads them (decimal units), and each driver\'s defaults', () => {
  assert.equal(parseHumanSize('10k'), 10_000);
  assert.equal(parseHumanSize('10KiB'), 10_000);
  assert.equal(parseHumanSize('1.5m'), 1_500_000);
  assert.equal(parseHumanSize('1 g'), 1e9);
  assert.throws(() => parseHumanSize('-1'), /invalid size: '-1'/);
  assert.deepEqual(logPolicy({ Type: 'json-file', Config: {} }), { driver: 'json-file', maxSize: -1, maxFile: 1, compress: false });
  assert.deepEqual(logPolicy({ Type: 'local', Config: {} }), { driver: 'local', maxSize: 20 * 1024 * 1024, maxFile: 5, compress: true });
  // local: no count is one file; size 0 cuts before every entry
  assert.deepEqual(logPolicy({ Type: 'local', Config: { 'max-file': '0', compress: 'false', 'max-size': '0' } }), { driver: 'local', maxSize: 1, maxFile: 1, compress: false });
  assert.throws(() => logPolicy({ Type: 'local', Config: { 'max-file': '1' } }), /failed to initialize logging driver: compression cannot be enabled when max file count is 1/);
  assert.throws(() => logPolicy({ Type: 'local', Config: { 'max-file': '-1' } }), /max file count cannot be less than 0/);
  assert.throws(() => logPolicy({ Type: 'local', Config: { compress: 'maybe' } }), /error reading compress log option: strconv.ParseBool: parsing "maybe": invalid syntax/);
  assert.throws(() => logPolicy({ Type: 'json-file', Config: { 'max-file': 'abc' } }), /failed to initialize logging driver: strconv.Atoi: parsing "abc": invalid syntax/);
});
