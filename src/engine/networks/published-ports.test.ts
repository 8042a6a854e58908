import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { portsView, requestedMappings, PortReservations } from './published-ports.js';

describe('published ports', () => {
  it('turns PortBindings and -P into mappings', () => {
    const m = requestedMappings({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }, { HostPort: '' }], '53/udp': [{ HostPort: '5300-5310' }] }, { '80/tcp': {}, '9000/tcp': {} }, true);
    assert.deepEqual(m, [
      { hostIp: '127.0.0.1', hostPort: 8080, hostPortEnd: undefined, containerPort: 80, protocol: 'tcp' },
      { hostIp: '', hostPort: 0, hostPortEnd: undefined, containerPort: 80, protocol: 'tcp' },
      { hostIp: '', hostPort: 5300, hostPortEnd: 5310, containerPort: 53, protocol: 'udp' },
      { hostIp: '', hostPort: 0, containerPort: 9000, protocol: 'tcp' },
    ]);
    assert.throws(() => requestedMappings({ '80/xyz': [] }, {}, false), /invalid proto/);
    assert.throws(() => requestedMappings({ '80/tcp': [{ HostPort: '90-80' }] }, {}, false), /invalid port specification: "90-80"/);
  });

  it('shows exposed ports without bindings as null', () => {
    assert.deepEqual(portsView({ '80/tcp': {}, '443': {} }, [{ hostIp: '', hostPort: 32768, containerPort: 80, protocol: 'tcp' }], false), {
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }],
      '443/tcp': null,
    });
    assert.deepEqual(portsView({}, [{ hostIp: '', hostPort: 32768, containerPort: 80, protocol: 'tcp' }, { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }], true), {
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }, { HostIp: '::', HostPort: '32768' }, { HostIp: '127.0.0.1', HostPort: '8080' }],
    });
  });

  it('holds host ports, refuses one held, and gives them back', async () => {
    const p = new PortReservations();
    const [a] = await p.reserve('c1', [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' }], () => undefined);
    assert.ok(a!.hostPort > 0);
    await assert.rejects(p.reserve('c2', [{ hostIp: '', hostPort: a!.hostPort, containerPort: 80, protocol: 'tcp' }], () => undefined), /port is already allocated/);
    p.release('c1');
    const [b] = await p.reserve('c2', [{ hostIp: '127.0.0.1', hostPort: a!.hostPort, containerPort: 80, protocol: 'tcp' }], () => undefined);
    assert.equal(b!.hostPort, a!.hostPort);
    p.release('c2');
  });
});
