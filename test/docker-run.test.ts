// The real docker CLI against a minke engine: running containers, output, exit codes, lifecycle.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TestEngine, waitFor } from './harness.js';

describe('docker CLI: run and the container lifecycle', { concurrency: false }, () => {
  const e = new TestEngine();
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

  it('runs in the foreground with output and the exit code', async () => {
    const r = await e.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    const left = await e.ok(['ps', '-aq']);
    assert.equal(left.trim(), '', '--rm leaves no container');
  });

  it('exits 127 for a command not found and 126 for one that cannot be invoked', async () => {
    const notFound = await e.docker(['run', '--rm', 'busybox', 'nosuchcommand']);
    assert.equal(notFound.code, 127, notFound.stderr);
    assert.match(notFound.stderr, /nosuchcommand/);
    const notExec = await e.docker(['run', '--rm', 'busybox', '/etc/passwd']);
    assert.equal(notExec.code, 126, notExec.stderr);
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '');
  });

  it('exits 125 with docker wording for an unknown image', async () => {
    const r = await e.docker(['run', '--rm', '--pull', 'never', 'nosuchimage']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /No such image: nosuchimage:latest/);
  });

  it('merges the image config with run options', async () => {
    const out = await e.ok(['run', '--rm', '-e', 'A=1', '-w', '/tmp', '-u', 'nobody', '--hostname', 'box', 'busybox', 'sh', '-c', 'echo $A $(pwd) $(id -u) $(hostname)']);
    assert.equal(out, '1 /tmp 65534 box\n');
    const cmd = await e.ok(['run', '--rm', 'busybox']);
    assert.equal(cmd, '', 'default CMD sh with no stdin exits at once');
    const ep = await e.ok(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'a', 'b']);
    assert.equal(ep, 'a b\n');
  });

  it('runs detached, lists, logs, stops and removes', async () => {
    const id = (await e.ok(['run', '-d', '--name', 'sleeper', 'busybox', 'sh', '-c', 'echo started; trap "echo bye; exit 0" TERM; while true; do sleep 0.1; done'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = await e.ok(['ps', '--format', '{{.Names}} {{.Status}}']);
    assert.match(ps, /^sleeper Up/m);
    await waitFor(async () => (await e.ok(['logs', 'sleeper'])).includes('started'));
    await e.ok(['stop', '-t', '5', 'sleeper']);
    const code = await e.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'sleeper']);
    assert.equal(code.trim(), 'exited 0');
    assert.match(await e.ok(['logs', 'sleeper']), /started\nbye\n/);
    await e.ok(['rm', 'sleeper']);
    const gone = await e.docker(['inspect', 'sleeper']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No such object: sleeper|No such container: sleeper/);
  });

  it('refuses a name in use with 409 wording', async () => {
    await e.ok(['create', '--name', 'dup', 'busybox', 'true']);
    const r = await e.docker(['create', '--name', 'dup', 'busybox', 'true']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Conflict. The container name "\/dup" is already in use/);
    await e.ok(['rm', 'dup']);
  });

  it('kills with a signal, waits, restarts, pauses and renames', async () => {
    await e.ok(['run', '-d', '--name', 'kk', 'busybox', 'sh', '-c', 'trap "exit 7" USR1; while :; do sleep 0.1; done']);
    await e.ok(['pause', 'kk']);
    assert.match(await e.ok(['ps', '--filter', 'name=kk', '--format', '{{.Status}}']), /\(Paused\)/);
    await e.ok(['unpause', 'kk']);
    await e.ok(['rename', 'kk', 'k2']);
    const wait = e.docker(['wait', 'k2']);
    await e.ok(['kill', '-s', 'USR1', 'k2']);
    const w = await wait;
    assert.equal(w.stdout.trim(), '7');
    await e.ok(['restart', 'k2']);
    assert.equal((await e.ok(['inspect', '-f', '{{.State.Running}}', 'k2'])).trim(), 'true');
    await e.ok(['rm', '-f', 'k2']);
  });

  it('refuses to remove a running container without -f', async () => {
    await e.ok(['run', '-d', '--name', 'busy', 'busybox', 'sleep', '1000']);
    const r = await e.docker(['rm', 'busy']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /stop the container before removing or force remove/);
    await e.ok(['rm', '-f', 'busy']);
  });

  it('applies isolation defaults: capabilities, seccomp, masked paths, read-only rootfs', async () => {
    const caps = await e.ok(['run', '--rm', 'busybox', 'grep', 'CapEff', '/proc/self/status']);
    assert.match(caps, /CapEff:\s+00000000a80425fb/);
    const seccomp = await e.ok(['run', '--rm', 'busybox', 'grep', 'Seccomp:', '/proc/self/status']);
    assert.match(seccomp, /Seccomp:\s+2/);
    // Privileged gets every capability the host itself has (its bounding set).
    const hostBnd = /CapBnd:\s+([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    const priv = await e.ok(['run', '--rm', '--privileged', 'busybox', 'grep', 'CapEff', '/proc/self/status']);
    assert.equal(priv.trim(), `CapEff:\t${hostBnd}`);
    const ro = await e.docker(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    const masked = await e.ok(['run', '--rm', 'busybox', 'sh', '-c', 'wc -c < /proc/timer_list; ls /sys/firmware | wc -l']);
    assert.equal(masked.replace(/\s+/g, ' ').trim(), '0 0');
    const roSys = await e.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo 1 > /proc/sys/kernel/domainname']);
    assert.notEqual(roSys.code, 0);
    const pid1 = await e.ok(['run', '--rm', 'busybox', 'sh', '-c', 'echo $$']);
    assert.equal(pid1.trim(), '1');
  });

  it('OOM-kills a container over --memory and says so', async () => {
    const r = await e.docker(['run', '--name', 'oom', '--memory', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=$(head -c 64m /dev/zero | tr "\\0" a); echo $x']);
    assert.equal(r.code, 137);
    assert.equal((await e.ok(['inspect', '-f', '{{.State.OOMKilled}}', 'oom'])).trim(), 'true');
    await e.ok(['rm', 'oom']);
  });

  it('binds host paths with -v, creating a missing one as docker does', async () => {
    const dir = `${e.dir}/bind-${Date.now()}`;
    await e.ok(['run', '--rm', '-v', `${dir}:/data`, 'busybox', 'sh', '-c', 'echo kept > /data/f']);
    assert.equal(readFileSync(`${dir}/f`, 'utf8'), 'kept\n');
    const ro = await e.docker(['run', '--rm', '-v', `${dir}:/data:ro`, 'busybox', 'touch', '/data/g']);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
  });

  it('rejects invalid options with the option named', async () => {
    const mem = await e.docker(['run', '--rm', '--memory', '1m', 'busybox', 'true']);
    assert.equal(mem.code, 125);
    assert.match(mem.stderr, /Minimum memory limit allowed is 6MB/);
    const cpus = await e.docker(['run', '--rm', '--cpus', '99', 'busybox', 'true']);
    assert.equal(cpus.code, 125);
    assert.match(cpus.stderr, /Range of CPUs is from 0.01/);
    assert.equal((await e.ok(['ps', '-aq'])).trim(), '');
  });
});
