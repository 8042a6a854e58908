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

void test('flag values checked as they are set, aliases, filters, -f= and wrapped help', async () => {
  const { helpText, wrapUsage } = await import('./flags.js');
  const s: CommandSpec = {
    name: 'network ls',
    usage: '[OPTIONS]',
    description: 'List networks',
    minArgs: 1,
    flags: [
      { name: 'dns', kind: 'list', help: '', validate: (v) => { if (v === 'bad') throw new Error('IP address is not correctly formatted: bad'); return v.trim(); } },
      { name: 'net', kind: 'list', help: '', hidden: true, aliasOf: 'network' },
      { name: 'network', kind: 'list', help: '' },
      { name: 'filter', short: 'f', kind: 'list', type: 'filter', help: 'Provide filter values (e.g. "driver=bridge")' },
    ],
  };
  const p = parseFlags(s, ['--dns', ' 1.1.1.1 ', '--net', 'a', '--network', 'b', '-f=', '-f=x=1']);
  assert.deepEqual(p.list('dns'), ['1.1.1.1']);
  assert.deepEqual(p.list('network'), ['a', 'b']);
  assert.deepEqual(p.list('filter'), ['=', 'x=1'], 'pflag keeps the = of -f=');
  // a bad value is the flag's error, before any argument is checked
  assert.throws(() => parseFlags(s, ['--dns', 'bad']), (e: unknown) => e instanceof UsageError && e.code === 125 && e.message === 'invalid argument "bad" for "--dns" flag: IP address is not correctly formatted: bad');
  assert.throws(() => parseFlags(s, ['-f', 'bogus']), /invalid argument "bogus" for "-f, --filter" flag: bad format of filter \(expected name=value\)/);
  assert.equal(wrapUsage(22, 79, 'Format output using a custom template:\n\'json\':             Print in JSON format'), "Format output using a custom template:\n                      'json':             Print in JSON format");
  assert.match(helpText({ ...s, flags: [{ name: 'ipv4', kind: 'bool', default: true, help: 'Enable or disable IPv4 address assignment' }, { name: 'opt', short: 'o', kind: 'list', type: 'map', defaultText: 'map[]', help: 'Set driver specific options' }] }), /\n {6}--ipv4 {6}Enable or disable IPv4 address assignment \(default true\)\n  -o, --opt map   Set driver specific options \(default map\[\]\)\n/);
  const range: CommandSpec = { ...s, minArgs: 1, maxArgs: 2 };
  assert.throws(() => checkArgs(range, parseFlags(range, [])), (e: unknown) => e instanceof UsageError && usageErrorText(e).startsWith("minke: 'minke network ls' requires at least 1 and at most 2 arguments\n\n") && usageErrorText(e).endsWith("Run 'minke network ls --help' for more information\n"));
});
