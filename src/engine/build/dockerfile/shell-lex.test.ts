import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { peerDir } from '../peer-data.js';
import { reversePattern, ShellLex, ShellLexError } from './shell-lex.js';

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

  const table: [string, string][] = [
    // # ## % %% trim the shortest and longest match
    ['${FOO#*.}', 'tar.gz'], ['${FOO##*.}', 'gz'], ['${FOO%.*}', 'foo.tar'], ['${FOO%%.*}', 'foo'],
    ['${PATHV##*/}', 'x'], ['${PATHV%/*}', '/usr/local/bin'], ['${FOO#nomatch}', 'foo.tar.gz'], ['${UNSET#x}', ''],
    // / and // replace the first or every match
    ['${ABC/b/X}', 'aXcabc'], ['${ABC//b/X}', 'aXcaXc'], ['${ABC//b*c/X}', 'aX'], ['${ABC/?/-}', '-bcabc'],
  ];
  for (const [word, want] of table) it(word, () => assert.equal(lex.processWord(word, env), want));

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

  it('splits words as BuildKit, its shared word buffer included', () => {
    assert.deepEqual(lex.processWords('a $FOO "b c" ${E:-d e}', env), ['a', 'foo.tar.gz', 'b c', 'd', 'e']);
    // BuildKit clears its word buffer when it reads a ${v:...} argument: the word's start is lost
    assert.deepEqual(lex.processWords('a${NOPE:-b}c', env), ['bc']);
    assert.deepEqual(lex.processWords('x pre"${NOPE:-b}"', env), ['x', 'b']);
    assert.equal(lex.processWord('a${NOPE:-b}c', env), 'abc');
  });

  it('reverses patterns keeping escapes in front (BuildKit TestReversePattern)', () => {
    const cases: [string, string][] = [['a\\*c', 'c\\*a'], ['\\\\\\ab', 'b\\a\\\\'], ['ab\\', '\\ba'], ['👽\\🚀🖖', '🖖\\🚀👽'], ['\\\\b', 'b\\\\']];
    for (const [p, want] of cases) assert.equal(reversePattern(p), want, p);
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

// BuildKit's TestProcessWithMatches (shell/lex_test.go): [word, env, result or null for an error, matched, unmatched]
type MatchCase = [string, Record<string, string>, string | null, string[], string[]];
const FB = { FOO: 'xxx', BAR: '' };
const matchCases: MatchCase[] = [
  ['x', { DUMMY: 'dummy' }, 'x', [], []],
  ['x ${UNUSED}', { DUMMY: 'dummy' }, 'x ', [], ['UNUSED']],
  ['x ${FOO}', { FOO: 'y' }, 'x y', ['FOO'], []],
  ['${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', FB, 'xxx  ccc', ['FOO', 'BAR'], ['BAZ']],
  ['${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}', FB, 'xxx bbb ccc', ['FOO', 'BAR'], ['BAZ']],
  ['${FOO:-}', FB, 'xxx', ['FOO'], []],
  ['${FOO:-}', {}, '', [], ['FOO']],
  ['${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', FB, 'aaa bbb ', ['FOO', 'BAR'], ['BAZ']],
  ['${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', FB, 'aaa  ', ['FOO', 'BAR'], ['BAZ']],
  ['${FOO?aaa}', FB, 'xxx', ['FOO'], []],
  ['${BAR?bbb}', FB, '', ['BAR'], []],
  ['${BAZ?ccc}', FB, null, [], []],
  ['${FOO:?aaa}', FB, 'xxx', ['FOO'], []],
  ['${BAR:?bbb}', FB, null, [], []],
  ['${BAZ:?ccc}', FB, null, [], []],
  ['${BAZ:?}', FB, null, [], []],
  ['${FOO=aaa}', FB, null, [], []],
  ['${FOO=:aaa}', FB, null, [], []],
  ['${FOO=}', {}, null, [], []],
  ['${FOO#()[]{\\}^$.\\*\\?|\\\\}', { FOO: '()[]{}^$.*?|\\x' }, 'x', ['FOO'], []],
  ['${FOO%%\\**}', { FOO: 'xx**' }, 'xx', ['FOO'], []],
  ['${FOO#*x*y}', { FOO: 'xxyy' }, 'y', ['FOO'], []],
  ['${FOO#*}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
  ['${FOO#$BAR}', { FOO: 'xxyy', BAR: 'x' }, 'xyy', ['FOO', 'BAR'], []],
  ['${FOO#$BAR}', { FOO: 'xxyy', BAR: '' }, 'xxyy', ['FOO', 'BAR'], []],
  ['${FOO#}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
  ['${FOO##*x}', { FOO: 'xxyy' }, 'yy', ['FOO'], []],
  ['${FOO##}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
  ['${FOO#?\\?}', { FOO: '???y' }, '?y', ['FOO'], []],
  ['${ABC:-.}${FOO%x}${ABC:-.}', { FOO: 'xxyy' }, '.xxyy.', ['FOO'], ['ABC']],
  ['${FOO%%\\**\\*}', { FOO: 'a***yy*' }, 'a', ['FOO'], []],
  ['${FOO%}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
  ['${FOO%%$BAR}', { FOO: 'xxyy', BAR: '' }, 'xxyy', ['FOO', 'BAR'], []],
  ['${FOO:#}', {}, null, [], []],
  ['${FOO:##}', {}, null, [], []],
  ['${FOO:%}', {}, null, [], []],
  ['${FOO:%%}', {}, null, [], []],
  ['${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}', { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' }, '/foo.*/*.txt - /foo..*.txt', ['FOO', 'NEEDLE'], []],
  ['${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}', { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' }, '/tmp/bar.txt - /bar.txt', ['FOO', 'NEEDLE'], []],
  ['${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}', { FOO: '/a/foo/b/c.txt', NEEDLE: '/?/', REPLACEMENT: '/' }, '/foo/b/c.txt - /foo/c.txt', ['FOO', 'NEEDLE', 'REPLACEMENT'], []],
  ['${FOO/$NEEDLE/$REPLACEMENT}', { FOO: 'http://google.de', NEEDLE: 'http://', REPLACEMENT: 'https://' }, 'https://google.de', ['FOO', 'NEEDLE', 'REPLACEMENT'], []],
  ['${FOO//\\//\\/}', { FOO: '/tmp/foo.txt' }, '\\/tmp\\/foo.txt', ['FOO'], []],
  ['${FOO/$BAR/ww}', { FOO: 'xxyy', BAR: '' }, 'wwxxyy', ['FOO', 'BAR'], []],
  ['${FOO//ww}', { FOO: 'xxyy' }, null, [], []],
  ['${FOO//}', { FOO: 'xxyy' }, null, [], []],
  ['${FOO///}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
  ['${FOO///}', {}, '', [], ['FOO']],
  ['something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz', { VERSION: 'v1', TARGETOS: 'linux', TARGETARCH: 'arm', TARGETVARIANT: 'v7' }, 'something-v1.linux-arm-v7.tar.gz', ['VERSION', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT'], []],
  ['something-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}', { TARGETARCH: 'arm64' }, 'something-arm64', ['TARGETARCH'], ['TARGETVARIANT']],
];

describe('shell lexer: processWordWithMatches (BuildKit TestProcessWithMatches)', () => {
  const lex = new ShellLex('\\');
  matchCases.forEach(([word, vars, want, matched, unmatched], i) => {
    it(`${i}: ${word}`, () => {
      const env = new Map(Object.entries(vars));
      if (want === null) {
        assert.throws(() => lex.processWordWithMatches(word, env), ShellLexError);
        return;
      }
      const r = lex.processWordWithMatches(word, env);
      assert.equal(r.result, want);
      assert.deepEqual([...r.matched].sort(), [...matched].sort());
      assert.deepEqual([...r.unmatched].sort(), [...unmatched].sort());
    });
  });
});
