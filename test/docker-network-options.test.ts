// The real docker CLI against a minke engine: networks as newest dockerd makes them beyond the
// usual /24: point-to-point /31 (and /32) subnets, the source address of outgoing traffic
// (com.docker.network.host_ipv4), and configuration-only networks with --config-from. Traffic
// goes only to the test's containers and to a network namespace the test makes.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestEngine, rulesMentioning, waitFor } from './harness.js';

describe('docker CLI: point-to-point, host_ipv4 and configuration-only networks', { concurrency: false }, () => {
  const e = new TestEngine();
  // Subnets at the end of the engine's own pool (it hands out from the start): 10.X.24x.0.
  const net = (third: number): string => e.pool.replace(/^base=(\d+\.\d+)\..*$/, `$1.${third}`);
  const leases = (id: string): string[] => {
    const dir = join(e.execRoot, 'networks', 'ipam', id);
    return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
  };
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

  it('runs a /31 network: the gateway and one container, as newest dockerd (RFC 3021)', async () => {
    const p = net(241);
    await e.ok(['network', 'create', '--subnet', `${p}.0/31`, 'p2p']);
    assert.equal((await e.ok(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'p2p'])).trim(), `[{"Subnet":"${p}.0/31"}]`);
    const id = (await e.ok(['network', 'inspect', '-f', '{{.Id}}', 'p2p'])).trim();
    const one = (await e.ok(['run', '-d', '--network', 'p2p', 'busybox', 'sleep', '600'])).trim();
    assert.equal((await e.ok(['inspect', '-f', '{{with .NetworkSettings.Networks.p2p}}{{.IPAddress}}/{{.IPPrefixLen}} {{.Gateway}}{{end}}', one])).trim(), `${p}.1/31 ${p}.0`);
    const inside = await e.ok(['exec', one, 'sh', '-c', `ip -4 -o addr show eth0; ip route show default; ping -c1 -W5 ${p}.0 >/dev/null && echo reached`]);
    assert.match(inside, new RegExp(`inet ${p.replace(/\./g, '\\.')}\\.1/31`));
    assert.match(inside, new RegExp(`default via ${p.replace(/\./g, '\\.')}\\.0`));
    assert.match(inside, /reached/);
    const full = await e.docker(['run', '--rm', '--network', 'p2p', 'busybox', 'true']);
    assert.match(full.stderr, new RegExp(`no available IPv4 addresses on this network's address pools: p2p \\(${id}\\)`));
    const gw = await e.docker(['create', '--name', 'gw', '--network', 'p2p', '--ip', `${p}.0`, 'busybox', 'true']);
    assert.equal(gw.code, 0, gw.stderr);
    assert.match((await e.docker(['start', 'gw'])).stderr, /Address already in use/);
    assert.deepEqual(leases(id), [`${p}.1`], 'a failed start keeps no address');
    await e.ok(['rm', '-f', one]);
    assert.deepEqual(leases(id), [], 'the address comes back');
    const again = await e.ok(['run', '--rm', '--network', 'p2p', '--ip', `${p}.1`, 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    assert.match(again, new RegExp(`inet ${p.replace(/\./g, '\\.')}\\.1/31`));
    // A /32 holds only its gateway: created, and no container gets an address.
    await e.ok(['network', 'create', '--subnet', `${net(242)}.7/32`, 'p32']);
    assert.match((await e.docker(['run', '--rm', '--network', 'p32', 'busybox', 'true'])).stderr, /no available IPv4 addresses on this network's address pools: p32/);
    await e.ok(['network', 'rm', 'p2p', 'p32']);
  });

  describe('com.docker.network.host_ipv4', () => {
    // A namespace standing for the outside: a veth to it with two host addresses; its server answers
    // each connection with the client's address, so the source address the network's traffic leaves with.
    const tag = randomBytes(3).toString('hex');
    const ns = `mkn6p${tag}`;
    const hostEnd = `mkn6h${tag}`;
    let server: ChildProcess | undefined;
    const sh = (args: string[]): void => {
      const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    };
    before(async () => {
      const p = net(243);
      sh(['ip', 'netns', 'add', ns]);
      sh(['ip', 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      sh(['ip', 'addr', 'add', `${p}.1/29`, 'dev', hostEnd]);
      sh(['ip', 'addr', 'add', `${p}.3/29`, 'dev', hostEnd]);
      sh(['ip', 'link', 'set', hostEnd, 'up']);
      sh(['ip', '-n', ns, 'addr', 'add', `${p}.2/29`, 'dev', 'eth0']);
      sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      server = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e',
        `require('net').createServer((s) => s.end(s.remoteAddress + '\\n')).listen(7000, '${p}.2', () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      server.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      await waitFor(() => out.includes('listening'), 'the server in the namespace');
    });
    after(() => {
      server?.kill('SIGKILL');
      spawnSync('ip', ['link', 'del', hostEnd]);
      spawnSync('ip', ['netns', 'del', ns]);
    });

    it('makes outgoing IPv4 traffic leave with the given source address, not the masqueraded one', async () => {
      const p = net(243);
      await e.ok(['network', 'create', '-o', `com.docker.network.host_ipv4=${p}.3`, 'snat']);
      await e.ok(['network', 'create', 'masq']);
      assert.equal((await e.ok(['network', 'inspect', '-f', '{{index .Options "com.docker.network.host_ipv4"}}', 'snat'])).trim(), `${p}.3`);
      const ask = ['busybox', 'sh', '-c', `nc ${p}.2 7000 </dev/null`];
      assert.equal((await e.ok(['run', '--rm', '--network', 'snat', ...ask])).trim(), `${p}.3`);
      assert.equal((await e.ok(['run', '--rm', '--network', 'masq', ...ask])).trim(), `${p}.1`, 'masquerading takes the outgoing interface\'s address');
      const bridge = `br-${(await e.ok(['network', 'inspect', '-f', '{{.Id}}', 'snat'])).trim().slice(0, 12)}`;
      assert.ok(rulesMentioning([bridge]).some((r) => r.rule.includes(`-j SNAT --to-source ${p}.3`)));
      await e.ok(['network', 'rm', 'snat', 'masq']);
      assert.deepEqual(rulesMentioning([bridge]), []);
      const bad = await e.docker(['network', 'create', '-o', 'com.docker.network.host_ipv4=bogus', 'bad']);
      assert.match(bad.stderr, /failed to parse com\.docker\.network\.host_ipv4 value: bogus \(nil ip\)/);
      const six = await e.docker(['network', 'create', '-o', 'com.docker.network.host_ipv4=fd00::1', 'bad']);
      assert.match(six.stderr, /failed to parse com\.docker\.network\.host_ipv4 value: fd00::1 \(not an IPv4 address\)/);
    });
  });

  it('keeps a configuration-only network\'s settings for networks made --config-from it, as dockerd', async () => {
    const p = net(244);
    await e.ok(['network', 'create', '--config-only', '--subnet', `${p}.0/24`, '--gateway', `${p}.254`, '--ip-range', `${p}.128/25`,
      '-o', 'com.docker.network.driver.mtu=1400', '--label', 'team=a', 'conf']);
    const view = '{{.Driver}} {{.ConfigOnly}} {{.ConfigFrom.Network}} {{json .IPAM.Config}} {{json .Options}} {{json .Labels}}';
    const config = `[{"Subnet":"${p}.0/24","IPRange":"${p}.128/25","Gateway":"${p}.254"}] {"com.docker.network.driver.mtu":"1400"} {"team":"a"}`;
    assert.equal((await e.ok(['network', 'inspect', '-f', view, 'conf'])).trim(), `null true  ${config}`);
    await e.ok(['network', 'create', '--config-from', 'conf', 'real']);
    assert.equal((await e.ok(['network', 'inspect', '-f', view, 'real'])).trim(), `bridge false conf ${config}`);
    const out = await e.ok(['run', '--rm', '--network', 'real', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ip route show default; cat /sys/class/net/eth0/mtu']);
    assert.match(out, new RegExp(`inet ${p.replace(/\./g, '\\.')}\\.129/24`));
    assert.match(out, new RegExp(`default via ${p.replace(/\./g, '\\.')}\\.254`));
    assert.match(out, /^1400$/m);

    const refused: Array<[string[], RegExp]> = [
      [['--config-from', 'conf', '--label', 'x=y', 'n1'], /user specified configurations are not supported if the network depends on a configuration network/],
      [['--config-from', 'conf', '--ipv6', 'n1'], /user specified configurations are not supported if the network depends on a configuration network/],
      [['--config-from', 'conf', '-o', 'k=v', 'n1'], /network driver options are not supported if the network depends on a configuration network/],
      [['--config-from', 'nosuch', 'n1'], /configuration network "nosuch" does not exist/],
      [['--config-from', 'real', 'n1'], /configuration network "real" does not exist/],
      [['--config-only', '--internal', 'n1'], /configuration network can only contain network specific fields\. Network operator fields like \[ ingress \| internal \| attachable \| scope \] are not supported\./],
      [['--config-from', 'conf', 'n1'], /Pool overlaps with other one on this address space/],
    ];
    for (const [args, msg] of refused) {
      const r = await e.docker(['network', 'create', ...args]);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, msg, args.join(' '));
    }

    // Containers cannot use it: a created one may name it (dockerd records it), its start fails.
    assert.match((await e.docker(['run', '--rm', '--network', 'conf', 'busybox', 'true'])).stderr, /cannot create endpoint on configuration-only network/);
    await e.ok(['create', '--name', 'idle', 'busybox', 'sleep', '600']);
    await e.ok(['network', 'connect', 'conf', 'idle']);
    assert.match((await e.docker(['start', 'idle'])).stderr, /cannot create endpoint on configuration-only network/);
    await e.ok(['network', 'disconnect', 'conf', 'idle']);
    await e.ok(['start', 'idle']);
    assert.match((await e.docker(['network', 'connect', 'conf', 'idle'])).stderr, /cannot create endpoint on configuration-only network/);

    assert.match((await e.docker(['network', 'rm', 'conf'])).stderr, /error while removing network: configuration network "conf" is in use/);
    await e.ok(['network', 'rm', 'real']);
    assert.doesNotMatch(await e.ok(['network', 'prune', '-f']), /conf/, 'prune keeps configuration-only networks');
    await e.ok(['network', 'rm', 'conf']);
  });
});
