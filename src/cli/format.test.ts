import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiPort } from './format.js';
import { ago, displayablePorts, ellipsis, goG, humanDuration, humanSize, bytesSize, parseGoDuration, parseRamBytes, tabwrite } from './format.js';

void test('go-units sizes as docker prints them', () => {
  assert.equal(humanSize(2050000, 3), '2.05MB');
  assert.equal(humanSize(4096, 3), '4.1kB');
  assert.equal(humanSize(4261000), '4.261MB');
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999, 3), '999B');
  assert.equal(humanSize(999999, 3), '1e+03kB');
  assert.equal(humanSize(1e9, 3), '1GB');
  assert.equal(bytesSize(1024 * 1024 * 1.5), '1.5MiB');
  assert.equal(bytesSize(7.7 * 1024 ** 3), '7.7GiB');
  assert.equal(goG(0.000012345, 3), '1.23e-05');
});

void test('go-units durations', () => {
  const s = 1000;
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1 * s), '1 second');
  assert.equal(humanDuration(3 * s), '3 seconds');
  assert.equal(humanDuration(60 * s), 'About a minute');
  assert.equal(humanDuration(119 * s), 'About a minute');
  assert.equal(humanDuration(120 * s), '2 minutes');
  assert.equal(humanDuration(3600 * s), 'About an hour');
  assert.equal(humanDuration(5 * 3600 * s), '5 hours');
  assert.equal(humanDuration(3 * 86400 * s), '3 days');
  assert.equal(humanDuration(21 * 86400 * s), '3 weeks');
  assert.equal(humanDuration(90 * 86400 * s), '3 months');
  assert.equal(humanDuration(800 * 86400 * s), '2 years');
  assert.equal(ago(1000, 1000 * 1000 + 125000), '2 minutes ago');
});

void test('tabwriter columns: minwidth 10, padding 3, last column unpadded', () => {
  const out = tabwrite('CONTAINER ID\tIMAGE\tNAMES\nabc\tbusybox\tx\n');
  assert.equal(out, 'CONTAINER ID   IMAGE     NAMES\nabc            busybox   x\n');
  // a wide cell widens its whole column
  assert.equal(tabwrite('A\tB\nlong-long-value\tx\n'), 'A                 B\nlong-long-value   x\n');
});

void test('ports as docker ps shows them', () => {
  assert.equal(
    displayablePorts([
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    ]),
    '0.0.0.0:8080->80/tcp, [::]:8080->80/tcp',
  );
  assert.equal(
    displayablePorts([
      { PrivatePort: 443, Type: 'tcp' },
      { PrivatePort: 80, Type: 'tcp' },
      { PrivatePort: 81, Type: 'tcp' },
      { PrivatePort: 82, Type: 'tcp' },
      { PrivatePort: 53, Type: 'udp' },
    ]),
    // Go's order: groups closed while walking, then open groups in creation order
    '80-82/tcp, 53/udp, 443/tcp',
  );
  assert.equal(displayablePorts([{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 80, Type: 'tcp' }]), '0.0.0.0:80->80/tcp');
});

void test('ports column: ranges, IPv6 rows and order as docker 28 prints them', () => {
  const p = (IP: string | undefined, PrivatePort: number, PublicPort: number | undefined, Type = 'tcp'): ApiPort => ({ IP, PrivatePort, PublicPort, Type });
  // the same port on both sides: consecutive ports collapse, IPv6 addresses in brackets
  assert.equal(displayablePorts([p('::', 80, 80), p('0.0.0.0', 80, 80), p('::', 81, 81), p('0.0.0.0', 81, 81)]), '0.0.0.0:80-81->80-81/tcp, [::]:80-81->80-81/tcp');
  // different host ports are listed one by one, after the groups
  assert.equal(displayablePorts([p('0.0.0.0', 90, 18000), p('0.0.0.0', 91, 18001), p(undefined, 300, undefined)]), '300/tcp, 0.0.0.0:18000->90/tcp, 0.0.0.0:18001->91/tcp');
  // addresses sort as strings
  assert.equal(
    displayablePorts([p('10.0.0.1', 80, 8080), p('9.0.0.1', 80, 8080), p('::1', 80, 8080), p('fe80::1', 80, 8080), p('0.0.0.0', 80, 8080, 'udp')]),
    '0.0.0.0:8080->80/udp, 10.0.0.1:8080->80/tcp, 9.0.0.1:8080->80/tcp, [::1]:8080->80/tcp, [fe80::1]:8080->80/tcp',
  );
  assert.equal(displayablePorts([p('0.0.0.0', 80, 80), p(undefined, 81, undefined), p('0.0.0.0', 82, 82), p('0.0.0.0', 83, 83)]), '0.0.0.0:80->80/tcp, 0.0.0.0:82-83->82-83/tcp, 81/tcp');
  assert.equal(displayablePorts([]), '');
});

void test('parsers', () => {
  assert.equal(parseRamBytes('512m'), 512 * 1024 * 1024);
  assert.equal(parseRamBytes('1g'), 1024 ** 3);
  assert.equal(parseRamBytes('100'), 100);
  assert.throws(() => parseRamBytes('abc'), /invalid size: 'abc'/);
  assert.equal(parseGoDuration('1m30s'), 90000);
  assert.equal(parseGoDuration('500ms'), 500);
  assert.equal(ellipsis('abcdefghijklmnopqrstuvwxyz', 20), 'abcdefghijklmnopqrs…');
});
