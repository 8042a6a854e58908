import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostsFile, parseResolvConf, resolvConf } from './etc-files.js';

describe('container /etc files', () => {
  it('writes hosts as dockerd: localhost lines, extra hosts, then the container', () => {
    const h = hostsFile({ hostname: 'box', domainname: 'example.test', addresses: ['10.88.0.2'], extraHosts: ['db:10.9.9.9'] });
    const lines = h.trim().split('\n');
    assert.equal(lines[0], '127.0.0.1\tlocalhost');
    assert.equal(lines.at(-2), '10.9.9.9\tdb');
    assert.equal(lines.at(-1), '10.88.0.2\tbox.example.test box');
  });

  it('keeps the host resolvers but drops loopback ones, falling back to docker\'s defaults', () => {
    const host = parseResolvConf('# comment\nnameserver 127.0.0.53\nsearch corp.test\noptions edns0 trust-ad\n');
    assert.equal(resolvConf({ host, dns: [], dnsSearch: [], dnsOptions: [] }), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch corp.test\noptions edns0 trust-ad\n');
    const real = parseResolvConf('nameserver 10.0.0.2\nnameserver 127.0.0.1\n');
    assert.equal(resolvConf({ host: real, dns: [], dnsSearch: [], dnsOptions: [] }), 'nameserver 10.0.0.2\n');
    assert.equal(resolvConf({ host: real, dns: ['1.1.1.1'], dnsSearch: ['a.test'], dnsOptions: ['ndots:2'] }), 'nameserver 1.1.1.1\nsearch a.test\noptions ndots:2\n');
    assert.equal(resolvConf({ host: real, dns: ['1.1.1.1'], dnsSearch: ['.'], dnsOptions: [], embedded: '10.89.0.1' }), 'nameserver 10.89.0.1\n');
  });
});
