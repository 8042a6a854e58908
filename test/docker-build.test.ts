// The real docker CLI (legacy builder protocol: no buildx here) and minke build against minke's builder.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { TestEngine, minkeCmd, waitFor } from './harness.js';

const DOCKERFILE = [
  'FROM busybox',
  'ARG GREETING=hello',
  'ENV APP=/app',
  'WORKDIR $APP',
  'COPY files/ ./files/',
  'COPY one.txt .',
  'RUN echo "$GREETING from run" > greeting && chmod 600 greeting',
  'LABEL org.example.k="v 1"',
  'EXPOSE 8080',
  'USER nobody',
  'CMD ["cat", "greeting"]',
  '',
].join('\n');

describe('docker build against minke', { concurrency: false }, () => {
  const e = new TestEngine();
  let ctx = '';
  const docker = (args: string[], input?: string): ReturnType<TestEngine['run']> =>
    e.run('docker', args, { env: { ...e.env, DOCKER_BUILDKIT: '0' }, timeout: 120_000, ...(input !== undefined ? { input } : {}) });
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await docker(args, input);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const noLeftovers = async (): Promise<void> => {
    await waitFor(() => {
      const l = e.leftovers();
      return l.mounts.length === 0 && l.runc.length === 0 && l.snapshots.length === 0 && readdirSync(join(e.dataRoot, 'build', 'contexts')).length === 0;
    }, 'no build container, mount, snapshot or context left', 20_000);
  };

  before(async () => {
    ctx = mkdtempSync('/tmp/minke-build-');
    mkdirSync(join(ctx, 'files/sub'), { recursive: true });
    for (let i = 0; i < 5; i++) writeFileSync(join(ctx, `files/f${i}.txt`), `file ${i}\n`);
    writeFileSync(join(ctx, 'files/sub/deep.txt'), 'deep\n');
    writeFileSync(join(ctx, 'one.txt'), 'one\n');
    writeFileSync(join(ctx, 'Dockerfile'), DOCKERFILE);
    await e.start();
    await e.importBusybox();
  });
  after(async () => {
    await e.destroy();
    rmSync(ctx, { recursive: true, force: true });
  });

  it('builds, runs, shows history and inspect as Docker\'s builder', async () => {
    const r = await ok(['build', '-t', 'app:1', '-t', 'app:latest', ctx]);
    assert.match(r, /Step 1\/11 : FROM busybox\n ---> [0-9a-f]{12}\n/);
    assert.match(r, /Step 7\/11 : RUN echo "\$GREETING from run" > greeting && chmod 600 greeting\n ---> Running in [0-9a-f]{12}\n/);
    assert.match(r, /Successfully built [0-9a-f]{12}\nSuccessfully tagged app:1\nSuccessfully tagged app:latest\n/);
    // USER nobody cannot read a 600 root file: run as root to see it.
    assert.equal(await ok(['run', '--rm', '-u', '0', 'app:1']), 'hello from run\n');
    assert.equal(await ok(['run', '--rm', 'app:1', 'sh', '-c', 'pwd; id -u; cat files/sub/deep.txt one.txt']), '/app\n65534\ndeep\none\n');
    const cfg = JSON.parse(await ok(['image', 'inspect', '-f', '{{json .Config}}', 'app:1'])) as Record<string, unknown>;
    assert.deepEqual(cfg.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'APP=/app']);
    assert.deepEqual(cfg.Cmd, ['cat', 'greeting']);
    assert.deepEqual(cfg.Labels, { 'org.example.k': 'v 1' });
    assert.deepEqual(cfg.ExposedPorts, { '8080/tcp': {} });
    assert.equal(cfg.WorkingDir, '/app');
    assert.equal(cfg.User, 'nobody');
    const hist = (await ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'app:1'])).trim().split('\n');
    assert.equal(hist[0], '/bin/sh -c #(nop)  CMD ["cat" "greeting"]');
    assert.equal(hist[4], '|1 GREETING=hello /bin/sh -c echo "$GREETING from run" > greeting && chmod 600 greeting');
    assert.match(hist[5]!, /^\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/app\/ $/);
    assert.match(hist[6]!, /^\/bin\/sh -c #\(nop\) COPY dir:[0-9a-f]{64} in \/app\/files\/ $/);
    assert.equal(hist[7], '/bin/sh -c #(nop) WORKDIR /app');
  });

  it('rebuilds from the cache, and only from the changed file on', async () => {
    const id = (await ok(['image', 'inspect', '-f', '{{.Id}}', 'app:1'])).trim();
    const again = await ok(['build', '-t', 'app:1', ctx]);
    assert.equal(again.match(/ ---> Using cache\n/g)?.length, 10);
    assert.doesNotMatch(again, /Running in/);
    assert.equal((await ok(['image', 'inspect', '-f', '{{.Id}}', 'app:1'])).trim(), id);
    writeFileSync(join(ctx, 'one.txt'), 'changed\n');
    try {
      const changed = await ok(['build', '-t', 'app:2', ctx]);
      assert.equal(changed.match(/ ---> Using cache\n/g)?.length, 4, changed);
      assert.match(changed, /Running in/);
      assert.equal(await ok(['run', '--rm', 'app:2', 'cat', 'one.txt']), 'changed\n');
      const fresh = await ok(['build', '--no-cache', '-t', 'app:3', ctx]);
      assert.doesNotMatch(fresh, /Using cache/);
    } finally {
      writeFileSync(join(ctx, 'one.txt'), 'one\n');
    }
  });

  it('-q, --iidfile, -f, --target, --build-arg, --label', async () => {
    const q = (await ok(['build', '-q', ctx])).trim();
    assert.match(q, /^sha256:[0-9a-f]{64}$/);
    const iid = join(ctx, '..', `${ctx.split('/').pop()}.iid`);
    writeFileSync(join(ctx, 'Multi.dockerfile'), [
      'ARG BASE=busybox',
      'FROM $BASE AS base', 'RUN echo base > /base',
      'FROM busybox AS other', 'RUN echo other > /other',
      'FROM base AS final', 'ARG V', 'COPY --from=other /other /copied', 'RUN echo "v=$V" > /v', '',
    ].join('\n'));
    try {
      const out = await ok(['build', '-f', join(ctx, 'Multi.dockerfile'), '--target', 'final', '--build-arg', 'V=42', '--label', 'built=yes', '--iidfile', iid, '-t', 'multi:1', ctx]);
      const id = readFileSync(iid, 'utf8');
      assert.match(id, /^sha256:[0-9a-f]{64}$/);
      assert.equal((await ok(['image', 'inspect', '-f', '{{.Id}}', 'multi:1'])).trim(), id);
      assert.equal(await ok(['run', '--rm', 'multi:1', 'cat', '/base', '/copied', '/v']), 'base\nother\nv=42\n');
      assert.equal((await ok(['image', 'inspect', '-f', '{{index .Config.Labels "built"}}', 'multi:1'])).trim(), 'yes');
      assert.match(out, /Step 1\/9 : ARG BASE=busybox\n/);
      const base = await ok(['build', '-f', join(ctx, 'Multi.dockerfile'), '--target', 'base', '-t', 'multi:base', ctx]);
      assert.doesNotMatch(base, /other/);
    } finally {
      rmSync(iid, { force: true });
      rmSync(join(ctx, 'Multi.dockerfile'), { force: true });
    }
  });

  it('--add-host and --network none: the RUN steps\' /etc/hosts', async () => {
    writeFileSync(join(ctx, 'Hosts.dockerfile'), 'FROM busybox\nRUN grep "1.2.3.4\tfoo" /etc/hosts && grep -q localhost /etc/hosts\n');
    try {
      const out = await ok(['build', '--no-cache', '--network', 'none', '--add-host', 'foo:1.2.3.4', '-f', join(ctx, 'Hosts.dockerfile'), ctx]);
      assert.match(out, /1\.2\.3\.4\tfoo/);
      await ok(['build', '--no-cache', '--add-host', 'foo=1.2.3.4', '-f', join(ctx, 'Hosts.dockerfile'), ctx]);
    } finally {
      rmSync(join(ctx, 'Hosts.dockerfile'), { force: true });
    }
  });

  it('tells what is wrong and leaves nothing behind', async () => {
    const bad = async (dockerfile: string, want: RegExp, code = 1): Promise<void> => {
      const r = await docker(['build', '-f', '-', ctx], dockerfile);
      assert.equal(r.code, code, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, want);
    };
    await bad('FROM busybox\nRUN true\nRNU x\n', /Dockerfile:3: unknown instruction: RNU|unknown instruction: RNU/);
    await bad('FROM busybox\nCOPY nothere /x\n', /COPY failed: file not found in build context or excluded by \.dockerignore: stat nothere: file does not exist/);
    // a registry on loopback where nothing listens: the pull fails in Go's words (no request leaves the machine)
    await bad('FROM 127.0.0.1:9/no-such-image\n', /Get "https?:\/\/127\.0\.0\.1:9\/v2\/": dial tcp 127\.0\.0\.1:9: connect: connection refused/);
    await bad('FROM busybox AS a\nCOPY --from=a /x /y\n', /invalid from flag value a: refers to current build stage/);
    const r = await docker(['build', '-f', '-', ctx], 'FROM busybox\nRUN echo output-before; exit 3\n');
    assert.equal(r.code, 3);
    assert.match(r.stdout, /output-before\n/);
    assert.match(r.stderr, /The command '\/bin\/sh -c echo output-before; exit 3' returned a non-zero code: 3/);
    await noLeftovers();
    // The engine serves meanwhile and after.
    assert.equal(await ok(['run', '--rm', 'busybox', 'echo', 'fine']), 'fine\n');
  });

  it('forgets nothing when a client hangs up mid-context', async () => {
    await new Promise<void>((resolve, reject) => {
      const s = connect(e.socket, () => {
        s.write('POST /v1.41/build?t=half HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\nContent-Length: 1048576\r\n\r\n');
        s.write(Buffer.alloc(512 * 3, 0x61)); // part of a (bogus) tar, then gone
        setImmediate(() => { s.destroy(); resolve(); });
      });
      s.on('error', reject);
    });
    await noLeftovers();
    assert.equal((await docker(['image', 'inspect', 'half'])).code, 1);
  });

  it('keeps the cache over an engine restart; builder prune and system df', async () => {
    await e.restart();
    const again = await ok(['build', '-t', 'app:1', ctx]);
    assert.equal(again.match(/ ---> Using cache\n/g)?.length, 10, again);
    const df = await ok(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']);
    const line = df.split('\n').find((l) => l.startsWith('Build Cache'))!;
    assert.ok(Number(line.split(' ').pop()) > 0, df);
    const pruned = await ok(['builder', 'prune', '-f', '-a']);
    assert.match(pruned, /Total reclaimed space:/);
    assert.match(await ok(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']), /Build Cache 0/);
    const cold = await ok(['build', '-t', 'app:1', ctx]);
    assert.doesNotMatch(cold, /Using cache/);
  });

  it('RUN --mount=type=cache keeps its dir between builds, out of the layer; tmpfs; builder prune -a clears it', async () => {
    writeFileSync(join(ctx, 'Cache.dockerfile'), [
      'FROM busybox',
      'RUN --mount=type=cache,id=cnt,target=/cache,uid=1000 --mount=type=tmpfs,target=/scratch n=$(cat /cache/n 2>/dev/null || echo 0); echo $((n+1)) > /cache/n; echo "count=$(cat /cache/n) owner=$(stat -c %u /cache)"; touch /scratch/x',
      '',
    ].join('\n'));
    try {
      const build = async (): Promise<string> => ok(['build', '--no-cache', '-t', 'cachemnt:1', '-f', join(ctx, 'Cache.dockerfile'), ctx]);
      assert.match(await build(), /count=1 owner=1000/);
      assert.match(await build(), /count=2 owner=1000/);
      assert.equal((await e.docker(['run', '--rm', 'cachemnt:1', 'sh', '-c', 'ls /cache /scratch'])).code, 1, 'neither mount is in the image');
      await ok(['builder', 'prune', '-af']);
      assert.match(await build(), /count=1 owner=1000/);
    } finally {
      rmSync(join(ctx, 'Cache.dockerfile'), { force: true });
    }
  });

  it('.dockerignore keeps files out of the context, for docker and minke build', async () => {
    writeFileSync(join(ctx, '.dockerignore'), 'ignored*\nfiles/sub\n');
    writeFileSync(join(ctx, 'ignored.txt'), 'secret\n');
    try {
      for (const cli of ['docker', minkeCmd]) {
        const r = await e.run(cli, ['build', '-q', '-f', '-', ctx], { env: { ...e.env, DOCKER_BUILDKIT: '0' }, input: 'FROM busybox\nCOPY . /ctx\n', timeout: 120_000 });
        assert.equal(r.code, 0, r.stderr);
        const ls = await ok(['run', '--rm', r.stdout.trim(), 'sh', '-c', 'cd /ctx && find . | sort']);
        assert.doesNotMatch(ls, /ignored|sub|\.dockerfile\./, `${cli}: ${ls}`);
        assert.match(ls, /\.\/files\/f0\.txt\n/);
      }
    } finally {
      rmSync(join(ctx, '.dockerignore'), { force: true });
      rmSync(join(ctx, 'ignored.txt'), { force: true });
    }
  });

  it('minke build: plain progress, -q, a Dockerfile on stdin', async () => {
    // A context bigger than the socket's buffers: the upload waits on the engine (backpressure).
    writeFileSync(join(ctx, 'big.bin'), Buffer.alloc(4 << 20, 1));
    const plain = await e.run(minkeCmd, ['build', '--progress', 'plain', '-t', 'mk:1', ctx], { env: e.env, timeout: 120_000 });
    rmSync(join(ctx, 'big.bin'));
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /#1 \[1\/11\] FROM busybox\n/);
    const again = await e.run(minkeCmd, ['build', '--progress', 'plain', '-t', 'mk:1', ctx], { env: e.env, timeout: 120_000 });
    assert.match(again.stdout, /#7 CACHED\n/);
    const q = await e.run(minkeCmd, ['build', '-q', '-'], { env: e.env, input: 'FROM busybox\nRUN echo stdin > /s\n', timeout: 120_000 });
    assert.equal(q.code, 0, q.stderr);
    assert.match(q.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(await ok(['run', '--rm', q.stdout.trim(), 'cat', '/s']), 'stdin\n');
    const fail = await e.run(minkeCmd, ['build', '--progress', 'plain', '-'], { env: e.env, input: 'FROM busybox\nRUN exit 4\n', timeout: 120_000 });
    assert.equal(fail.code, 1);
    assert.match(fail.stderr, /returned a non-zero code: 4/);
  });

  it('--platform: the host\'s in any spelling, another refused before the context is read', async () => {
    const host = (await ok(['version', '-f', '{{.Server.Arch}}'])).trim();
    assert.match(await ok(['build', '-q', '--platform', `linux/${host}`, '-'], 'FROM busybox\nARG TARGETPLATFORM\nRUN echo $TARGETPLATFORM > /p\n'), /^sha256:/);
    const other = host === 'arm64' ? 'linux/amd64' : 'linux/arm64';
    const r = await docker(['build', '--platform', other, '-'], 'FROM busybox\n');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`this engine builds for linux/${host} only, not ${other}`));
    const f = await docker(['build', '-'], `FROM --platform=${other} busybox\n`);
    assert.match(f.stdout + f.stderr, /this engine builds for linux\/\w+ only/);
  });

  it('RUN steps get --memory, --ulimit and --shm-size; --squash and --cache-from are refused clearly', async () => {
    const df = 'FROM busybox\nRUN echo "mem=$(cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null) nofile=$(ulimit -n) shm=$(df -k /dev/shm | tail -1 | awk \'{print $2}\')"\n';
    for (const cli of ['docker', minkeCmd]) {
      const r = await e.run(cli, ['build', '--no-cache', '--progress', 'plain', '--memory', '64m', '--ulimit', 'nofile=1024:2048', '--shm-size', '16m', '-'].filter((a) => cli === minkeCmd || a !== '--progress' && a !== 'plain'),
        { env: { ...e.env, DOCKER_BUILDKIT: '0' }, input: df, timeout: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /mem=67108864 nofile=1024 shm=16384/, `${cli}: ${r.stdout}`);
    }
    const sq = await docker(['build', '--squash', '-'], 'FROM busybox\n');
    assert.match(sq.stderr, /squash is only supported with experimental mode|experimental/);
    const cf = await docker(['build', '--cache-from', 'busybox', '-'], 'FROM busybox\n');
    assert.match(cf.stderr, /--cache-from is not supported by this builder/);
  });

  it('minke build --secret: from a file and from the environment, for RUN --mount=type=secret only', async () => {
    const secretFile = join(ctx, '..', `minke-secret-${process.pid}`);
    writeFileSync(secretFile, 'from-file');
    try {
      const df = 'FROM busybox\nRUN --mount=type=secret,id=f --mount=type=secret,id=TOKEN,env=TOKEN,required echo "$(cat /run/secrets/f) $TOKEN" > /seen\n';
      const r = await e.run(minkeCmd, ['build', '-q', '--secret', `id=f,src=${secretFile}`, '--secret', 'id=TOKEN', '-'], { env: { ...e.env, TOKEN: 'from-env' }, input: df, timeout: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      const id = r.stdout.trim();
      assert.equal(await ok(['run', '--rm', id, 'cat', '/seen']), 'from-file from-env\n');
      assert.doesNotMatch(await ok(['history', '--no-trunc', id]), /from-file|from-env/);
      assert.equal((await e.docker(['run', '--rm', id, 'ls', '/run/secrets'])).code, 1, 'no secret mount point in the image');
      // Through the docker CLI (no secrets in its protocol) a required secret is missing, named.
      const d = await docker(['build', '--no-cache', '-'], df);
      assert.notEqual(d.code, 0);
      assert.match(d.stdout + d.stderr, /secret TOKEN: not found/);
      const bad = await e.run(minkeCmd, ['build', '--secret', 'src=/nonexistent', '-'], { env: e.env, input: df, timeout: 60_000 });
      assert.match(bad.stderr, /secret missing ID/);
      await noLeftovers();
    } finally {
      rmSync(secretFile, { force: true });
    }
  });
});
