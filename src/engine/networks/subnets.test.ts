import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { contains, formatCidr, hostRoutes, ipToNumber, overlaps, parseAddressPool, parseCidr, pickSubnet } from './subnets.js';

describe('subnets', () => {
  it('parses and formats CIDRs, reducing to the network address', () => {
    assert.equal(formatCidr(parseCidr('10.88.3.7/16')), '10.88.0.0/16');
    assert.throws(() => parseCidr('10.88.3.7/16', true), /it should be 10\.88\.0\.0\/16/);
    assert.throws(() => parseCidr('10.300.0.0/16'), /invalid IP address/);
    assert.throws(() => parseCidr('10.0.0.0'), /invalid CIDR/);
    assert.ok(contains(parseCidr('10.88.0.0/16'), ipToNumber('10.88.255.254')));
    assert.ok(!contains(parseCidr('10.88.0.0/16'), ipToNumber('10.89.0.1')));
    assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.5.0.0/24')));
    assert.ok(!overlaps(parseCidr('10.1.0.0/24'), parseCidr('10.1.1.0/24')));
  });

  it('reads the host routes from /proc/net/route, skipping the default route', () => {
    const text = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n'
      + 'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n'
      + 'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n'
      + 'br0\t0000590A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n';
    assert.deepEqual(hostRoutes(text).map(formatCidr), ['192.0.2.0/24', '10.89.0.0/16']);
  });

  it('picks the first pool subnet that overlaps neither networks, routes, nor docker0', () => {
    const pool = parseAddressPool('base=10.89.0.0/16,size=24');
    assert.equal(formatCidr(pickSubnet([pool], [], [])), '10.89.0.0/24');
    assert.equal(formatCidr(pickSubnet([pool], [parseCidr('10.89.0.0/24')], [parseCidr('10.89.1.0/25')])), '10.89.2.0/24');
    const dockerish = parseAddressPool('base=172.16.0.0/12,size=16');
    assert.equal(formatCidr(pickSubnet([dockerish], [parseCidr('172.16.0.0/16')], [])), '172.18.0.0/16', 'never 172.17.0.0/16');
    assert.throws(() => pickSubnet([parseAddressPool('base=10.1.0.0/24,size=24')], [parseCidr('10.1.0.0/24')], []), /could not find an available/);
    assert.throws(() => parseAddressPool('base=10.1.0.0/16'), /expected base=CIDR,size=N/);
  });
});
