import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cniRange, hostLocalServes, planIpam, type IpamContext } from './ipam-config.js';
import { ipv6Unavailable, parseAddressPool6, parseCidr6 } from './subnets6.js';
import { parseAddressPool, parseCidr } from './subnets.js';

const ctx = (over: Partial<IpamContext> = {}): IpamContext => ({
  taken4: [], taken6: [], pools: [parseAddressPool('base=10.240.0.0/16,size=24')], pools6: [parseAddressPool6('base=fd00:6e6::/48,size=64')], routes4: () => [], ...over,
});
const v6 = ipv6Unavailable();

describe('IPAM configuration of a new network', () => {
  it('plans IPv4, and IPv6 with EnableIPv6, picking what was not given', { skip: v6 ? `the host has no IPv6: ${v6}` : false }, () => {
    const p = planIpam([{ Subnet: 'fd00:6e6:5::/64' }], true, ctx());
    assert.deepEqual(p.config, [{ Subnet: '10.240.0.0/24', Gateway: '10.240.0.1' }, { Subnet: 'fd00:6e6:5::/64', Gateway: 'fd00:6e6:5::1', gatewayImplied: true }]);
    assert.equal(p.subnetPicked, true);
    assert.equal(p.subnet6Picked, false);
    const q = planIpam([], true, ctx({ taken6: [parseCidr6('fd00:6e6::/64')] }));
    assert.equal(q.config[1]!.Subnet, 'fd00:6e6:0:1::/64');
    assert.equal(q.subnet6Picked, true);
    assert.throws(() => planIpam([{ Subnet: 'fd00:6e6:5::/64' }, { Subnet: 'fd00:6e6:6::/64' }], true, ctx()), /^Forbidden: bridge driver doesn't support multiple subnets$/);
    assert.throws(() => planIpam([{ Subnet: 'fd00:6e6:5::1/64', Gateway: 'fd00:6e6:9::1', IPRange: '10.0.0.0/24' }], true, ctx()), (err: Error) => {
      assert.equal(err.message, [
        'invalid network config:',
        'invalid subnet fd00:6e6:5::1/64: it should be fd00:6e6:5::/64',
        'invalid ip-range 10.0.0.0/24: parent subnet is an IPv6 block',
        'invalid gateway fd00:6e6:9::1: parent subnet fd00:6e6:5::/64 doesn\'t contain this address',
      ].join('\n'));
      return true;
    });
    assert.throws(() => planIpam([{ Subnet: 'fd00:6e6:5::/80' }], true, ctx({ taken6: [parseCidr6('fd00:6e6:5::/64')] })), /Pool overlaps/);
    assert.throws(() => planIpam([{ Subnet: 'fd00:6e6:7::/128' }], true, ctx()), /failed to allocate gateway \(\): No available addresses on this pool/);
  });

  it('keeps an IPv6 subnet of a network without IPv6 unchecked and unused, as dockerd', () => {
    const p = planIpam([{ Subnet: '10.97.0.0/24' }, { Subnet: 'fd00:6e6:8::/64', Gateway: 'fd00:6e6:99::1' }], false, ctx());
    assert.deepEqual(p.config, [{ Subnet: '10.97.0.0/24', Gateway: '10.97.0.1', gatewayImplied: true }, { Subnet: 'fd00:6e6:8::/64', Gateway: 'fd00:6e6:99::1' }]);
    assert.equal(p.subnet6Picked, false);
    assert.throws(() => planIpam([{ Subnet: '10.97.0.0/24' }, { Subnet: '10.97.1.0/24' }], false, ctx()), /bridge driver doesn't support multiple subnets/);
  });

  it('gives /31 and /32 networks their first address as gateway (RFC 3021: no network or broadcast address)', () => {
    assert.deepEqual(planIpam([{ Subnet: '10.97.2.0/31' }], false, ctx()).config, [{ Subnet: '10.97.2.0/31', Gateway: '10.97.2.0', gatewayImplied: true }]);
    assert.deepEqual(planIpam([{ Subnet: '10.97.2.0/31', Gateway: '10.97.2.1' }], false, ctx()).config, [{ Subnet: '10.97.2.0/31', Gateway: '10.97.2.1' }]);
    assert.deepEqual(planIpam([{ Subnet: '10.97.3.7/32' }], false, ctx()).config, [{ Subnet: '10.97.3.7/32', Gateway: '10.97.3.7', gatewayImplied: true }]);
    assert.throws(() => planIpam([{ Subnet: '10.97.6.0/24', Gateway: '10.97.6.0' }], false, ctx()), /failed to allocate gateway \(10\.97\.6\.0\): Address already in use/);
    assert.throws(() => planIpam([{ Subnet: '10.97.6.0/24' }], false, ctx({ taken4: [parseCidr('10.97.6.128/25')] })), /Pool overlaps/);
  });

  it('says which pools host-local serves, and their ranges', () => {
    assert.ok(hostLocalServes({ Subnet: '10.0.0.0/30', Gateway: '10.0.0.1' }));
    assert.ok(!hostLocalServes({ Subnet: '10.0.0.0/31', Gateway: '10.0.0.0' }));
    assert.ok(hostLocalServes({ Subnet: 'fd00::/126', Gateway: 'fd00::1' }));
    assert.ok(!hostLocalServes({ Subnet: 'fd00::/127', Gateway: 'fd00::1' }));
    assert.deepEqual(cniRange({ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1', IPRange: '10.0.0.128/25' }), { subnet: '10.0.0.0/24', gateway: '10.0.0.1', rangeStart: '10.0.0.129', rangeEnd: '10.0.0.254' });
    assert.deepEqual(cniRange({ Subnet: 'fd00::/64', Gateway: 'fd00::1', IPRange: 'fd00::/80' }), { subnet: 'fd00::/64', gateway: 'fd00::1', rangeStart: 'fd00::1', rangeEnd: 'fd00::ffff:ffff:ffff' });
  });
});
