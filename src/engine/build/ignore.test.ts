import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BadPatternError, cleanPath, compilePattern, filepathMatch, PatternMatcher, readDockerignore, type MatchInfo } from './ignore.js';
import { peerDir } from './peer-data.js';

interface Cases {
  matches_single: { pattern: string; text: string; pass: boolean }[];
  matches_single_unix_only: { pattern: string; text: string; pass: boolean }[];
  matches_multi: { patterns: string[]; text: string; pass: boolean }[];
  filepath_match: { pattern: string; text: string; error: string | null; pass: boolean }[];
  compile: { pattern: string; matchType: string; regexp_slash: string }[];
}

/** matchesUsingParentResults down the path's parent directories, as a context walk does. */
function walk(pm: PatternMatcher, file: string): boolean {
  const dir = cleanPath(file.slice(0, file.lastIndexOf('/') + 1));
  let info: MatchInfo | undefined;
  if (dir !== '.') {
    const dirs = dir.split('/');
    for (let i = 0; i < dirs.length; i++) info = pm.matchesUsingParentResults(dirs.slice(0, i + 1).join('/'), info).info;
  }
  return pm.matchesUsingParentResults(file, info).matched;
}

const peer = peerDir('dockerignore');
const data: Cases | undefined = peer.dir ? (JSON.parse(readFileSync(path.join(peer.dir, 'patternmatcher-cases.json'), 'utf8')) as Cases) : undefined;

describe('patternmatcher test tables', { skip: peer.skip }, () => {
  const c = data as Cases;
  describe('matches_single (MatchesOrParentMatches)', () => {
    for (const t of [...(c?.matches_single ?? []), ...(c?.matches_single_unix_only ?? [])]) {
      it(`${t.pattern} ~ ${t.text}`, () => {
        const pm = new PatternMatcher([t.pattern]);
        assert.equal(pm.matchesOrParentMatches(t.text), t.pass);
        assert.equal(walk(pm, t.text), t.pass, 'walking the parents with matchesUsingParentResults');
        assert.equal(pm.matchesUsingParentResults(t.text).matched, t.pass, 'matchesUsingParentResults without context');
      });
    }
  });
  describe('matches_multi', () => {
    for (const t of c?.matches_multi ?? []) {
      it(`${t.patterns.join(' ')} ~ ${t.text}`, () => {
        const pm = new PatternMatcher(t.patterns);
        assert.equal(pm.matchesOrParentMatches(t.text), t.pass);
        assert.equal(pm.matchesUsingParentResults(t.text).matched, t.pass);
        assert.equal(walk(pm, t.text), t.pass);
      });
    }
  });
  describe('filepath_match (Go filepath.Match)', () => {
    for (const t of c?.filepath_match ?? []) {
      it(`${t.pattern} ~ ${t.text}`, () => {
        if (t.error) assert.throws(() => filepathMatch(t.pattern, t.text), BadPatternError);
        else assert.equal(filepathMatch(t.pattern, t.text), t.pass);
      });
    }
  });
  describe('compile', () => {
    for (const t of c?.compile ?? []) {
      it(t.pattern, () => {
        const got = compilePattern(cleanPath(t.pattern));
        assert.equal(got.matchType, t.matchType);
        assert.equal(got.regexp, t.regexp_slash);
      });
    }
  });
});

describe('.dockerignore', () => {
  it('reads patterns as ignorefile.ReadAll', () => {
    const text = '\ufeff# comment\n  # not a comment \n\n/abs/./path/\n!  /keep \n*.log\r\n\t\n**/tmp\n ../up\n!\n';
    assert.deepEqual(readDockerignore(text), ['# not a comment', 'abs/path', '!keep', '*.log', '**/tmp', '../up', '!']);
    // ignorefile's own case
    assert.deepEqual(readDockerignore('test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! '),
      ['test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path', '!', '!']);
    assert.throws(() => new PatternMatcher(readDockerignore('!\n')), /illegal exclusion pattern: "!"/);
    assert.throws(() => new PatternMatcher(['a[']), BadPatternError);
  });

  it('excludes with the last matching pattern and matches parent directories', () => {
    const pm = new PatternMatcher(readDockerignore('node_modules\n*.md\n!README.md\ndocs/**\n!docs/keep/**\n'));
    assert.equal(pm.exclusions, true);
    assert.equal(pm.matchesOrParentMatches('node_modules/x/index.js'), true);
    assert.equal(pm.matchesOrParentMatches('CHANGES.md'), true);
    assert.equal(pm.matchesOrParentMatches('README.md'), false);
    assert.equal(pm.matchesOrParentMatches('sub/CHANGES.md'), false);
    assert.equal(pm.matchesOrParentMatches('docs/a/b.txt'), true);
    assert.equal(pm.matchesOrParentMatches('docs/keep/b.txt'), false);
    assert.equal(pm.matchesOrParentMatches('src/main.ts'), false);
    // the path alone, and the deprecated single-depth parent check
    assert.equal(pm.matchesExact('node_modules/x/index.js'), false);
    assert.equal(pm.matchesExact('node_modules'), true);
    assert.equal(new PatternMatcher(['a*']).matches('ab/c'), true);
    assert.equal(new PatternMatcher(['a/b']).matches('a/b/c/d'), true);
    assert.equal(new PatternMatcher(['b']).matches('a/b/c'), false);
    assert.equal(new PatternMatcher(['b']).matchesOrParentMatches('a/b/c'), false);
    // the walk form agrees with the direct one
    const dir = pm.matchesUsingParentResults('node_modules');
    assert.equal(dir.matched, true);
    assert.equal(pm.matchesUsingParentResults('node_modules/x', dir.info).matched, true);
  });

  it('cleans paths as Go', () => {
    for (const [a, b] of [['', '.'], ['a/../..', '..'], ['/../a', '/a'], ['a//b/./c/', 'a/b/c'], ['../../x/..', '../..'], ['/', '/']]) assert.equal(cleanPath(a), b);
  });
});
