import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { peerDir } from '../peer-data.js';
import { DockerfileError } from './errors.js';
import { decodeUtf8 } from './go-text.js';
import { parseStages } from './instructions.js';
import { dumpTree, heredocBody, parseDockerfile, parseHeredoc } from './parser.js';

const cases = (dir: string | undefined): string[] =>
  dir ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort() : [];

const positive = peerDir('buildkit-parser');
describe('BuildKit parser test files: the dump matches byte for byte', { skip: positive.skip }, () => {
  for (const name of cases(positive.dir)) {
    it(name, () => {
      const dir = path.join(positive.dir as string, name);
      const text = decodeUtf8(readFileSync(path.join(dir, 'Dockerfile')));
      assert.equal(dumpTree(parseDockerfile(text)), readFileSync(path.join(dir, 'result'), 'utf8'));
    });
  }
});

const negative = peerDir('buildkit-parser-negative');
describe('BuildKit negative parser test files: rejected', { skip: negative.skip }, () => {
  for (const name of cases(negative.dir)) {
    it(name, () => {
      const text = decodeUtf8(readFileSync(path.join(negative.dir as string, name, 'Dockerfile')));
      assert.throws(() => parseStages(parseDockerfile(text)), DockerfileError);
    });
  }
});

const dump = (text: string): string => dumpTree(parseDockerfile(text));

