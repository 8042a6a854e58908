import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { leaseAddresses, releaseLeases } from './small-subnets.js';

describe('addresses the engine leases on /31 and /32 networks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'minke-leases-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const net = { Name: 'p2p', Id: 'abc' };
  const p31 = { Subnet: '10.97.2.0/31', Gateway: '10.97.2.0' };
  const v6 = { Subnet: 'fd00:6e6:1::/64', Gateway: 'fd00:6e6:1::1' };

  it('gives the one address besides the gateway, once, and takes it back', async () => {
    assert.deepEqual(await leaseAddresses(dir, 'c1', 'eth0', [{ pool: p31 }, { pool: v6 }], net), ['10.97.2.1/31', 'fd00:6e6:1::2/64']);
    await assert.rejects(leaseAddresses(dir, 'c2', 'eth0', [{ pool: p31 }], net), /^SystemError: no available IPv4 addresses on this network's address pools: p2p \(abc\)$/);
    await releaseLeases(dir, 'c1');
    assert.deepEqual(readdirSync(dir), []);
    assert.deepEqual(await leaseAddresses(dir, 'c2', 'eth0', [{ pool: p31, requested: '10.97.2.1' }, { pool: v6, requested: 'fd00:6e6:1:0::9' }], net), ['10.97.2.1/31', 'fd00:6e6:1::9/64']);
  });

  it('refuses the gateway, an address in use, and keeps nothing of a failed lease', async () => {
    await assert.rejects(leaseAddresses(dir, 'c3', 'eth0', [{ pool: p31, requested: '10.97.2.0' }], net), /^Conflict: Address already in use$/);
    await assert.rejects(leaseAddresses(dir, 'c3', 'eth0', [{ pool: v6 }, { pool: p31 }], net), /no available IPv4 addresses/);
    assert.deepEqual(readdirSync(dir).sort(), ['10.97.2.1', 'fd00:6e6:1::9']);
    writeFileSync(join(dir, '10.97.4.1'), 'auxiliary-address');
    await assert.rejects(leaseAddresses(dir, 'c3', 'eth0', [{ pool: { Subnet: '10.97.4.0/31', Gateway: '10.97.4.0' } }], net), /no available IPv4 addresses/, 'an auxiliary address stays reserved');
    await assert.rejects(leaseAddresses(dir, 'c3', 'eth0', [{ pool: { Subnet: '10.97.5.0/32', Gateway: '10.97.5.0' } }], net), /no available IPv4 addresses/);
    await assert.rejects(leaseAddresses(dir, 'c3', 'eth0', [{ pool: { Subnet: 'fd00:6e6:2::/127', Gateway: 'fd00:6e6:2::1' } }], net), /no available IPv6 addresses/, 'an IPv6 subnet keeps its first address');
  });
});
