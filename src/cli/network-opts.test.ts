import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  csvRecord,
  endpointsConfig,
  exposedPorts,
  parseNetworkFlag,
  parsePortSpec,
  standardPortNotation,
  validateDNSSearch,
  validateExtraHost,
  validateIPAddress,
} from './network-opts.js';

const none = { aliases: [], links: [], ipv4: '', ipv6: '', macAddress: '', linkLocalIPs: [] };

void test('CSV records as encoding/csv reads them', () => {
  assert.deepEqual(csvRecord('a,b,,c'), ['a', 'b', '', 'c']);
  assert.deepEqual(csvRecord('"a,b",c'), ['a,b', 'c']);
  assert.deepEqual(csvRecord('"a""b"'), ['a"b']);
  assert.throws(() => csvRecord('name=n1,alias="a,b"'), /^Error: parse error on line 1, column 15: bare " in non-quoted-field$/);
  assert.throws(() => csvRecord('"a"b'), /column 3: extraneous or missing " in quoted-field/);
  assert.throws(() => csvRecord('x,"a'), /column 5: extraneous or missing " in quoted-field/);
});

void test('--network: a name, or the CSV form in lower case', () => {
  assert.equal(parseNetworkFlag('MyNet').target, 'MyNet');
  const n = parseNetworkFlag('name=N2,alias=ABC,ip=10.0.0.9,driver-opt=Foo=Bar,gw-priority=5');
  assert.deepEqual([n.target, n.aliases, n.ipv4, n.driverOpts, n.gwPriority], ['n2', ['abc'], '10.0.0.9', { foo: 'bar' }, 5]);
  assert.equal(parseNetworkFlag('name= n1 ').target, 'name= n1 ', 'not the CSV form');
  assert.throws(() => parseNetworkFlag('name=n,bogus=1'), /^Error: invalid field key bogus$/);
  assert.throws(() => parseNetworkFlag('alias=x'), /network name\/id is not specified/);
  assert.throws(() => parseNetworkFlag('name=n,driver-opt=x'), /invalid key value pair format in driver options/);
});

void test('endpoints: every network, the legacy flags on the first, none for one bare network', () => {
  assert.deepEqual(endpointsConfig([], none), { default: {} });
  assert.deepEqual(endpointsConfig([parseNetworkFlag('n1')], none), {});
  assert.deepEqual(endpointsConfig([parseNetworkFlag('n1'), parseNetworkFlag('name=n2,alias=z')], { ...none, aliases: ['q'], ipv4: '10.0.0.5', links: ['a:b'] }), {
    n1: { Aliases: ['q'], IPAMConfig: { IPv4Address: '10.0.0.5' }, Links: ['a:b'] },
    n2: { Aliases: ['z'] },
  });
  assert.deepEqual(endpointsConfig([parseNetworkFlag('bridge')], { ...none, links: ['a'] }), {}, 'a link on the default bridge is a legacy link');
  assert.throws(() => endpointsConfig([parseNetworkFlag('n1'), parseNetworkFlag('n1')], none), /network "n1" is specified multiple times/);
  assert.throws(() => endpointsConfig([parseNetworkFlag('host'), parseNetworkFlag('n1')], none), /cannot attach both user-defined and non-user-defined/);
  assert.throws(() => endpointsConfig([], { ...none, aliases: ['a'] }), /only supported for user-defined networks/);
  assert.throws(() => endpointsConfig([parseNetworkFlag('name=n1,ip=1.2.3.4')], { ...none, ipv4: '1.2.3.5' }), /cannot specify both --ip and per-network IPv4 address/);
  assert.throws(() => endpointsConfig([parseNetworkFlag('name=n1,mac-address=zz')], none), /^Error: zz is not a valid mac address$/);
});

void test('published ports as go-connections/nat parses them', () => {
  const spec = (s: string): string[] => parsePortSpec(s).map((m) => `${m.port}=${m.binding.HostIp}|${m.binding.HostPort}`);
  assert.deepEqual(spec('80'), ['80/tcp=|']);
  assert.deepEqual(spec('127.0.0.1:8080:80/UDP'), ['80/udp=127.0.0.1|8080']);
  assert.deepEqual(spec('[::1]::80'), ['80/tcp=::1|']);
  assert.deepEqual(spec('::1:8080:80'), ['80/tcp=::1|8080']);
  assert.deepEqual(spec('8000-8001:80-81'), ['80/tcp=|8000', '81/tcp=|8001']);
  assert.deepEqual(spec('8000-8005:80'), ['80/tcp=|8000-8005']);
  assert.deepEqual(spec('1-2-3'), ['1/tcp=|', '2/tcp=|']);
  assert.throws(() => parsePortSpec('8000:80-81'), /invalid ranges specified for container and host Ports: 80-81 and 8000/);
  assert.throws(() => parsePortSpec('80/bogus'), /invalid proto: bogus/);
  assert.throws(() => parsePortSpec('70000:80'), /invalid hostPort: 70000/);
  assert.throws(() => parsePortSpec('1.2.3:80:80'), /invalid IP address: 1.2.3/);
  assert.throws(() => parsePortSpec('[::1:80:80'), /invalid IP address \[::1: address \[::1:: missing '\]' in address/);
  assert.equal(standardPortNotation('target=80,published=8080,protocol=udp'), '8080:80/udp');
  assert.throws(() => standardPortNotation('target=80,bogus'), /should be name=value but got 'bogus'/);
  assert.deepEqual(exposedPorts('80-81/udp'), ['80/udp', '81/udp']);
  assert.throws(() => exposedPorts('81-80'), /invalid range format for --expose: 81-80, error: invalid range specified for port: 81-80/);
});

void test('validators behind --dns, --add-host and --dns-search', () => {
  assert.equal(validateIPAddress(' 0:0::1 '), '::1');
  assert.throws(() => validateIPAddress('bad'), /IP address is not correctly formatted: bad/);
  assert.equal(validateExtraHost('h=[::1]'), 'h:::1');
  assert.equal(validateExtraHost('h:::1'), 'h:::1');
  assert.equal(validateExtraHost('gw:host-gateway'), 'gw:host-gateway');
  assert.throws(() => validateExtraHost(':1.2.3.4'), /bad format for add-host: ":1.2.3.4"/);
  assert.throws(() => validateExtraHost('a:b:1.2.3.4'), /invalid IP address in add-host: "b:1.2.3.4"/);
  assert.equal(validateDNSSearch('example.com.'), 'example.com');
  assert.equal(validateDNSSearch('.'), '.');
  for (const bad of ['', '123', '-foo', 'a..b']) assert.throws(() => validateDNSSearch(bad), /is not a valid domain/);
});
