import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CommandSpec } from './flags.js';
import { checkArgs, parseFlags, UsageError, usageErrorText } from './flags.js';

const spec: CommandSpec = {
  name: 'run',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  stopAtPositional: true,
  minArgs: 1,
  flags: [
    { name: 'interactive', short: 'i', kind: 'bool', help: '' },
    { name: 'tty', short: 't', kind: 'bool', help: '' },
    { name: 'rm', kind: 'bool', help: '' },
    { name: 'env', short: 'e', kind: 'list', help: '' },
    { name: 'publish', short: 'p', kind: 'list', help: '' },
    { name: 'name', kind: 'string', help: '' },
    { name: 'hostname', short: 'h', kind: 'string', help: '' },
    { name: 'cpu-shares', short: 'c', kind: 'int', help: '' },
  ],
};

void test('pflag semantics: bundles, attached values, =, repeats, stop at the image', () => {
  const p = parseFlags(spec, ['-it', '--rm=false', '-eA=1', '-e', 'B=2', '-p8080:80', '--name=web', '-h', 'box', 'busybox', 'sh', '-c', 'echo --rm']);
  assert.equal(p.bool('interactive'), true);
  assert.equal(p.bool('tty'), true);
  assert.equal(p.bool('rm'), false);
  assert.deepEqual(p.list('env'), ['A=1', 'B=2']);
  assert.deepEqual(p.list('publish'), ['8080:80']);
  assert.equal(p.str('name'), 'web');
  assert.equal(p.str('hostname'), 'box');
  assert.deepEqual(p.args, ['busybox', 'sh', '-c', 'echo --rm']);
  assert.deepEqual(parseFlags(spec, ['--', '-x']).args, ['-x']);
});

void test('docker-worded flag and argument errors', () => {
  const err = (argv: string[]): UsageError => {
    try {
      checkArgs(spec, parseFlags(spec, argv));
    } catch (e) {
      return e as UsageError;
    }
    throw new Error('no error');
  };
  assert.equal(err(['--nope']).message, 'unknown flag: --nope');
  assert.equal(err(['--nope']).code, 125);
  assert.equal(err(['-z']).message, "unknown shorthand flag: 'z' in -z");
  assert.equal(err(['-e']).message, "flag needs an argument: 'e' in -e");
  assert.equal(err(['-c', 'x', 'img']).message, 'invalid argument "x" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "x": invalid syntax');
  const min = err([]);
  assert.equal(min.code, 1);
  assert.equal(usageErrorText(min), "minke: 'minke run' requires at least 1 argument\n\nUsage:  minke run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'minke run --help' for more information\n");
});
