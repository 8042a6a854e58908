import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipString, isValidMAC, netContains, parseCIDR, parseIP } from './goip.js';

const norm = (s: string): string | undefined => {
  const ip = parseIP(s);
  return ip && ipString(ip);
};

void test('addresses read and printed as Go does', () => {
  assert.equal(norm('1.2.3.4'), '1.2.3.4');
  assert.equal(norm('0:0::1'), '::1');
  assert.equal(norm('::'), '::');
  assert.equal(norm('2001:DB8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(norm('::ffff:1.2.3.4'), '1.2.3.4');
  assert.equal(norm('fe80::1:2'), 'fe80::1:2');
  assert.equal(norm('1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8');
  assert.equal(norm('1:0:0:4:0:0:0:8'), '1:0:0:4::8');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', '1::2::3', ':1', '1:', '12345::', '[::1]', '1.2.3.4x', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9']) {
    assert.equal(parseIP(bad), undefined, bad);
  }
});

void test('networks and membership', () => {
  const n = parseCIDR('10.50.0.5/24');
  assert.ok(n);
  assert.equal(ipString(n.net.ip), '10.50.0.0');
  assert.ok(netContains(n.net, parseIP('10.50.0.200')));
  assert.ok(!netContains(n.net, parseIP('10.51.0.1')));
  assert.ok(!netContains(n.net, parseIP('::1')));
  const v6 = parseCIDR('fd00::/64');
  assert.ok(v6 && netContains(v6.net, parseIP('fd00::5')));
  assert.equal(parseCIDR('10.0.0.1'), undefined);
  assert.equal(parseCIDR('10.0.0.0/33'), undefined);
});

void test('MAC addresses as net.ParseMAC takes them', () => {
  for (const ok of ['02:42:ac:11:00:09', '02-42-AC-11-00-09', '0242.ac11.0009', '00:00:00:00:fe:80:00:00']) assert.ok(isValidMAC(ok), ok);
  for (const bad of ['bad', '02:42:ac:11:00', '02:42-ac:11:00:09', '02:42:ac:11:00:0g', ' 02:42:ac:11:00:09']) assert.ok(!isValidMAC(bad), bad);
});
