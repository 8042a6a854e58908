import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bigintToIp6, formatCidr6, hostRoutes6, ip6ToBigint, ipv6Problem, overlaps6, parseAddressPool6, parseCidr6, pickSubnet6, ulaPool } from './subnets6.js';

describe('IPv6 subnets', () => {
  it('parses and prints addresses in Go\'s canonical form', () => {
    assert.equal(bigintToIp6(ip6ToBigint('FD00:0:0:0:0:0:0:1')), 'fd00::1');
    assert.equal(bigintToIp6(ip6ToBigint('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1', 'the first longest run of zeros');
    assert.equal(bigintToIp6(ip6ToBigint('::ffff:10.0.0.1')), '::ffff:a00:1');
    assert.equal(bigintToIp6(0n), '::');
    assert.equal(formatCidr6(parseCidr6('fd00:6e6:1::7/64')), 'fd00:6e6:1::/64');
    assert.throws(() => parseCidr6('fd00::/129'), /invalid CIDR address/);
    assert.throws(() => ip6ToBigint('fe80::1%eth0'), /invalid IPv6 address/);
    assert.ok(overlaps6(parseCidr6('fd00::/8'), parseCidr6('fd00:6e6::/32')));
    assert.ok(!overlaps6(parseCidr6('fd00:6e6:1::/64'), parseCidr6('fd00:6e6:2::/64')));
  });

  it('derives the engine\'s ULA /48 from its ID, the same each time', () => {
    const a = ulaPool('0a1b2c3d-1111-2222-3333-444455556666');
    assert.equal(a.size, 64);
    assert.equal(a.base.bits, 48);
    assert.match(formatCidr6(a.base), /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/48$/);
    assert.equal(formatCidr6(ulaPool('0a1b2c3d-1111-2222-3333-444455556666').base), formatCidr6(a.base));
    assert.notEqual(formatCidr6(ulaPool('another engine').base), formatCidr6(a.base));
  });

  it('picks /64s that overlap neither networks nor host routes', () => {
    const pool = parseAddressPool6('base=fd00:6e6::/48,size=64');
    assert.equal(formatCidr6(pickSubnet6([pool], [], [])), 'fd00:6e6::/64');
    assert.equal(formatCidr6(pickSubnet6([pool], [parseCidr6('fd00:6e6::/64')], [parseCidr6('fd00:6e6:0:1::/64')])), 'fd00:6e6:0:2::/64');
    assert.throws(() => pickSubnet6([parseAddressPool6('base=fd00:6e6::/64,size=64')], [parseCidr6('fd00:6e6::/64')], []), /non-overlapping IPv6 address pool/);
    assert.throws(() => parseAddressPool6('base=fd00::/64,size=48'), /size must be between 64 and 126/);
  });

  it('reads the host IPv6 routes, without link-local, multicast, host and default routes', () => {
    const text = [
      'fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
      'fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000001 00000000 00000003     eth0',
      'ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
      'fd000000000000000000000000000002 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000001 00000000 80200001     eth0',
    ].join('\n');
    assert.deepEqual(hostRoutes6(text).map(formatCidr6), ['fd00::/64']);
  });

  it('says why a host cannot run IPv6 networks', () => {
    const files = (f: Record<string, string>) => ({ read: (p: string) => f[p], ip6tables: () => {} });
    const all = { '/proc/net/if_inet6': '', '/proc/sys/net/ipv6/conf/all/disable_ipv6': '0\n' };
    assert.equal(ipv6Problem(files(all)), undefined);
    assert.equal(ipv6Problem(files({})), 'the kernel has no IPv6 (/proc/net/if_inet6 is missing)');
    assert.equal(ipv6Problem(files({ ...all, '/proc/sys/net/ipv6/conf/all/disable_ipv6': '1\n' })), 'IPv6 is disabled (net.ipv6.conf.all.disable_ipv6=1)');
    const broken = { read: (p: string) => (all as Record<string, string>)[p], ip6tables: () => { throw Object.assign(new Error('Command failed'), { stderr: 'ip6tables: can\'t initialize ip6tables table `nat\'\n' }); } };
    assert.equal(ipv6Problem(broken), 'ip6tables does not work: ip6tables: can\'t initialize ip6tables table `nat\'');
  });
});
