import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import * as packet from 'dns-packet';
import { EmbeddedDns } from './dns.js';

function query(server: string, name: string, type: 'A' | 'AAAA' | 'PTR', from: string): Promise<packet.Packet & { rcode?: string }> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); reject(new Error('no answer')); }, 2000);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(packet.decode(m)); });
    s.bind({ address: from }, () => {
      s.send(packet.encode({ type: 'query', id: 7, flags: packet.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] }), 53, server);
    });
  });
}

describe('embedded DNS', () => {
  const dns = new EmbeddedDns({
    lookup: (from, name) => {
      if (from !== '127.77.0.2') return undefined;
      if (name === 'web') return { v4: ['10.1.0.2', '10.1.0.3'], v6: [] };
      if (name === 'web6') return { v4: ['10.1.0.4'], v6: ['fd00:6e6:1::4'] };
      return undefined;
    },
    reverse: (_from, ip) => ({ '10.1.0.2': 'web.app', 'fd00:6e6:1::4': 'web6.app' } as Record<string, string>)[ip],
    upstream: () => [],
  });
  after(() => dns.closeAll());

  it('answers container names to containers that share a network, round robin', async () => {
    await dns.listen('127.77.0.1');
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const r = await query('127.77.0.1', 'web', 'A', '127.77.0.2');
      assert.equal(r.rcode, 'NOERROR');
      assert.equal(r.answers!.length, 2);
      seen.add((r.answers![0] as { data: string }).data);
    }
    assert.equal(seen.size, 2, 'the first answer changes');
    const aaaa = await query('127.77.0.1', 'web', 'AAAA', '127.77.0.2');
    assert.equal(aaaa.rcode, 'NOERROR');
    assert.equal(aaaa.answers!.length, 0);
    const six = await query('127.77.0.1', 'web6', 'AAAA', '127.77.0.2');
    assert.deepEqual(six.answers!.map((a) => [a.type, (a as { data: string }).data]), [['AAAA', 'fd00:6e6:1::4']]);
    const ptr = await query('127.77.0.1', '2.0.1.10.in-addr.arpa', 'PTR', '127.77.0.2');
    assert.equal((ptr.answers![0] as { data: string }).data, 'web.app');
    const nibbles = '4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.6.e.6.0.0.0.d.f.ip6.arpa';
    const ptr6 = await query('127.77.0.1', nibbles, 'PTR', '127.77.0.2');
    assert.equal((ptr6.answers![0] as { data: string }).data, 'web6.app');
  });

  it('says NXDOMAIN to strangers and for names it does not know without upstream', async () => {
    const r = await query('127.77.0.1', 'web', 'A', '127.77.0.9');
    assert.equal(r.rcode, 'NXDOMAIN');
  });
});
