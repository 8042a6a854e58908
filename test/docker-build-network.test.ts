// The RUN steps' network, as Docker's builder gives it, through the real docker CLI (legacy
// builder protocol): the engine's default bridge by default, --network host / none / a network
// by name, --add-host; and nothing of a step's network (namespace, veth, lease, rules) left after
// it ends, fails or is cancelled.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TestEngine, rulesMentioning, waitFor } from './harness.js';

/** The dotted-quad prefix of a /24 (the test engines' --bip is one): "10.151.3.1/24" -> "10.151.3.". */
function prefix24(cidr: string): string {
  return cidr.split('/')[0]!.split('.').slice(0, 3).join('.') + '.';
}

describe('docker build: the RUN steps\' network', { concurrency: false }, () => {
  const e = new TestEngine();
  let ctx = '';
  const gateway = e.bip.split('/')[0]!;
  const docker = (args: string[], input?: string): ReturnType<TestEngine['run']> =>
    e.run('docker', args, { env: { ...e.env, DOCKER_BUILDKIT: '0' }, timeout: 120_000, ...(input !== undefined ? { input } : {}) });
  const build = async (dockerfile: string, flags: string[] = []): Promise<string> => {
    const r = await docker(['build', '--no-cache', ...flags, '-f', '-', ctx], dockerfile);
    if (r.code !== 0) throw new Error(`docker build ${flags.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const iptablesText = (): string => spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout ?? '';
  const nothingLeft = async (what: string): Promise<void> => {
    await waitFor(() => {
      const n = e.networkLeftovers();
      const l = e.leftovers();
      return n.netns.length === 0 && n.veths.length === 0 && n.leases.length === 0 && l.runc.length === 0 && l.mounts.length === 0;
    }, `no namespace, veth, lease, runc container or mount left ${what}: ${JSON.stringify({ ...e.networkLeftovers(), ...e.leftovers() })}`, 30_000);
  };

  before(async () => {
    ctx = mkdtempSync('/tmp/minke-buildnet-');
    writeFileSync(join(ctx, 'keep.txt'), 'x\n');
    await e.start();
    await e.importBusybox();
  });
  after(async () => {
    await e.destroy();
    rmSync(ctx, { recursive: true, force: true });
  });

  it('by default a step is on the default bridge: an address of its subnet, a default route, its hosts file', async () => {
    const out = await build('FROM busybox\nRUN ip -4 -o addr; ip route; cat /etc/hosts; echo "host=$(hostname)"\n', ['--add-host', 'extra.example:192.0.2.7', '--add-host', 'gw.example:host-gateway']);
    const subnet = prefix24(e.bip);
    const m = new RegExp(`eth0\\s+inet (${subnet.replace(/\./g, '\\.')}\\d+)/24`).exec(out);
    assert.ok(m, `eth0 has an address of ${e.bip}:\n${out}`);
    const ip = m[1]!;
    assert.notEqual(ip, gateway);
    assert.match(out, new RegExp(`default via ${gateway.replace(/\./g, '\\.')} dev eth0`));
    // As a Docker build container: its hostname is the ID "Running in" shows, and /etc/hosts names it.
    const id = /---> Running in ([0-9a-f]{12})\n/.exec(out)?.[1];
    assert.ok(id, out);
    assert.match(out, new RegExp(`host=${id}\\n`));
    assert.match(out, new RegExp(`${ip.replace(/\./g, '\\.')}\\t${id}\\n`));
    assert.match(out, /192\.0\.2\.7\textra\.example\n/);
    assert.match(out, new RegExp(`${gateway.replace(/\./g, '\\.')}\\tgw\\.example\\n`));
    await nothingLeft('after the build');
    assert.doesNotMatch(iptablesText(), new RegExp(`${ip.replace(/\./g, '\\.')}[/ ]`), 'no rule for the step\'s address');
  });

  it('--network none: only loopback; --network host: the host\'s interfaces', async () => {
    const links = 'RUN echo "links=$(ip -o link | cut -d: -f2 | tr -d \' \' | tr \'\\n\' ,)"';
    const none = await build(`FROM busybox\n${links}\n`, ['--network', 'none']);
    assert.match(none, /\nlinks=lo,\n/, none);
    const host = await build('FROM busybox\nRUN ip -4 -o addr\n', ['--network', 'host']);
    // The host's namespace: this engine's bridge with its gateway address is one of its interfaces.
    assert.match(host, new RegExp(`${e.bridge}\\s+inet ${gateway.replace(/\./g, '\\.')}/24`), host);
    // RUN --network in the Dockerfile overrides the build's mode.
    const flag = await build(`FROM busybox\n${links.replace('RUN ', 'RUN --network=none ')}\n`);
    assert.match(flag, /\nlinks=lo,\n/, flag);
  });

  it('a user-defined network by name; docker\'s error for one that does not exist', async () => {
    await e.ok(['network', 'create', 'buildnet-user']);
    try {
      const inspect = JSON.parse(await e.ok(['network', 'inspect', 'buildnet-user'])) as Array<{ IPAM: { Config: Array<{ Subnet: string; Gateway: string }> } }>;
      const { Subnet, Gateway } = inspect[0]!.IPAM.Config[0]!;
      const out = await build('FROM busybox\nRUN ip -4 -o addr show eth0; cat /etc/resolv.conf\n', ['--network', 'buildnet-user']);
      assert.match(out, new RegExp(`eth0\\s+inet ${prefix24(Subnet).replace(/\./g, '\\.')}\\d+/`), out);
      // Its embedded DNS server answers the step, as a container on the network.
      assert.match(out, new RegExp(`nameserver ${Gateway.replace(/\./g, '\\.')}\\n`));
    } finally {
      await e.ok(['network', 'rm', 'buildnet-user']);
    }
    const r = await docker(['build', '--network', 'no-such-net', '-f', '-', ctx], 'FROM busybox\nRUN true\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: network no-such-net not found/);
  });

  it('a step reaches a server listening on the bridge gateway', async () => {
    // The default bridge exists once the engine made it ready (a first step waits for it too).
    await waitFor(() => spawnSync('ip', ['-4', '-o', 'addr', 'show', 'dev', e.bridge], { encoding: 'utf8' }).stdout.includes(gateway), `${e.bridge} has ${gateway}`, 20_000);
    const token = `hello-${process.pid}-${Date.now()}`;
    const server: Server = createServer((_req, res) => res.end(`${token}\n`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, gateway, resolve);
    });
    try {
      const port = (server.address() as AddressInfo).port;
      // The second by --add-host's host-gateway line (static busybox cannot resolve names itself, and its wget -T crashes).
      const out = await build(`FROM busybox\nRUN wget -q -O - http://${gateway}:${port}/ && wget -q -O - "http://$(awk '$2 == "gw.test" {print $1}' /etc/hosts):${port}/"\n`, ['--add-host', 'gw.test:host-gateway']);
      assert.equal(out.split(token).length - 1, 2, out);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a failing step and a cancelled one leave no namespace, veth, lease or rule', async () => {
    const rulesBefore = rulesMentioning([e.bridge]).map((r) => r.rule).sort();
    const r = await docker(['build', '--no-cache', '-f', '-', ctx], 'FROM busybox\nRUN ip -4 -o addr show eth0; exit 7\n');
    // As with Docker's builder, the docker CLI exits with the step's code.
    assert.equal(r.code, 7, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /returned a non-zero code: 7/);
    const ip = new RegExp(`inet (${prefix24(e.bip).replace(/\./g, '\\.')}\\d+)/`).exec(r.stdout)?.[1];
    assert.ok(ip, r.stdout);
    await nothingLeft('after a failing step');
    assert.deepEqual(rulesMentioning([e.bridge]).map((x) => x.rule).sort(), rulesBefore);
    assert.doesNotMatch(iptablesText(), new RegExp(`${ip.replace(/\./g, '\\.')}[/ ]`));

    // A client that goes away mid-step: the build is cancelled and the step's network goes with it.
    const client = spawn('docker', ['build', '--no-cache', '-f', '-', ctx], { env: { ...e.env, DOCKER_BUILDKIT: '0' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let seen = '';
    client.stdout.on('data', (d: Buffer) => { seen += d.toString(); });
    client.stdin.end('FROM busybox\nRUN echo step-up; sleep 120\n');
    try {
      await waitFor(() => seen.includes('step-up') && e.networkLeftovers().veths.length === 1, 'the step runs on the bridge', 60_000);
      assert.equal(e.networkLeftovers().leases.length, 1);
    } finally {
      client.kill('SIGKILL');
    }
    await nothingLeft('after a cancelled build');
    assert.deepEqual(rulesMentioning([e.bridge]).map((x) => x.rule).sort(), rulesBefore);
  });
});
