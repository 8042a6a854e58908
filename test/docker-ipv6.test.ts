// The real docker CLI and docker-py against a minke engine: dual-stack (IPv4 + IPv6) bridge
// networks as dockerd runs them, and what they leave behind. Traffic goes only to loopback, the
// engine's own bridges and the test's containers. Skipped, with the reason, on a host without
// IPv6 (kernel, sysctl or ip6tables).
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { TestEngine, httpGet, rulesMentioning, waitFor } from './harness.js';
import { ipv6Unavailable } from '../src/engine/networks/subnets6.js';

const PY = '/usr/bin/python3';
const noIPv6 = ipv6Unavailable();

/** ip6tables-save lines that name one of the strings (a bridge, a subnet, a container ID). */
function ip6Rules(...needles: string[]): string[] {
  const out = spawnSync('ip6tables-save', [], { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n').filter((l) => l.startsWith('-A ') && needles.some((n) => l.includes(n)));
}

describe('docker CLI: IPv6 networks', { concurrency: false, skip: noIPv6 ? `the host has no IPv6: ${noIPv6}` : false }, () => {
  const e = new TestEngine();
  // Subnets of this run only (fd00:6e6:XXXX::/64), so that two runs on one host never meet.
  // In canonical form (no leading zeros), as the engine prints addresses back.
  const tag = randomBytes(2).readUInt16BE(0).toString(16);
  const sub = (n: number): string => `fd00:6e6:${tag}:${n}::`;
  const httpd = ['busybox', 'sh', '-c', 'mkdir -p /w && hostname > /w/index.html && exec httpd -f -p 80 -h /w'];
  const inspect = async (fmt: string, ...refs: string[]): Promise<string> => (await e.ok(['inspect', '-f', fmt, ...refs])).trim();
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

  it('runs a dual-stack network: addresses, --ip6, AAAA and PTR answers, /etc/hosts, ports on [::1]', async () => {
    await e.ok(['network', 'create', '--ipv6', '--subnet', `${sub(1)}/64`, 'dual']);
    const ipam = JSON.parse(await e.ok(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'dual'])) as Array<{ Subnet: string; Gateway: string }>;
    assert.equal(ipam.length, 2, 'an IPv4 subnet from the engine\'s pool beside the IPv6 one');
    assert.match(ipam[0]!.Subnet, /^10\.\d+\.\d+\.0\/24$/);
    assert.match(ipam[0]!.Gateway, /^10\.\d+\.\d+\.1$/, 'the gateway of a picked subnet is shown');
    assert.deepEqual(ipam[1], { Subnet: `${sub(1)}/64` }, 'as dockerd: a given subnet shows only what was given');
    assert.equal((await e.ok(['network', 'inspect', '-f', '{{.EnableIPv6}}', 'dual'])).trim(), 'true');

    const web = (await e.ok(['run', '-d', '--name', 'web', '--network', 'dual', '-p', '127.0.0.1::80', '-p', '[::1]::80', ...httpd])).trim();
    const ep = '{{with index .NetworkSettings.Networks "dual"}}{{.GlobalIPv6Address}} {{.GlobalIPv6PrefixLen}} {{.IPv6Gateway}} {{json .IPAMConfig}}{{end}}';
    assert.equal(await inspect(ep, 'web'), `${sub(1)}2 64 ${sub(1)}1 null`);
    // As dockerd: the top-level fields are the default bridge's only.
    assert.equal(await inspect('{{.NetworkSettings.GlobalIPv6Address}}|{{.NetworkSettings.IPv6Gateway}}', 'web'), '|');
    assert.equal((await e.ok(['network', 'inspect', '-f', '{{range .Containers}}{{.IPv6Address}}{{end}}', 'dual'])).trim(), `${sub(1)}2/64`);

    const out = await e.ok(['run', '--rm', '--network', 'dual', '--ip6', `${sub(1)}99`, '--name', 'client', 'busybox', 'sh', '-c',
      'ip -6 -o addr show eth0 scope global; ip -6 route show default; cat /etc/hosts; nslookup -type=AAAA web; nslookup -type=A web; '
      + `nslookup ${sub(1)}2; wget -q -O- http://[${sub(1)}2]/`]);
    assert.match(out, new RegExp(`inet6 ${sub(1)}99/64`));
    assert.match(out, new RegExp(`default via ${sub(1)}1 dev eth0`));
    assert.match(out, new RegExp(`^${sub(1)}99\\s+\\S+`, 'm'), '/etc/hosts has the container\'s IPv6 address');
    assert.match(out, new RegExp(`Address: ${sub(1)}2\n`), 'an AAAA answer');
    assert.match(out, /Address: 10\.\d+\.\d+\.2\n/, 'an A answer');
    assert.match(out, /name = web\.dual/, 'a PTR answer for the IPv6 address');
    assert.match(out, new RegExp(`${web.slice(0, 12)}\n$`), 'the web container over IPv6');

    const ports = JSON.parse(await inspect('{{json .NetworkSettings.Ports}}', 'web')) as Record<string, Array<{ HostIp: string; HostPort: string }>>;
    const v6port = ports['80/tcp']!.find((b) => b.HostIp === '::1')!.HostPort;
    const v4port = ports['80/tcp']!.find((b) => b.HostIp === '127.0.0.1')!.HostPort;
    assert.equal((await httpGet(`http://[::1]:${v6port}/`)).body, `${web.slice(0, 12)}\n`);
    assert.equal((await httpGet(`http://127.0.0.1:${v4port}/`)).body, `${web.slice(0, 12)}\n`);
  });

  it('publishes on all addresses of both families: [::1] through the engine, a host IPv6 address through DNAT', async () => {
    await e.ok(['network', 'create', '--ipv6', '--subnet', `${sub(2)}/64`, 'pub']);
    const web = (await e.ok(['run', '-d', '--network', 'pub', '-p', '80', ...httpd])).trim();
    const port = (await inspect('{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}', web));
    assert.equal(await inspect('{{json (index .NetworkSettings.Ports "80/tcp")}}', web), `[{"HostIp":"0.0.0.0","HostPort":"${port}"},{"HostIp":"::","HostPort":"${port}"}]`);
    assert.equal((await httpGet(`http://[::1]:${port}/`)).body, `${web.slice(0, 12)}\n`);
    // The gateway of another IPv6 network is an address of the host: the portmap plugin's DNAT takes it.
    await e.ok(['network', 'create', '--ipv6', '--subnet', `${sub(3)}/64`, 'other']);
    const other = (await e.ok(['run', '-d', '--network', 'other', 'busybox', 'sleep', '600'])).trim();
    assert.equal((await httpGet(`http://[${sub(3)}1]:${port}/`)).body, `${web.slice(0, 12)}\n`);
    assert.ok(ip6Rules(web).some((l) => l.includes('DNAT')), 'the container\'s ip6tables DNAT rules');
    await e.ok(['rm', '-f', web, other]);
    assert.deepEqual(ip6Rules(web), [], 'its ip6tables rules go with it');
  });

  it('connects a running container with --ip6, and refuses addresses dockerd refuses', async () => {
    await e.ok(['network', 'create', '--ipv6', '--subnet', `${sub(4)}/64`, 'six']);
    await e.ok(['network', 'create', '--subnet', `${sub(5)}/64`, 'nosix']);
    const c = (await e.ok(['run', '-d', 'busybox', 'sleep', '600'])).trim();
    await e.ok(['network', 'connect', '--ip6', `${sub(4)}abc`, 'six', c]);
    assert.equal(await inspect('{{with index .NetworkSettings.Networks "six"}}{{.GlobalIPv6Address}} {{.IPAMConfig.IPv6Address}}{{end}}', c), `${sub(4)}abc ${sub(4)}abc`);
    assert.match(await e.ok(['exec', c, 'ip', '-6', '-o', 'addr', 'show', 'eth1']), new RegExp(`inet6 ${sub(4)}abc/64`));
    await e.ok(['network', 'disconnect', 'six', c]);
    const refused: Array<[string[], RegExp]> = [
      [['--network', 'six', '--ip6', 'bogus'], /invalid IPv6 address: bogus/],
      [['--network', 'six', '--ip6', '10.0.0.1'], /invalid IPv6 address: 10\.0\.0\.1/],
      [['--network', 'six', '--ip6', `${sub(9)}1`], /no configured subnet or ip-range contain the IP address/],
      [['--network', 'nosix', '--ip6', `${sub(5)}1`], /IPv6 is not enabled on network nosix/],
      [['--ip6', `${sub(4)}7`], /user specified IP address is supported on user defined networks only/],
    ];
    for (const [args, msg] of refused) {
      const r = await e.docker(['create', ...args, 'busybox']);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, msg);
    }
    const gw = await e.docker(['run', '--rm', '--network', 'six', '--ip6', `${sub(4)}1`, 'busybox', 'true']);
    assert.match(gw.stderr, /Address already in use/, 'the gateway is taken');
  });

  it('takes a ULA /64 for --ipv6 without a subnet; an IPv6 subnet without --ipv6 stays unused', async () => {
    await e.ok(['network', 'create', '--ipv6', 'ula']);
    const [, six] = JSON.parse(await e.ok(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'ula'])) as Array<{ Subnet: string; Gateway: string }>;
    assert.match(six!.Subnet, /^fd[0-9a-f]{2}:[0-9a-f:]+::\/64$/);
    await e.ok(['network', 'create', '--ipv6', 'ula2']);
    const [, six2] = JSON.parse(await e.ok(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'ula2'])) as Array<{ Subnet: string }>;
    assert.equal(six2!.Subnet.split(':').slice(0, 3).join(':'), six!.Subnet.split(':').slice(0, 3).join(':'), 'the engine\'s one /48');
    assert.notEqual(six2!.Subnet, six!.Subnet);
    const out = await e.ok(['run', '--rm', '--network', 'ula', 'busybox', 'ip', '-6', '-o', 'addr', 'show', 'eth0', 'scope', 'global']);
    assert.match(out, new RegExp(`inet6 ${six!.Subnet.replace('::/64', '::2/64')}`));
    const r = await e.docker(['create', '--network', 'ula', '--ip6', six!.Subnet.replace('::/64', '::9'), 'busybox']);
    assert.match(r.stderr, /user specified IP address is supported only when connecting to networks with user configured subnets/);

    // A subnet at the end of the engine's own pool, which it hands out from the start.
    const v4 = e.pool.replace(/^base=(\d+\.\d+)\..*$/, '$1.250');
    await e.ok(['network', 'create', '--subnet', `${v4}.0/24`, '--subnet', `${sub(6)}/64`, 'v4only']);
    assert.equal((await e.ok(['network', 'inspect', '-f', '{{.EnableIPv6}} {{json .IPAM.Config}}', 'v4only'])).trim(),
      `false [{"Subnet":"${v4}.0/24"},{"Subnet":"${sub(6)}/64"}]`);
    const global6 = await e.ok(['run', '--rm', '--network', 'v4only', 'busybox', 'sh', '-c', 'ip -6 -o addr show eth0 scope global | wc -l']);
    assert.equal(global6.trim(), '0', 'no IPv6 address on a network without IPv6');
    const two = await e.docker(['network', 'create', '--ipv6', '--subnet', `${sub(7)}/64`, '--subnet', `${sub(8)}/64`, 'two']);
    assert.match(two.stderr, /bridge driver doesn't support multiple subnets/);
    const only6 = await e.docker(['network', 'create', '--ipv4=false', '--ipv6', 'only6']);
    assert.match(only6.stderr, /IPv6-only networks \(EnableIPv4: false, --ipv4=false\) are not supported/);
  });

  it('gives API clients newest dockerd\'s IPAM errors (docker-py)', { skip: !existsSync(PY) && 'no /usr/bin/python3' }, async () => {
    const r = await e.run(PY, ['-c', `import docker
c = docker.APIClient(base_url=${JSON.stringify(e.host)})
def create(name, **pool):
    try:
        c.create_network(name, enable_ipv6=True, ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(**pool)]))
        print('created', name)
    except docker.errors.APIError as err:
        print(err.status_code, err.explanation)
create('g', subnet='${sub(10)}/64', gateway='${sub(11)}1')
create('r', subnet='${sub(10)}/64', iprange='${sub(11)}/80')
create('s', subnet='${sub(10)}1/64')
create('ok', subnet='${sub(10)}/64', iprange='${sub(10)}/80', aux_addresses={'a': '${sub(10)}5'})
print(c.inspect_network('ok')['IPAM']['Config'][1])
c.remove_network('ok')`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [
      `400 invalid network config:\ninvalid gateway ${sub(11)}1: parent subnet ${sub(10)}/64 doesn't contain this address`,
      `400 invalid network config:\ninvalid ip-range ${sub(11)}/80: parent subnet ${sub(10)}/64 doesn't contain ip-range`,
      `400 invalid network config:\ninvalid subnet ${sub(10)}1/64: it should be ${sub(10)}/64`,
      'created ok',
      `{'Subnet': '${sub(10)}/64', 'IPRange': '${sub(10)}/80', 'AuxiliaryAddresses': {'a': '${sub(10)}5'}}`,
      '',
    ].join('\n'));
  });

  it('keeps a running container\'s IPv6 address and ports across an engine restart', async () => {
    await e.ok(['network', 'create', '--ipv6', '--subnet', `${sub(13)}/64`, 'kept']);
    const web = (await e.ok(['run', '-d', '--network', 'kept', '-p', '80', ...httpd])).trim();
    const port = await inspect('{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}', web);
    await e.restart();
    assert.equal(await inspect('{{(index .NetworkSettings.Networks "kept").GlobalIPv6Address}}', web), `${sub(13)}2`);
    await waitFor(async () => (await httpGet(`http://[::1]:${port}/`).catch(() => ({ body: '' }))).body === `${web.slice(0, 12)}\n`, 'the port on [::1] again');
    const out = await e.ok(['run', '--rm', '--network', 'kept', 'busybox', 'wget', '-q', '-O-', `http://[${sub(13)}2]/`]);
    assert.equal(out, `${web.slice(0, 12)}\n`);
  });

  it('leaves no bridge, ip6tables rule or lease behind once the networks are removed', async () => {
    await e.ok(['network', 'create', '--ipv6', '--subnet', `${sub(12)}/64`, 'gone']);
    const bridge = `br-${(await e.ok(['network', 'inspect', '-f', '{{.Id}}', 'gone'])).trim().slice(0, 12)}`;
    const c = (await e.ok(['run', '-d', '--network', 'gone', '-p', '80', ...httpd])).trim();
    assert.ok(ip6Rules(bridge).length > 0, 'the network\'s ip6tables rules');
    await e.ok(['rm', '-f', c]);
    for (const n of (await e.ok(['network', 'ls', '--filter', 'type=custom', '-q'])).split('\n').filter(Boolean)) await e.ok(['network', 'rm', n]);
    await waitFor(() => !existsSync(`/sys/class/net/${bridge}`), 'the bridge to go');
    assert.deepEqual(ip6Rules(bridge, `${sub(12)}/64`, c), []);
    assert.deepEqual(rulesMentioning(e.bridges(), 6), []);
  });
});
