import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DockerfileError } from './errors.js';
import { BUILTIN_ARGS, expandCommand, expandFrom, platformArgs } from './expand.js';
import { parseStages, parseTrigger, type Command } from './instructions.js';
import { parseDockerfile } from './parser.js';
import { ShellLex } from './shell-lex.js';

const stages = (text: string): ReturnType<typeof parseStages> => parseStages(parseDockerfile(text));
const commands = (text: string): Command[] => stages(`FROM scratch\n${text}`).stages[0].commands;
const one = (text: string): Command => commands(text)[0];
const refused = (text: string, message: string | RegExp): void => {
  assert.throws(() => stages(text), (e) => {
    assert.ok(e instanceof DockerfileError, String(e));
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
};

describe('parseStages', () => {
  it('splits stages and meta args', () => {
    const r = stages('ARG BASE=alpine VER\nFROM --platform=$BUILDPLATFORM ${BASE}:${VER} AS Build\nRUN make\nFROM build\nCOPY --from=build /a /b\n');
    assert.deepEqual(r.metaArgs.map((a) => a.args), [[{ key: 'BASE', value: 'alpine' }, { key: 'VER' }]]);
    assert.equal(r.stages.length, 2);
    assert.deepEqual({ ...r.stages[0], commands: r.stages[0].commands.length }, {
      name: 'build', index: 0, baseName: '${BASE}:${VER}', platform: '$BUILDPLATFORM', commands: 1, line: 2,
      original: 'FROM --platform=$BUILDPLATFORM ${BASE}:${VER} AS Build',
    });
    assert.equal(r.stages[1].name, undefined);
    assert.equal(r.stages[1].index, 1);
    const copy = r.stages[1].commands[0];
    assert.equal(copy.kind, 'copy');
    assert.equal(copy.kind === 'copy' && copy.from, 'build');
    assert.equal(copy.line, 5);
  });

  it('types RUN: shell and exec form, mounts, network, security, heredocs', () => {
    const run = one('RUN --mount=type=cache,target=/root/.cache,sharing=locked,id=go --mount=type=secret,id=tok,required --mount=type=tmpfs,dst=/t,size=64m --network=none echo hi\n');
    assert.equal(run.kind, 'run');
    if (run.kind !== 'run') return;
    assert.deepEqual([run.shell, run.cmd, run.network, run.security], [true, ['echo hi'], 'none', 'sandbox']);
    assert.deepEqual(run.mounts, [
      { type: 'cache', target: '/root/.cache', sharing: 'locked', id: 'go', readOnly: false, required: false },
      { type: 'secret', id: 'tok', required: true, readOnly: true },
      { type: 'tmpfs', target: '/t', size: 64 * 1024 * 1024, readOnly: false, required: false },
    ]);
    const exec = one('RUN ["echo", "a b"]\n');
    assert.deepEqual(exec.kind === 'run' && [exec.shell, exec.cmd], [false, ['echo', 'a b']]);
    const here = one('RUN <<EOF\necho hi\nEOF\n');
    assert.deepEqual(here.kind === 'run' && [here.cmd, here.heredocs.map((h) => h.content)], [['<<EOF'], ['echo hi\n']]);
    refused('FROM a\nRUN --mount=type=bind,mode=0755 x\n', 'Dockerfile:2: mode not allowed for "bind" type mounts');
    refused('FROM a\nRUN --mount=type=cahce,target=/x x\n', 'Dockerfile:2: unsupported mount type "cahce" (did you mean cache?)');
    refused('FROM a\nRUN --mount=from=$X,target=/x x\n', "Dockerfile:2: 'from' doesn't support variable expansion, define alias stage instead");
    refused('FROM a\nRUN --mount=target x\n', "Dockerfile:2: invalid field 'target' must be a key=value pair");
    refused('FROM a\nRUN --network=bridge x\n', 'Dockerfile:2: invalid network mode "bridge"');
    refused('FROM a\nRUN --mounts=type=bind x\n', 'Dockerfile:2: unknown flag: --mounts (did you mean mount?)');
  });

  it('types COPY and ADD with their flags and heredoc sources', () => {
    const c = one('COPY --chown=app:app --chmod=0644 --link --parents --exclude=*.md --exclude=x a b /dst/\n');
    assert.deepEqual(c, {
      kind: 'copy', line: 2, endLine: 2, original: 'COPY --chown=app:app --chmod=0644 --link --parents --exclude=*.md --exclude=x a b /dst/',
      sources: ['a', 'b'], dest: '/dst/', contents: [], heredocs: [], from: '', chown: 'app:app', chmod: '0644', link: true, parents: true, exclude: ['*.md', 'x'],
    });
    const a = one('ADD --keep-git-dir=true --checksum=sha256:abc --unpack=false https://x/y.tar /z\n');
    assert.deepEqual(a.kind === 'add' && [a.keepGitDir, a.checksum, a.unpack, a.sources], [true, 'sha256:abc', false, ['https://x/y.tar']]);
    const h = one('COPY <<-EOT <<"RAW" /dir/\n\tline $X\n\tEOT\n$Y\nRAW\n');
    assert.deepEqual(h.kind === 'copy' && h.contents, [{ path: 'EOT', data: 'line $X\n', expand: true }, { path: 'RAW', data: '$Y\n', expand: false }]);
    refused('FROM a\nCOPY onlyone\n', 'Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be determined.');
    refused('FROM a\nCOPY a <<EOF\nx\nEOF\n', 'Dockerfile:2: COPY cannot accept a heredoc as a destination');
    refused('FROM a\nCOPY --link=maybe a b\n', 'Dockerfile:2: expecting boolean value for flag --link, not: maybe');
    refused('FROM a\nCOPY --from a b\n', 'Dockerfile:2: missing a value on flag: --from');
    refused('FROM a\nCOPY --link= a b\n', 'Dockerfile:2: missing a value on flag: --link');
    refused('FROM a\nADD --from=x a b\n', 'Dockerfile:2: unknown flag: --from');
    refused('FROM a\nCOPY --from=a --from=b x y\n', 'Dockerfile:2: duplicate flag specified: --from');
  });

  it('reads COPY and RUN heredocs as BuildKit (parse_heredoc_test cases)', () => {
    const src = (text: string): unknown => {
      const c = one(text);
      return c.kind === 'copy' && { sources: c.sources, dest: c.dest, contents: c.contents };
    };
    const content = (path: string, data: string, expand = true): unknown => ({ path, data, expand });
    assert.deepEqual(src('COPY /foo /bar'), { sources: ['/foo'], dest: '/bar', contents: [] });
    assert.deepEqual(src('COPY <<EOF /bar\nEOF'), { sources: [], dest: '/bar', contents: [content('EOF', '')] });
    assert.deepEqual(src('COPY <<EOF /bar\nTESTING\nEOF'), { sources: [], dest: '/bar', contents: [content('EOF', 'TESTING\n')] });
    assert.deepEqual(src('COPY <<-EOF /bar\n\tTESTING\nEOF'), { sources: [], dest: '/bar', contents: [content('EOF', 'TESTING\n')] });
    assert.deepEqual(src("COPY <<'EOF' /bar\nTESTING\nEOF"), { sources: [], dest: '/bar', contents: [content('EOF', 'TESTING\n', false)] });
    assert.deepEqual(src('COPY <<EOF1 <<EOF2 /bar\nthis is the first file\nEOF1\nthis is the second file\nEOF2'),
      { sources: [], dest: '/bar', contents: [content('EOF1', 'this is the first file\n'), content('EOF2', 'this is the second file\n')] });
    assert.deepEqual(src('COPY <<EOF foo.txt /bar\nthis is inline\nEOF'), { sources: ['foo.txt'], dest: '/bar', contents: [content('EOF', 'this is inline\n')] });
    const run = (text: string): unknown => {
      const c = one(text);
      return c.kind === 'run' && { shell: c.shell, cmd: c.cmd, files: c.heredocs.map((h) => [h.name, h.content, h.chomp]) };
    };
    assert.deepEqual(run('RUN ["ls", "/"]'), { shell: false, cmd: ['ls', '/'], files: [] });
    assert.deepEqual(run('RUN ["<<EOF"]'), { shell: false, cmd: ['<<EOF'], files: [] });
    assert.deepEqual(run('RUN ls /'), { shell: true, cmd: ['ls /'], files: [] });
    assert.deepEqual(run('RUN <<EOF\nls /\nwhoami\nEOF'), { shell: true, cmd: ['<<EOF'], files: [['EOF', 'ls /\nwhoami\n', false]] });
    assert.deepEqual(run("RUN <<'EOF' | python\nprint(\"hello\")\nprint(\"world\")\nEOF"),
      { shell: true, cmd: ["<<'EOF' | python"], files: [['EOF', 'print("hello")\nprint("world")\n', false]] });
    assert.deepEqual(run('RUN <<-EOF\n\techo test\nEOF'), { shell: true, cmd: ['<<-EOF'], files: [['EOF', '\techo test\n', true]] });
  });

  it('types ENV, LABEL, ARG in both forms', () => {
    const [env, label, arg] = commands('ENV A=1 B="two words"\nLABEL legacy value here\nARG X Y=1 Z=\n');
    assert.deepEqual(env.kind === 'env' && env.pairs, [{ key: 'A', value: '1', legacy: false }, { key: 'B', value: '"two words"', legacy: false }]);
    assert.deepEqual(label.kind === 'label' && label.pairs, [{ key: 'legacy', value: 'value here', legacy: true }]);
    assert.deepEqual(arg.kind === 'arg' && arg.args, [{ key: 'X' }, { key: 'Y', value: '1' }, { key: 'Z', value: '' }]);
    refused('FROM a\nENV =x\n', 'Dockerfile:2: ENV names can not be blank');
    refused('FROM a\nARG =x\n', 'Dockerfile:2: ARG names can not be blank');
    refused('FROM a\nENV\n', 'Dockerfile:2: ENV requires at least one argument');
    refused('FROM a\nLABEL a=b c\n', 'Dockerfile:2: Syntax error - can\'t find = in "c". Must be of the form: name=value');
  });

  it('types HEALTHCHECK with durations in nanoseconds', () => {
    const h = one('HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --start-interval=1.5s --retries=4 CMD curl -f http://x/ || exit 1\n');
    assert.deepEqual(h.kind === 'healthcheck' && [h.test, h.interval, h.timeout, h.startPeriod, h.startInterval, h.retries],
      [['CMD-SHELL', 'curl -f http://x/ || exit 1'], 90e9, 500e6, 2e9, 1.5e9, 4]);
    const e = one('HEALTHCHECK CMD ["/bin/check", "-q"]\n');
    assert.deepEqual(e.kind === 'healthcheck' && e.test, ['CMD', '/bin/check', '-q']);
    assert.deepEqual(one('HEALTHCHECK NONE\n').kind === 'healthcheck' && (one('HEALTHCHECK none\n') as { test: string[] }).test, ['NONE']);
    refused('FROM a\nHEALTHCHECK --interval=10us CMD x\n', 'Dockerfile:2: Interval "interval" cannot be less than 1ms');
    refused('FROM a\nHEALTHCHECK --interval=5 CMD x\n', 'Dockerfile:2: time: missing unit in duration "5"');
    refused('FROM a\nHEALTHCHECK --retries=-1 CMD x\n', 'Dockerfile:2: --retries cannot be negative (-1)');
    refused('FROM a\nHEALTHCHECK CONNECT TCP 7000\n', 'Dockerfile:2: Unknown type "CONNECT" in HEALTHCHECK (try CMD)');
    refused('FROM a\nHEALTHCHECK NONE x\n', 'Dockerfile:2: HEALTHCHECK NONE takes no arguments');
    refused('FROM a\nHEALTHCHECK CMD\n', 'Dockerfile:2: Missing command after HEALTHCHECK CMD');
  });

  it('types the other instructions', () => {
    const cs = commands('WORKDIR /app\nUSER 1000:1000\nCMD ["a"]\nENTRYPOINT run me\nEXPOSE 8080/tcp 53/udp 80\nVOLUME ["/data", "/logs"]\nVOLUME /a /b\nSTOPSIGNAL SIGTERM\nSHELL ["/bin/bash", "-c"]\nONBUILD RUN echo $HOME\nMAINTAINER me\n');
    assert.deepEqual(cs.map((c) => c.kind), ['workdir', 'user', 'cmd', 'entrypoint', 'expose', 'volume', 'volume', 'stopsignal', 'shell', 'onbuild', 'maintainer']);
    const [wd, user, cmd, ep, expose, v1, v2, sig, shell, onbuild, maint] = cs;
    assert.equal(wd.kind === 'workdir' && wd.path, '/app');
    assert.equal(user.kind === 'user' && user.user, '1000:1000');
    assert.deepEqual(cmd.kind === 'cmd' && [cmd.shell, cmd.cmd], [false, ['a']]);
    assert.deepEqual(ep.kind === 'entrypoint' && [ep.shell, ep.cmd], [true, ['run me']]);
    assert.deepEqual(expose.kind === 'expose' && expose.ports, ['53/udp', '80', '8080/tcp']);
    assert.deepEqual(v1.kind === 'volume' && v1.volumes, ['/data', '/logs']);
    assert.deepEqual(v2.kind === 'volume' && v2.volumes, ['/a', '/b']);
    assert.equal(sig.kind === 'stopsignal' && sig.signal, 'SIGTERM');
    assert.deepEqual(shell.kind === 'shell' && shell.shell, ['/bin/bash', '-c']);
    assert.equal(onbuild.kind === 'onbuild' && onbuild.expression, 'RUN echo $HOME');
    assert.equal(maint.kind === 'maintainer' && maint.maintainer, 'me');
    // the trigger runs later, parsed again from the image's config
    const trigger = onbuild.kind === 'onbuild' ? parseTrigger(onbuild.expression) : undefined;
    assert.deepEqual(trigger?.kind === 'run' && trigger.cmd, ['echo $HOME']);
    const here = one('ONBUILD COPY <<EOF /x\nhello\nEOF\n');
    const copy = here.kind === 'onbuild' ? parseTrigger(here.expression) : undefined;
    assert.deepEqual(copy?.kind === 'copy' && copy.contents, [{ path: 'EOF', data: 'hello\n', expand: true }]);
    assert.throws(() => parseTrigger('RUN a\nRUN b'), /onbuild trigger should be a single expression/);
  });

  it('keeps the comments that document stages and ARGs', () => {
    const r = stages('# foo sets foo\nARG foo=bar\n\n# base defines first stage\nFROM busybox AS base\n# this is irrelevant\nARG foo\n# bar defines bar\n# baz is something else\nARG bar baz=123\n');
    assert.equal(r.stages[0].comment, 'defines first stage');
    assert.deepEqual(r.metaArgs[0].args, [{ key: 'foo', value: 'bar', comment: 'sets foo' }]);
    assert.deepEqual(r.stages[0].commands.map((c) => c.kind === 'arg' && c.args), [
      [{ key: 'foo' }], [{ key: 'bar', comment: 'defines bar' }, { key: 'baz', value: '123', comment: 'is something else' }],
    ]);
  });

  it('refuses what Docker refuses', () => {
    refused('RUN x\n', 'Dockerfile:1: no build stage in current context');
    refused('FROM a\nONBUILD ONBUILD RUN x\n', 'Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
    refused('FROM a\nONBUILD FROM b\n', "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger");
    refused('FROM a\nonbuild maintainer me\n', "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger");
    refused('FROM a\nSHELL /bin/sh -c\n', 'Dockerfile:2: SHELL requires the arguments to be in JSON form');
    refused('FROM a b\n', 'Dockerfile:1: FROM requires either one or three arguments');
    refused('FROM a AS 1st\n', 'Dockerfile:1: invalid name for build stage: "1st", name can\'t start with a number or contain symbols');
    refused('FROM a\nWORKDIR\n', 'Dockerfile:2: WORKDIR requires exactly one argument');
    refused('FROM a\nEXPOSE\n', 'Dockerfile:2: EXPOSE requires at least one argument');
    refused('FROM a\nVOLUME [""]\n', 'Dockerfile:2: VOLUME specified can not be an empty string');
    refused('FROM a\nUSER --x=1 me\n', 'Dockerfile:2: unknown flag: --x');
    refused('FROM a\nCMD ["a", 1]\n', 'Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only');
    refused('FROM a\n\nwrkdir /x\n', 'Dockerfile:3: unknown instruction: wrkdir (did you mean workdir?)');
  });
});

describe('expandCommand', () => {
  const lex = new ShellLex('\\');
  const env = new Map([['APP', '/srv/app'], ['V', '1.2'], ['E', ''], ['PORTS', '80 443']]);
  const expand = (text: string): Command => expandCommand(one(text), lex, env);

  it('expands the words BuildKit expands, quotes removed', () => {
    assert.deepEqual((expand('ENV DIR=$APP/bin "Q"="a b"\n') as { pairs: unknown }).pairs,
      [{ key: 'DIR', value: '/srv/app/bin', legacy: false }, { key: 'Q', value: 'a b', legacy: false }]);
    assert.deepEqual((expand('ENV OLD "quoted $V" x\n') as { pairs: unknown }).pairs, [{ key: 'OLD', value: 'quoted 1.2 x', legacy: true }]);
    assert.deepEqual((expand('LABEL version="${V}" other=\'$V\'\n') as { pairs: unknown }).pairs,
      [{ key: 'version', value: '1.2', legacy: false }, { key: 'other', value: '$V', legacy: false }]);
    assert.equal((expand('WORKDIR ${APP:-/x}/src\n') as { path: string }).path, '/srv/app/src');
    assert.equal((expand('USER ${E:-nobody}\n') as { user: string }).user, 'nobody');
    assert.deepEqual((expand('EXPOSE $PORTS 8080\n') as { ports: string[] }).ports, ['80', '443', '8080']);
    assert.deepEqual((expand('VOLUME $APP/data\n') as { volumes: string[] }).volumes, ['/srv/app/data']);
    assert.equal((expand('STOPSIGNAL ${SIG:-SIGQUIT}\n') as { signal: string }).signal, 'SIGQUIT');
    assert.deepEqual((expand('ARG X=$V Y\n') as { args: unknown }).args, [{ key: 'X', value: '1.2' }, { key: 'Y' }]);
    const c = expand('COPY --chown=${U:-app} --from=${S:-base} $APP/a b\\ c ${APP}/\n');
    assert.deepEqual(c.kind === 'copy' && [c.chown, c.from, c.sources, c.dest], ['app', 'base', ['/srv/app/a', 'b', 'c'], '/srv/app/']);
    const j = expand('COPY ["$APP/a b", "/d"]\n');
    assert.deepEqual(j.kind === 'copy' && j.sources, ['/srv/app/a b']);
    // the shell form splits on spaces before quotes are seen, as BuildKit
    assert.throws(() => expand('COPY "b c" /d\n'), /unexpected end of statement while looking for matching double-quote/);
    const h = expand('COPY <<EOF <<\'RAW\' /x\n"$V" \\$APP\nEOF\n$V\nRAW\n');
    assert.deepEqual(h.kind === 'copy' && h.contents.map((x) => x.data), ['"1.2" $APP\n', '$V\n']);
  });

  it('leaves RUN, CMD and ENTRYPOINT bodies alone but expands mounts', () => {
    const run = expand('RUN --mount=type=cache,target=$APP/cache,id=${V} echo $APP\n');
    assert.deepEqual(run.kind === 'run' && [run.cmd, run.mounts[0].target, run.mounts[0].id], [['echo $APP'], '/srv/app/cache', '1.2']);
    const later = expandCommand(one('RUN --mount=type=$T,target=/x true\n'), lex, new Map([['T', 'tmpfs']]));
    assert.equal(later.kind === 'run' && later.mounts[0].type, 'tmpfs');
    assert.throws(() => expandCommand(one('RUN --mount=type=${T:-nope},target=/x true\n'), lex, env), { message: 'Dockerfile:2: unsupported mount type "nope"' });
    assert.deepEqual((expand('CMD echo $APP\n') as { cmd: string[] }).cmd, ['echo $APP']);
  });

  it('reports substitution errors at the line, and expands FROM', () => {
    assert.throws(() => expandCommand(one('\nWORKDIR ${NOPE:?set NOPE}\n'), lex, env, { file: 'Containerfile' }),
      { message: 'Containerfile:3: failed to process "${NOPE:?set NOPE}": NOPE: set NOPE' });
    const s = stages('ARG TAG=3\nFROM --platform=$TARGETPLATFORM alpine:$TAG\n').stages[0];
    const meta = new Map([['TAG', '3.20'], ...platformArgs({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm', variant: 'v7' })]);
    assert.deepEqual(expandFrom(s, lex, meta), { baseName: 'alpine:3.20', platform: 'linux/arm/v7' });
    assert.throws(() => expandFrom(stages('FROM $NONE\n').stages[0], lex, meta), { message: 'Dockerfile:1: base name ($NONE) should not be blank' });
    assert.ok(BUILTIN_ARGS.includes('TARGETARCH') && BUILTIN_ARGS.includes('no_proxy'));
  });
});
