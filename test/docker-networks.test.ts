// The real docker CLI against a minke engine: bridge networks, name resolution, published ports,
// isolation, and what networking leaves behind. Traffic goes only to loopback and to the test's
// own containers.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestEngine, httpGet, rulesMentioning, waitFor } from './harness.js';

/** An IPv4 address of the host that is not loopback and not a bridge of a test engine. */
function hostAddress(): string | undefined {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (name === 'lo' || name.startsWith('mk') || name.startsWith('br-') || name.startsWith('docker') || name.startsWith('veth')) continue;
    const a = addrs?.find((x) => x.family === 'IPv4' && !x.internal);
    if (a) return a.address;
  }
  return undefined;
}

async function httpText(url: string): Promise<string> {
  const r = await httpGet(url);
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status}`);
  return r.body;
}

/** IP leases host-local holds in the engine's IPAM directory. */
function leases(e: TestEngine): string[] {
  const dir = join(e.execRoot, 'networks', 'ipam');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((net) => readdirSync(join(dir, net)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).map((f) => `${net.slice(0, 12)}/${f}`));
}

/** veth interfaces attached to a bridge. */
function portsOf(bridge: string): string[] {
  const dir = `/sys/class/net/${bridge}/brif`;
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('docker CLI: networks', { concurrency: false }, () => {
  const e = new TestEngine();
  const httpd = ['busybox', 'sh', '-c', 'hostname > /www; mkdir -p /w && hostname > /w/index.html && exec httpd -f -p 80 -h /w'];
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  // Its tests build on each other's networks and containers: only a stopped engine is undone.
  afterEach(() => e.ensureRunning());

  it('lists the predefined networks and puts containers on the default bridge', async () => {
    const ls = await e.ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']);
    assert.deepEqual(ls.trim().split('\n').sort(), ['bridge bridge local', 'host host local', 'none null local']);
    const subnet = await e.ok(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}', 'bridge']);
    const gw = e.bip.split('/')[0]!;
    assert.equal(subnet.trim(), `${gw.replace(/\.1$/, '.0')}/24 ${gw}`);
    const out = await e.ok(['run', '--rm', '--hostname', 'box', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ip route; cat /etc/hosts /etc/resolv.conf']);
    const prefix = gw.replace(/\.1$/, '.');
    assert.match(out, new RegExp(`inet ${prefix.replace(/\./g, '\\.')}\\d+/24`));
    assert.match(out, new RegExp(`default via ${gw.replace(/\./g, '\\.')}`));
    assert.match(out, new RegExp(`^${prefix.replace(/\./g, '\\.')}\\d+\\tbox$`, 'm'), 'hosts names the container');
    assert.doesNotMatch(out, new RegExp(`nameserver ${gw.replace(/\./g, '\\.')}`), 'no embedded DNS on the default bridge');
    assert.deepEqual(leases(e), [], 'the --rm container gave its address back');
    assert.deepEqual(portsOf(e.bridge), [], 'and its veth is gone');
    // The bridge's MAC is fixed (not the lowest of its ports', which changes with every container).
    assert.equal(readFileSync(`/sys/class/net/${e.bridge}/addr_assign_type`, 'utf8').trim(), '3');
  });

  it('resolves names and shared aliases on a user network, round robin', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    await e.ok(['network', 'create', 'app']);
    await e.ok(['run', '-d', '--name', 'web1', '--network', 'app', '--network-alias', 'svc', ...httpd]);
    await e.ok(['run', '-d', '--name', 'web2', '--network', 'app', '--network-alias', 'svc', ...httpd]);
    const byName = await e.ok(['run', '--rm', '--network', 'app', 'busybox', 'wget', '-qO-', 'http://web1/']);
    assert.equal(byName.trim(), (await e.ok(['inspect', '-f', '{{.Config.Hostname}}', 'web1'])).trim());
    const seen = await e.ok(['run', '--rm', '--network', 'app', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do wget -qO- http://svc/; done']);
    assert.equal(new Set(seen.trim().split('\n')).size, 2, `both containers answer the alias: ${seen}`);
    const inspect = JSON.parse(await e.ok(['network', 'inspect', 'app'])) as Array<{ Containers: Record<string, { Name: string; IPv4Address: string }> }>;
    assert.deepEqual(Object.values(inspect[0]!.Containers).map((c) => c.Name).sort(), ['web1', 'web2']);
    // The default bridge has no name resolution (docker's legacy behaviour).
    const legacy = await e.docker(['run', '--rm', 'busybox', 'nslookup', 'web1']);
    assert.notEqual(legacy.code, 0);
    // Network events: the create, then a connect per container that joined.
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const events = await e.ok(['events', '--since', since, '--until', until, '--filter', 'type=network', '--filter', 'network=app', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}}']);
    const lines = events.trim().split('\n');
    assert.equal(lines[0], 'network create app bridge');
    assert.ok(lines.filter((l) => l === 'network connect app bridge').length >= 2, events);
  });

  it('publishes ports to loopback, the host address, and other containers', async () => {
    await e.ok(['run', '-d', '--name', 'pub', '-p', '127.0.0.1::80', '-p', '80', ...httpd]);
    const port = await e.ok(['port', 'pub']);
    const lines = port.trim().split('\n').sort();
    assert.equal(lines.length, existsSync('/proc/net/if_inet6') ? 3 : 2, port);
    const anyPort = /80\/tcp -> 0\.0\.0\.0:(\d+)/.exec(port)?.[1];
    const loPort = /80\/tcp -> 127\.0\.0\.1:(\d+)/.exec(port)?.[1];
    assert.ok(anyPort && loPort, port);
    const name = (await e.ok(['inspect', '-f', '{{.Config.Hostname}}', 'pub'])).trim();
    assert.equal((await httpText(`http://127.0.0.1:${loPort}/`)).trim(), name);
    assert.equal((await httpText(`http://127.0.0.1:${anyPort}/`)).trim(), name);
    if (existsSync('/proc/net/if_inet6')) {
      assert.match(port, new RegExp(`80/tcp -> \\[::\\]:${anyPort}`), 'published on IPv6 too, as dockerd does');
      assert.equal((await httpText(`http://[::1]:${anyPort}/`)).trim(), name, 'IPv6 loopback reaches it through the engine');
    }
    const host = hostAddress();
    if (host) {
      assert.equal((await httpText(`http://${host}:${anyPort}/`)).trim(), name);
      const fromContainer = await e.ok(['run', '--rm', '--network', 'app', 'busybox', 'wget', '-qO-', `http://${host}:${anyPort}/`]);
      assert.equal(fromContainer.trim(), name, 'a container on another network reaches it through the host port');
    }
    const ps = await e.ok(['ps', '--filter', 'name=pub', '--format', '{{.Ports}}']);
    assert.match(ps, new RegExp(`127\\.0\\.0\\.1:${loPort}->80/tcp`));
    assert.equal((await e.ok(['ps', '-q', '--filter', 'publish=80'])).trim().length, 12);
  });

  it('refuses a host port in use and leaves nothing behind', async () => {
    const port = /0\.0\.0\.0:(\d+)/.exec(await e.ok(['port', 'pub', '80']))![1]!;
    const before = leases(e).length;
    const r = await e.docker(['run', '-d', '--name', 'clash', '-p', `${port}:80`, 'busybox', 'sleep', '30']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, new RegExp(`0\\.0\\.0\\.0:${port}.*(already allocated|in use)`));
    assert.equal((await e.ok(['inspect', '-f', '{{.State.Running}}', 'clash'])).trim(), 'false');
    assert.equal(leases(e).length, before, 'no address held for the failed start');
    await e.ok(['rm', 'clash']);
    // -P publishes every exposed port on a random host port.
    await e.ok(['run', '-d', '--name', 'all', '--expose', '7000', '--expose', '7001/udp', '-P', 'busybox', 'sleep', '30']);
    const all = await e.ok(['port', 'all']);
    assert.match(all, /7000\/tcp -> 0\.0\.0\.0:\d+/);
    assert.match(all, /7001\/udp -> 0\.0\.0\.0:\d+/);
    await e.ok(['rm', '-f', 'all']);
  });

  it('isolates user networks from each other; internal networks have no way out', async () => {
    await e.ok(['network', 'create', 'other']);
    await e.ok(['run', '-d', '--name', 'lonely', '--network', 'other', ...httpd]);
    const ip = (await e.ok(['inspect', '-f', '{{.NetworkSettings.Networks.other.IPAddress}}', 'lonely'])).trim();
    // (busybox's wget -T crashes: `timeout` bounds the attempts instead)
    // (and not as PID 1, which ignores the SIGTERM that `timeout` sends: `; exit $?` keeps sh from exec'ing it)
    const own = await e.docker(['run', '--rm', '--network', 'other', 'busybox', 'sh', '-c', `timeout 3 wget -qO- http://${ip}/; exit $?`]);
    assert.equal(own.code, 0, `its own network reaches it: ${own.stderr}`);
    const cross = await e.docker(['run', '--rm', '--network', 'app', 'busybox', 'sh', '-c', `timeout 2 wget -qO- http://${ip}/; exit $?`]);
    assert.notEqual(cross.code, 0, 'app cannot reach other');
    const byName = await e.docker(['run', '--rm', '--network', 'app', 'busybox', 'nslookup', 'lonely']);
    assert.notEqual(byName.code, 0, 'names of other networks do not resolve');
    await e.ok(['network', 'create', '--internal', 'sealed']);
    await e.ok(['run', '-d', '--name', 'inside', '--network', 'sealed', ...httpd]);
    const out = await e.docker(['run', '--rm', '--network', 'sealed', 'busybox', 'sh', '-c', `wget -qO- http://inside/ && ! timeout 2 wget -qO- http://${ip}/ && ! ip route | grep -q default`]);
    assert.equal(out.code, 0, `internal: reaches its own network only\n${out.stdout}${out.stderr}`);
    // A container on both networks reaches both.
    await e.ok(['network', 'connect', 'other', 'web1']);
    const both = await e.ok(['exec', 'web1', 'wget', '-qO-', 'http://lonely/']);
    assert.equal(both.trim().length > 0, true);
    await e.ok(['network', 'disconnect', 'other', 'web1']);
    const after = await e.docker(['exec', 'web1', 'timeout', '2', 'wget', '-qO-', `http://${ip}/`]);
    assert.notEqual(after.code, 0);
  });

  it('creates networks with options, filters, and refuses what docker refuses', async () => {
    await e.ok(['network', 'create', '--subnet', '10.251.7.0/24', '--gateway', '10.251.7.254', '--ip-range', '10.251.7.128/25',
      '--label', 'tier=db', '-o', 'com.docker.network.bridge.name=mkttest7', 'custom']);
    assert.ok(existsSync('/sys/class/net/mkttest7/bridge'));
    const got = await e.ok(['run', '--rm', '--network', 'custom', 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    const addr = /inet 10\.251\.7\.(\d+)\//.exec(got);
    assert.ok(addr && Number(addr[1]) >= 128, got);
    const fixed = await e.ok(['run', '--rm', '--network', 'custom', '--ip', '10.251.7.200', '--mac-address', '02:42:0a:fb:07:c8', 'busybox', 'ip', 'addr', 'show', 'eth0']);
    assert.match(fixed, /inet 10\.251\.7\.200\//);
    assert.match(fixed, /02:42:0a:fb:07:c8/);
    assert.equal((await e.ok(['network', 'ls', '-q', '--filter', 'label=tier=db'])).trim().length, 12);
    assert.deepEqual((await e.ok(['network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}}'])).trim().split('\n').sort(), ['app', 'custom', 'other', 'sealed']);
    const overlap = await e.docker(['network', 'create', '--subnet', '10.251.7.0/25', 'dup']);
    assert.notEqual(overlap.code, 0);
    assert.match(overlap.stderr, /overlaps/);
    const same = await e.docker(['network', 'create', 'app']);
    assert.match(same.stderr, /network with name app already exists/);
    const predefined = await e.docker(['network', 'rm', 'bridge']);
    assert.match(predefined.stderr, /bridge is a pre-defined network and cannot be removed/);
    const busy = await e.docker(['network', 'rm', 'app']);
    assert.match(busy.stderr, /has active endpoints/);
    const badIp = await e.docker(['run', '--rm', '--ip', '10.1.1.1', 'busybox', 'true']);
    assert.match(badIp.stderr, /user specified IP address is supported on user defined networks only/);
    const noNet = await e.docker(['run', '--rm', '--network', 'nosuchnet', 'busybox', 'true']);
    assert.match(noNet.stderr, /network nosuchnet not found/);
    await e.ok(['network', 'rm', 'custom']);
    assert.ok(!existsSync('/sys/class/net/mkttest7'), 'the bridge went with the network');
    assert.deepEqual(rulesMentioning(['mkttest7']), [], 'and its iptables rules');
  });

  it('writes hosts and resolv.conf options as docker does', async () => {
    const gw = e.bip.split('/')[0]!;
    const out = await e.ok(['run', '--rm', '--add-host', 'db.local:10.9.9.9', '--add-host', 'gw:host-gateway', '--dns', '10.8.8.8', '--dns-search', 'example.test',
      '--dns-option', 'ndots:2', 'busybox', 'cat', '/etc/hosts', '/etc/resolv.conf']);
    assert.match(out, /^10\.9\.9\.9\tdb\.local$/m);
    assert.match(out, new RegExp(`^${gw.replace(/\./g, '\\.')}\\tgw$`, 'm'));
    assert.match(out, /^nameserver 10\.8\.8\.8$/m);
    assert.match(out, /^search example\.test$/m);
    assert.match(out, /^options ndots:2$/m);
    const user = await e.ok(['run', '--rm', '--network', 'app', 'busybox', 'cat', '/etc/resolv.conf']);
    const appGw = (await e.ok(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Gateway}}{{end}}', 'app'])).trim();
    assert.match(user, new RegExp(`^nameserver ${appGw.replace(/\./g, '\\.')}$`, 'm'), 'the embedded server on user networks');
    await e.ok(['run', '-d', '--name', 'linked', 'busybox', 'sleep', '30']);
    const linkedIp = (await e.ok(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'linked'])).trim();
    const linkedId = (await e.ok(['inspect', '-f', '{{.Id}}', 'linked'])).trim().slice(0, 12);
    const withLink = await e.ok(['run', '--rm', '--name', 'linker', '--link', 'linked:db', 'busybox', 'cat', '/etc/hosts']);
    assert.match(withLink, new RegExp(`^${linkedIp.replace(/\./g, '\\.')}\tdb ${linkedId} linked$`, 'm'));
    await e.ok(['rm', '-f', 'linked']);
    const none = await e.ok(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']);
    assert.deepEqual(none.trim().split('\n').map((l) => l.split(':')[1]!.trim()), ['lo']);
  });

  it('keeps running containers networked across an engine restart', async () => {
    await e.ok(['run', '-d', '--name', 'short', '--network', 'app', 'busybox', 'sleep', '3']);
    await e.stopEngine('SIGKILL');
    await new Promise((r) => setTimeout(r, 3500));
    await e.start();
    const name = await e.ok(['run', '--rm', '--network', 'app', 'busybox', 'wget', '-qO-', 'http://web2/']);
    assert.equal(name.trim(), (await e.ok(['inspect', '-f', '{{.Config.Hostname}}', 'web2'])).trim());
    const port = /0\.0\.0\.0:(\d+)/.exec(await e.ok(['port', 'pub', '80']))![1]!;
    assert.ok((await httpText(`http://127.0.0.1:${port}/`)).length > 0);
    await waitFor(async () => (await e.ok(['inspect', '-f', '{{.State.Status}}', 'short'])).trim() === 'exited', 'short exited');
    const shortId = (await e.ok(['inspect', '-f', '{{.Id}}', 'short'])).trim();
    const ipam = join(e.execRoot, 'networks', 'ipam');
    const held = readdirSync(ipam).flatMap((n) => readdirSync(join(ipam, n)).filter((f) => /^\d/.test(f)).map((f) => spawnSync('cat', [join(ipam, n, f)], { encoding: 'utf8' }).stdout));
    assert.ok(!held.some((owner) => owner.startsWith(shortId)), 'the address of a container that exited while the engine was down is released');
  });

  it('leaves no veth, lease, rule or namespace behind once everything is removed', async () => {
    const ids = (await e.ok(['ps', '-aq', '--no-trunc'])).trim().split('\n').filter(Boolean);
    await e.ok(['rm', '-f', ...ids]);
    const userBridges = e.bridges().filter((b) => b !== e.bridge);
    assert.equal((await e.ok(['network', 'prune', '-f'])).includes('app'), true);
    assert.deepEqual(leases(e), []);
    assert.deepEqual(portsOf(e.bridge), []);
    for (const b of userBridges) assert.ok(!existsSync(`/sys/class/net/${b}`), `bridge ${b} removed`);
    assert.deepEqual(rulesMentioning(userBridges), []);
    const nat = spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout;
    for (const id of ids) assert.ok(!nat.includes(id), `no portmap rule left for ${id.slice(0, 12)}`);
    assert.deepEqual(e.leftovers(), { mounts: [], conmon: [], runc: [], snapshots: [] });
  });
});
