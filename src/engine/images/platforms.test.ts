import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgument } from '../../core/errors.js';
import { formatPlatform, hostPlatform, parsePlatform, platformMatches } from './platforms.js';

test('parses specifiers as containerd does: normalised names, defaults from the host', () => {
  const host = hostPlatform().architecture;
  const cases: Array<[string, string]> = [
    ['linux/aarch64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64/v8'],
    ['LINUX/X86_64', 'linux/amd64'],
    ['linux/amd64/v1', 'linux/amd64'],
    ['linux', `linux/${host}`],
    ['arm64', 'linux/arm64'],
    ['armhf', 'linux/arm'],
    ['linux/arm', 'linux/arm'],
    ['linux/arm/7', 'linux/arm/v7'],
    ['linux/i386', 'linux/386'],
    ['macos/arm64', 'darwin/arm64'],
    ['linux/foo', 'linux/foo'],
  ];
  for (const [spec, want] of cases) assert.equal(formatPlatform(parsePlatform(spec)), want, spec);
});

test('refuses malformed specifiers with containerd\'s words', () => {
  const cases: Array<[string, RegExp]> = [
    ['foo', /^"foo": unknown operating system or architecture: invalid argument$/],
    ['foo/bar/baz/qux', /^"foo\/bar\/baz\/qux": cannot parse platform specifier: invalid argument$/],
    ['linux//amd64', /^"" is an invalid component of "linux\/\/amd64": platform specifier component must match/],
    ['/amd64', /^"" is an invalid OS component of "\/amd64"/],
    ['linux/*', /wildcards not yet supported/],
  ];
  for (const [spec, re] of cases) {
    assert.throws(() => parsePlatform(spec), (err: unknown) => err instanceof InvalidArgument && re.test(err.message), spec);
  }
});

test('matches an image of the platform asked for, or of an older variant the CPU runs', () => {
  const amd64 = { os: 'linux', architecture: 'amd64' };
  assert.ok(platformMatches(parsePlatform('linux/amd64'), amd64));
  assert.ok(platformMatches(parsePlatform('linux/x86_64'), amd64));
  assert.ok(platformMatches(parsePlatform('linux/amd64/v3'), amd64), 'a v3 machine runs v1 images');
  assert.ok(!platformMatches(parsePlatform('linux/amd64'), { ...amd64, variant: 'v3' }), 'but a v1 one not v3 images');
  assert.ok(!platformMatches(parsePlatform('linux/aarch64'), amd64));
  assert.ok(!platformMatches(parsePlatform('windows/amd64'), amd64));
  assert.ok(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'aarch64' }));
  assert.ok(platformMatches(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v6' }));
  assert.ok(!platformMatches(parsePlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v7' }));
});
