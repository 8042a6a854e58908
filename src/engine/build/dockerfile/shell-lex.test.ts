import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { peerDir } from '../peer-data.js';
import { ShellLex, ShellLexError } from './shell-lex.js';

const shell = peerDir('buildkit-shell');

describe('shell lexer: BuildKit envVarTest', { skip: shell.skip }, () => {
  const env = new Map([['PWD', '/home'], ['SHELL', 'bash'], ['KOREAN', '한국어'], ['NULL', '']]);
  const lex = new ShellLex('\\');
  const lines = shell.dir ? readFileSync(path.join(shell.dir, 'envVarTest'), 'utf8').split('\n') : [];
  lines.forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const [platform, input, expected] = line.split('|');
    if (platform === 'W') return; // Windows cases
    const source = input.trim();
    const want = expected.trim();
    it(`line ${i + 1}: ${source}`, () => {
      if (want === 'error') {
        assert.throws(() => lex.processWord(source, env), ShellLexError);
      } else {
        assert.equal(lex.processWord(source, env), want);
      }
    });
  });
});

describe('shell lexer: BuildKit wordsTest', { skip: shell.skip }, () => {
  const lex = new ShellLex('\\');
  const env = new Map<string, string>();
  const lines = shell.dir ? readFileSync(path.join(shell.dir, 'wordsTest'), 'utf8').split('\n') : [];
  lines.forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('ENV ')) {
      const kv = line.slice(3).replace(/^ +/, '');
      const eq = kv.indexOf('=');
      env.set(kv.slice(0, eq), kv.slice(eq + 1));
      return;
    }
    const [input, expected] = line.split('|');
    const want = expected.replace(/^ +/, '').split(',');
    const snapshot = new Map(env);
    it(`line ${i + 1}: ${input.trim()}`, () => {
      let got: string[];
      try {
        got = lex.processWords(input.trim(), snapshot);
      } catch {
        got = ['error'];
      }
      assert.deepEqual(got, want);
    });
  });
});

describe('shell lexer: substitutions', () => {
  const lex = new ShellLex('\\');
  const env = new Map([['FOO', 'foo.tar.gz'], ['PATHV', '/usr/local/bin/x'], ['E', ''], ['ABC', 'abcabc']]);

  it('# ## % %% trim the shortest and longest match', () => {
    assert.equal(lex.processWord('${FOO#*.}', env), 'tar.gz');
    assert.equal(lex.processWord('${FOO##*.}', env), 'gz');
    assert.equal(lex.processWord('${FOO%.*}', env), 'foo.tar');
    assert.equal(lex.processWord('${FOO%%.*}', env), 'foo');
    assert.equal(lex.processWord('${PATHV##*/}', env), 'x');
    assert.equal(lex.processWord('${PATHV%/*}', env), '/usr/local/bin');
    assert.equal(lex.processWord('${FOO#nomatch}', env), 'foo.tar.gz');
    assert.equal(lex.processWord('${UNSET#x}', env), '');
  });

  it('/ and // replace the first or every match', () => {
    assert.equal(lex.processWord('${ABC/b/X}', env), 'aXcabc');
    assert.equal(lex.processWord('${ABC//b/X}', env), 'aXcaXc');
    assert.equal(lex.processWord('${ABC//b*c/X}', env), 'aX');
    assert.equal(lex.processWord('${ABC/?/-}', env), '-bcabc');
  });

  it('- + ? with and without the colon tell unset from empty', () => {
    assert.equal(lex.processWord('${E-x}', env), '');
    assert.equal(lex.processWord('${E:-x}', env), 'x');
    assert.equal(lex.processWord('${U-x}', env), 'x');
    assert.equal(lex.processWord('${E+x}', env), 'x');
    assert.equal(lex.processWord('${E:+x}', env), '');
    assert.equal(lex.processWord('${E?}', env), '');
    assert.throws(() => lex.processWord('${E:?must be set}', env), /failed to process "\$\{E:\?must be set\}": E: must be set/);
    assert.throws(() => lex.processWord('${U?}', env), /U: is not allowed to be unset/);
    assert.throws(() => lex.processWord('${E:?}', env), /E: is not allowed to be empty/);
    assert.throws(() => lex.processWord('${E:#x}', env), /unsupported modifier \(:#\) in substitution/);
  });

  it('the backtick escape token', () => {
    const bt = new ShellLex('`');
    assert.equal(bt.processWord('a`$FOO', env), 'a$FOO');
    assert.equal(bt.processWord('a\\b', env), 'a\\b');
    assert.equal(bt.processWord('"x`"y"', env), 'x"y');
  });

  it('reports matched and unmatched variables', () => {
    const r = lex.processWordWithMatches('$FOO ${NOPE:-x} ${E}', env);
    assert.equal(r.result, 'foo.tar.gz x ');
    assert.deepEqual([...r.matched].sort(), ['E', 'FOO']);
    assert.deepEqual([...r.unmatched], ['NOPE']);
  });

  it('skipUnsetEnv leaves unset references as written', () => {
    const keep = new ShellLex('\\', { skipUnsetEnv: true });
    assert.equal(keep.processWord('$FOO $BAR ${BAZ:-q} ${QUX}', env), 'foo.tar.gz $BAR ${BAZ:-q} ${QUX}');
  });
});
