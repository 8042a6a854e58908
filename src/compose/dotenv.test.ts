// .env parsing against compose-go's own dotenv cases (../shared/peer/compose-dotenv).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDotenv } from './dotenv.js';
import { peerDir } from '../engine/build/peer-data.js';

interface Cases {
  parse_line: Array<{ input: string; key: string; value: string }>;
  fixture_files: Array<{ test: string; file: string; expected: Record<string, string> }>;
  expanding: Array<{ name: string; input: string; expected: Record<string, string> }>;
}

const peer = peerDir('compose-dotenv');
const cases: Cases | undefined = peer.dir ? (JSON.parse(readFileSync(path.join(peer.dir, 'dotenv-cases.json'), 'utf8')) as Cases) : undefined;

describe('compose-dotenv cases', { skip: peer.skip }, () => {
  it('parses each line as compose-go does', () => {
    for (const c of cases!.parse_line) {
      const got = parseDotenv(c.input);
      assert.equal(got.get(c.key), c.value, `input ${JSON.stringify(c.input)}`);
    }
  });
  it('loads the fixture files', () => {
    for (const c of cases!.fixture_files) {
      const got = parseDotenv(readFileSync(path.join(peer.dir!, c.file), 'utf8'));
      for (const [k, v] of Object.entries(c.expected)) assert.equal(got.get(k), v, `${c.test}: ${k}`);
    }
  });
  it('expands variables', () => {
    for (const c of cases!.expanding) {
      assert.deepEqual(Object.fromEntries(parseDotenv(c.input)), c.expected, c.name);
    }
  });
  it('rejects the invalid fixture and unterminated quotes', () => {
    assert.throws(() => parseDotenv(readFileSync(path.join(peer.dir!, 'fixtures/invalid1.env'), 'utf8')), /line 7: unexpected character "L" in variable name "INVALID LINE"/);
    assert.throws(() => parseDotenv('FOO="bar'), /unterminated quoted value/);
  });
});

describe('dotenv', () => {
  it('takes bare keys and unknown variables from the lookup', () => {
    const env: Record<string, string> = { HOME_DIR: '/home/x', INHERITED: 'yes' };
    const got = parseDotenv('INHERITED\nMISSING\nA=${HOME_DIR}/a\nB=${NOPE:-dflt}\n', (k) => env[k]);
    assert.deepEqual(Object.fromEntries(got), { INHERITED: 'yes', A: '/home/x/a', B: 'dflt' });
  });
  it('lets the environment win when asked, as compose does for .env', () => {
    const got = parseDotenv('A=file\nB=$A', (k) => (k === 'A' ? 'env' : undefined), true);
    assert.equal(got.get('B'), 'env');
  });
});