describe('parser', () => {
  it('names the file and line of an error', () => {
    assert.throws(() => parseStages(parseDockerfile('FROM a\n\n# c\nRUN x \\\n  y\nRNU x\n', { file: 'sub/Dockerfile.dev' })), (e) => {
      assert.ok(e instanceof DockerfileError);
      assert.equal(e.line, 6);
      assert.equal(e.file, 'sub/Dockerfile.dev');
      assert.equal(e.message, 'sub/Dockerfile.dev:6: unknown instruction: RNU (did you mean RUN?)');
      return true;
    });
    assert.throws(() => parseStages(parseDockerfile('FROM a\nfrobnicate x\n')), { message: 'Dockerfile:2: unknown instruction: frobnicate' });
    assert.throws(() => parseDockerfile('FROM a\nENV X\n'), { message: 'Dockerfile:2: ENV must have two arguments' });
    assert.throws(() => parseDockerfile(''), { message: 'Dockerfile: file with no instructions' });
  });

  it('joins continuations, dropping comments and empty lines inside them, with a warning', () => {
    const r = parseDockerfile('FROM a\nRUN echo a \\\n# inside\n\n   \\\n  b \\\n  c\nRUN d\n');
    // continuation lines keep their leading space
    assert.equal(dumpTree(r), '(from "a")\n(run "echo a      b   c")\n(run "d")\n');
    assert.equal(r.nodes[1].startLine, 2);
    assert.equal(r.nodes[1].endLine, 7);
    assert.equal(r.nodes[2].startLine, 8);
    assert.deepEqual(r.warnings, ['Empty continuation line found in: RUN echo a      b   c', 'Empty continuation lines will become errors in a future release.']);
  });

  it('reads the escape directive and the others', () => {
    const r = parseDockerfile('# syntax=docker/dockerfile:1\n# check=skip=all\n# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo x\n');
    assert.deepEqual(r.directives, { syntax: 'docker/dockerfile:1', check: 'skip=all', escape: '`' });
    assert.equal(r.escapeToken, '`');
    assert.equal(dumpTree(r), '(from "a")\n(run "dir c:\\\\   && echo x")\n');
    assert.deepEqual(r.nodes[0].comments, []);
    assert.throws(() => parseDockerfile('# escape=x\nFROM a\n'), /invalid escape token 'x' does not match ` or \\/);
    assert.throws(() => parseDockerfile('# escape=`\n# escape=\\\nFROM a\n'), { message: 'Dockerfile:2: only one escape parser directive can be used' });
    // after an instruction or a comment, a directive is a comment
    assert.equal(parseDockerfile('# hello\n# escape=`\nFROM a\n').escapeToken, '\\');
  });

  it('keeps the comments above an instruction', () => {
    const r = parseDockerfile('# one\n# two\nFROM a\n\n# three\n#\n# four\nRUN x\n');
    assert.deepEqual(r.nodes[0].comments, ['one', 'two']);
    assert.deepEqual(r.nodes[1].comments, ['four']);
  });

  it('reads heredocs: several on one line, <<-, quoted delimiters', () => {
    const text = 'FROM a\nRUN <<EOF cat <<-"END" >/x\necho $HOME\nEOF\n\tindented\n\tEND\nCOPY <<\'ONE\' <<TWO /dst/\n$x\nONE\n$y\nTWO\nRUN echo done\n';
    const r = parseDockerfile(text);
    const run = r.nodes[1];
    assert.deepEqual(run.heredocs, [
      { name: 'EOF', content: 'echo $HOME\n', expand: true, chomp: false },
      { name: 'END', content: '\tindented\n', expand: false, chomp: true },
    ]);
    assert.equal(heredocBody(run.heredocs[1]), 'indented\n');
    assert.equal(run.startLine, 2);
    assert.equal(run.endLine, 6);
    assert.deepEqual(r.nodes[2].heredocs.map((h) => [h.name, h.content, h.expand]), [['ONE', '$x\n', false], ['TWO', '$y\n', true]]);
    assert.equal(r.nodes[3].startLine, 12);
    assert.equal(dumpTree(r), '(from "a")\n(run "<<EOF cat <<-\\"END\\" >/x")\n(copy "<<\'ONE\'" "<<TWO" "/dst/")\n(run "echo done")\n');
    assert.throws(() => parseDockerfile('FROM a\nRUN <<EOF\nno end\n'), { message: 'Dockerfile:2: unterminated heredoc' });
    // JSON form and other instructions have no heredocs
    assert.equal(parseDockerfile('FROM a\nRUN ["cat", "<<EOF"]\nENV a=b\n').nodes[1].heredocs.length, 0);
    // ONBUILD wraps one
    const ob = parseDockerfile('FROM a\nONBUILD RUN <<EOF\nhi\nEOF\n');
    assert.equal(ob.nodes[1].heredocs[0].content, 'hi\n');
    assert.equal(parseStages(ob).stages[0].commands[0].kind, 'onbuild');
  });

  it('prints flags, JSON and ONBUILD as BuildKit does', () => {
    assert.equal(dump('FROM --platform=$BUILDPLATFORM golang AS build\nCOPY --from=build --chown=1:1 ["a b", "/c"]\nONBUILD RUN --mount=type=cache,target=/x make\n'),
      '(from ["--platform=$BUILDPLATFORM"] "golang" "AS" "build")\n(copy ["--from=build" "--chown=1:1"] "a b" "/c")\n(onbuild (run ["--mount=type=cache,target=/x"] "make"))\n');
    assert.equal(dump('ENV a=1 b="x y" c\\ d=e\nLABEL k v w\nARG x y=1\n'),
      '(env "a" "1" "=" "b" "\\"x y\\"" "=" "c\\\\ d" "e" "=")\n(label "k" "v w" "")\n(arg "x" "y=1")\n');
    assert.equal(dump('CMD ["a", 1]\n'.replace(', 1', ', "\\u00e9\\t"')), '(cmd "a" "é\\t")\n');
    // a flag is one word: what follows a space is the arguments (BuildKit's testfiles/flags)
    assert.equal(dump('RUN --network=none --security insecure echo\n'), '(run ["--network=none" "--security"] "insecure echo")\n');
    assert.equal(dump('FROM scratch\nCOPY foo /tmp/\nCOPY --user=me foo /tmp/\nCOPY --doit=true foo /tmp/\nCOPY --user=me --doit=true foo /tmp/\nCOPY --doit=true -- foo /tmp/\nCOPY -- foo /tmp/\nCMD --doit [ "a", "b" ]\nCMD --doit=true -- [ "a", "b" ]\nCMD --doit -- [ ]\n'),
      '(from "scratch")\n(copy "foo" "/tmp/")\n(copy ["--user=me"] "foo" "/tmp/")\n(copy ["--doit=true"] "foo" "/tmp/")\n(copy ["--user=me" "--doit=true"] "foo" "/tmp/")\n(copy ["--doit=true"] "foo" "/tmp/")\n(copy "foo" "/tmp/")\n(cmd ["--doit"] "a" "b")\n(cmd ["--doit=true"] "a" "b")\n(cmd ["--doit"])\n');
    assert.equal(dump('# escape=`\nCOPY --a=x`"y --b=p\\q a /b\n'), '(copy ["--a=x\\"y" "--b=p\\\\q"] "a" "/b")\n');
    assert.equal(dump('COPY --chown="a b" --from=\'x\' --q=\\"y a /b\n'), '(copy ["--chown=a b" "--from=x" "--q=\\"y"] "a" "/b")\n');
  });

  it('keeps invalid UTF-8 bytes and BOMs as Go does', () => {
    const text = decodeUtf8(Buffer.concat([Buffer.from('\ufeffFROM a\nRUN echo '), Buffer.from([0xff, 0xc3]), Buffer.from('\n')]));
    assert.equal(dumpTree(parseDockerfile(text)), '(from "a")\n(run "echo \\xff\\xc3")\n');
  });
});

describe('heredocs (BuildKit parser_heredoc_test cases)', () => {
  it('extracts the heredocs of RUN and COPY only, with their bodies', () => {
    const text = [
      '', 'FROM alpine:3.6', '', 'ENV NAME=me', '', 'RUN ls', '', 'USER <<INVALID', 'INVALID', '',
      'RUN <<EMPTY', 'EMPTY', '', 'RUN 3<<EMPTY2', 'EMPTY2', '', 'RUN "<<NOHEREDOC"', '',
      'RUN <<INDENT', '\tfoo', '\tbar', 'INDENT', '', 'RUN <<-UNINDENT', '\tbaz', '\tquux', 'UNINDENT', '',
      'RUN <<-UNINDENT2', '\tbaz', '\tquux', '\tUNINDENT2', '', 'RUN <<-EXPAND', '\texpand $NAME', 'EXPAND', '',
      "RUN <<-'NOEXPAND'", "\tdon't expand $NAME", 'NOEXPAND', '', 'RUN <<COPY', 'echo hello world', 'echo foo bar', 'COPY', '',
      'RUN <<COMMENT', '# internal comment', 'echo hello world', 'echo foo bar # trailing comment', 'COMMENT', '',
      'RUN --mount=type=cache,target=/foo <<MOUNT', 'echo hello', 'MOUNT', '',
      'COPY <<FILE1 <<FILE2 /dest', 'content 1', 'FILE1', 'content 2', 'FILE2', '', 'COPY <<X <<Y /dest', 'Y', 'X', 'X', 'Y', '\t',
    ].join('\n');
    const h = (name: string, content: string, expand = true, chomp = false): unknown => ({ name, content, expand, chomp });
    const want = [
      [], [], [], [], [h('EMPTY', '')], [h('EMPTY2', '')], [], [h('INDENT', '\tfoo\n\tbar\n')],
      [h('UNINDENT', '\tbaz\n\tquux\n', true, true)], [h('UNINDENT2', '\tbaz\n\tquux\n', true, true)],
      [h('EXPAND', '\texpand $NAME\n', true, true)], [h('NOEXPAND', "\tdon't expand $NAME\n", false, true)],
      [h('COPY', 'echo hello world\necho foo bar\n')],
      [h('COMMENT', '# internal comment\necho hello world\necho foo bar # trailing comment\n')],
      [h('MOUNT', 'echo hello\n')], [h('FILE1', 'content 1\n'), h('FILE2', 'content 2\n')], [h('X', 'Y\n'), h('Y', 'X\n')],
    ];
    const nodes = parseDockerfile(text).nodes;
    assert.deepEqual(nodes.slice(1).map((n) => n.heredocs), want);
  });

  it('finds no heredoc in JSON form, and knows a heredoc word', () => {
    for (const n of parseDockerfile('FROM a\nRUN ["whoami"]\nRUN ["<<EOF"]\nRUN ["<<\'EOF\'"]\n').nodes) assert.deepEqual(n.heredocs, []);
    for (const w of ['<<EOF', "<<'EOF'", '<<"EOF"', '<<-EOF', "<<-'EOF'", '<<-"EOF"']) assert.equal(parseHeredoc(w)?.name, 'EOF');
    for (const w of ['', 'EOF', '<<', '<<-', '<EOF', '<<<EOF']) assert.equal(parseHeredoc(w), undefined);
    for (const w of ["<<'EOF", '<<"EOF', "<<EOF'", '<<EOF"']) assert.throws(() => parseHeredoc(w));
    const names = (line: string): string[] => parseDockerfile(`${line}\nEOF\nEOF2\n`).nodes[0].heredocs.map((d) => d.name);
    assert.deepEqual(names('RUN <<EOF <<EOF2'), ['EOF', 'EOF2']);
    assert.deepEqual(names('RUN 4<<EOF'), ['EOF']);
    assert.deepEqual(parseDockerfile("RUN '<<EOF'\n").nodes[0].heredocs, []);
  });
});

describe('parser edge cases (BuildKit parser_test cases)', () => {
  it('warns on empty continuation lines, not on comments inside them', () => {
    const text = '\nFROM alpine:3.6\n\nRUN something \\\n\n    following \\\n\n    more\n\nRUN another \\\n\n    thing\nRUN non-indented \\\n# this is a comment\n   after-comment\n\nRUN indented \\\n    # this is an indented comment\n    comment\n\t';
    const w = parseDockerfile(text).warnings;
    assert.equal(w.length, 3);
    assert.match(w[0], /^Empty continuation line found in: RUN something {5}following {5}more$/);
    assert.match(w[1], /RUN another {5}thing/);
    assert.match(w[2], /will become errors in a future release/);
  });

  it('refuses a line longer than Go\'s scanner takes', () => {
    assert.throws(() => parseDockerfile(`\n\t\tFROM image\n\t\tLABEL test=${'a'.repeat(65536)}\n`), { message: 'Dockerfile:3: dockerfile line greater than max allowed size of 65535' });
  });

  it('keeps quotes and escapes in words, and non-ASCII', () => {
    assert.equal(dump('ARG foo\\ bar x=\'abc xyz\' "a b" föo bàr "âbc xÿz"\n'), '(arg "foo\\\\ bar" "x=\'abc xyz\'" "\\"a b\\"" "föo" "bàr" "\\"âbc xÿz\\"")\n');
  });
});

describe('parser fuzz (bounded, seeded)', () => {
  it('every input parses or fails with a DockerfileError, never a crash', () => {
    const atoms = ['FROM a', 'RUN', 'COPY', 'ADD', 'ENV', 'ARG', 'LABEL', 'ONBUILD', 'HEALTHCHECK', 'CMD', 'SHELL', 'EXPOSE', 'VOLUME', 'USER',
      'WORKDIR', 'STOPSIGNAL', ' ', '\t', '\n', '\n', '\\', '\\\n', '`', '"', "'", '$', '${', '}', ':-', '#', '%', '/', '=', '[', ']', ',',
      '<<', '<<-', 'EOF', '--mount=type=', 'cache', '--from=', '--interval=', '5s', 'NONE', 'a', 'x y', '*', '\r', 'é', '\u00a0', '# escape=`\n', '["a"]', '[1]'];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      let text = i % 2 ? 'FROM a\n' : '';
      for (let j = rnd(25); j >= 0; j--) text += atoms[rnd(atoms.length)];
      try {
        const r = parseDockerfile(text);
        dumpTree(r);
        parseStages(r);
      } catch (e) {
        if (!(e instanceof DockerfileError)) assert.fail(`${JSON.stringify(text)}: ${String(e)}`);
      }
    }
  });
});
