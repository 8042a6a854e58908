// The seeds' picture on one host, driven by the real docker CLI: a database container keeping its
// data in a named volume, an application container that reads it by name on a back-end network,
// and a load balancer on both networks publishing a port to the host. Each tier is busybox httpd
// (the application and the balancer answer through CGI scripts that call the next tier by name).
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestEngine, httpGet, waitFor } from './harness.js';

async function get(url: string): Promise<{ ok: boolean; body: string }> {
  const r = await httpGet(url).catch(() => ({ status: 0, body: '' }));
  return { ok: r.status === 200, body: r.body };
}

/** A shell command that makes a CGI script answering with the output of `body` and serves it. */
function cgiServer(body: string): string {
  return [
    'mkdir -p /www/cgi-bin',
    `printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\n${body}\\n' > /www/cgi-bin/index`,
    'chmod +x /www/cgi-bin/index',
    'exec httpd -f -p 80 -h /www',
  ].join(' && ');
}

describe('docker CLI: an application, a database and a load balancer on one host', { concurrency: false }, () => {
  const e = new TestEngine();
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

  it('serves the database through the application and the balancer, and keeps the data', async () => {
    await e.ok(['network', 'create', 'backend']);
    await e.ok(['network', 'create', 'frontend']);
    await e.ok(['volume', 'create', 'dbdata']);
    // The database: its data lives in the volume.
    await e.ok(['run', '--rm', '-v', 'dbdata:/data', 'busybox', 'sh', '-c', 'echo "row 1: hello" > /data/table']);
    await e.ok(['run', '-d', '--name', 'db', '--network', 'backend', '-v', 'dbdata:/data:ro', '--restart', 'unless-stopped',
      'busybox', 'httpd', '-f', '-p', '80', '-h', '/data']);
    // Two application replicas share the alias "app" on the back end.
    for (const n of [1, 2]) {
      await e.ok(['run', '-d', '--name', `app${n}`, '--network', 'backend', '--network-alias', 'app',
        '--health-cmd', 'wget -qO- http://db/table', '--health-interval', '300ms', '--health-retries', '2',
        'busybox', 'sh', '-c', cgiServer(`echo app${n}: $(wget -qO- http://db/table)`)]);
    }
    // The balancer: on the front end, connected to the back end too, publishing a port.
    await e.ok(['run', '-d', '--name', 'lb', '--network', 'frontend', '-p', '127.0.0.1::80', 'busybox', 'sh', '-c', cgiServer('wget -qO- http://app/cgi-bin/index')]);
    await e.ok(['network', 'connect', 'backend', 'lb']);
    await waitFor(async () => (await e.ok(['ps', '--filter', 'health=healthy', '-q'])).trim().split('\n').filter(Boolean).length === 2, 'both replicas healthy', 15_000);

    const port = /127\.0\.0\.1:(\d+)/.exec(await e.ok(['port', 'lb', '80']))![1]!;
    for (let i = 0; i < 5; i++) {
      const r = await get(`http://127.0.0.1:${port}/cgi-bin/index`);
      assert.ok(r.ok, 'the balancer answers from the host');
      assert.match(r.body, /^app[12]: row 1: hello$/m);
    }
    // The balancer's resolver gets both replicas for "app" (which one a client picks is its
    // resolver's choice: glibc sorts addresses by prefix, as with docker's DNS).
    const replicas = await e.ok(['exec', 'lb', 'nslookup', 'app']);
    for (const n of [1, 2]) {
      const ip = (await e.ok(['inspect', '-f', '{{.NetworkSettings.Networks.backend.IPAddress}}', `app${n}`])).trim();
      assert.ok(replicas.includes(`Address: ${ip}`), `app${n} (${ip}) answers for app: ${replicas}`);
    }

    // The front end cannot reach the database directly.
    const direct = await e.docker(['run', '--rm', '--network', 'frontend', 'busybox', 'sh', '-c', 'timeout 2 wget -qO- http://db/table; exit $?']);
    assert.notEqual(direct.code, 0);

    // The database's container goes; its data stays for the next one.
    await e.ok(['rm', '-f', 'db']);
    await e.ok(['run', '-d', '--name', 'db', '--network', 'backend', '-v', 'dbdata:/data:ro', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/data']);
    try {
      await waitFor(async () => (await get(`http://127.0.0.1:${port}/cgi-bin/index`)).body.includes('row 1: hello'), 'the new database serves the old data');
    } catch (err) {
      const ps = await e.docker(['ps', '-a', '--format', '{{.Names}} {{.Status}} {{.Networks}}']);
      const direct = await e.docker(['exec', 'app1', 'sh', '-c', 'nslookup db; timeout 2 wget -qO- http://db/table; echo rc=$?']);
      const viaLb = await e.docker(['exec', 'lb', 'sh', '-c', 'timeout 3 wget -qO- http://app/cgi-bin/index; echo rc=$?']);
      const last = await get(`http://127.0.0.1:${port}/cgi-bin/index`);
      const { spawnSync } = await import('node:child_process');
      const gw = (await e.ok(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Gateway}}{{end}}', 'backend'])).trim();
      const host = spawnSync('bash', ['-c', `ss -uapn | grep ':53 '; ip -br addr | grep -E 'mk|br-'; busybox nslookup db ${gw} 2>&1 | tail -3; iptables-save | grep -E 'br-|INPUT' | head -20`], { encoding: 'utf8' }).stdout;
      const conf = await e.docker(['exec', 'app1', 'sh', '-c', 'cat /etc/resolv.conf; ip -4 -o addr; ip route']);
      console.log(`DIAG host:\n${host}\napp1:\n${conf.stdout}`);
      throw new Error(`${(err as Error).message}\nengine log:\n${e.logs.slice(-3000)}\nps:\n${ps.stdout}\napp1:\n${direct.stdout}${direct.stderr}\nlb:\n${viaLb.stdout}${viaLb.stderr}\nhost: ${JSON.stringify(last)}`);
    }
    const inUse = await e.docker(['volume', 'rm', 'dbdata']);
    assert.match(inUse.stderr, /volume is in use/);
  });
});
