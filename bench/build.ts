// Build benchmark (issue #11), side by side in one run: the same Dockerfile and context built by
//   minke:  the docker CLI (legacy builder protocol, as on this machine without buildx) against minke
//   docker: Docker's legacy builder (Debian's dockerd 20.10, started here in its own mount
//           namespace, data root and socket, --bridge none)
//   podman: `podman build` (Debian's podman 4.3, its own --root/--runroot), when installed
// Cases: cold (--no-cache), fully cached, one copied file changed; and a two-stage variant whose
// stages are independent (cold), against the sum of its stages built alone.
//
//   node dist/bench/build.js [--runs 5] [--no-docker] [--no-podman]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TestEngine, busyboxTar } from '../test/harness.js';
import { median } from './measure.js';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 5) || 5;

const STEPS = [
  'RUN dd if=/dev/urandom of=/app/blob bs=1M count=1 2>/dev/null && sha256sum /app/blob > /app/blob.sha',
  'RUN mkdir -p /app/many && for i in $(seq 1 100); do echo "file $i" > /app/many/f$i; done',
  'RUN mkdir -p /app/many && tar -C /app -cf - many | gzip > /app/many.tgz',
  "RUN echo 'app:x:1000:1000::/app:/bin/sh' >> /etc/passwd && ln -s /app/blob /app/link && find /app -type f | wc -l",
];
const SINGLE = ['FROM busybox', 'ENV APP=/app', 'WORKDIR /app', ...STEPS, 'COPY files/ /app/files/', 'CMD ["sh"]', ''].join('\n');
const TWO_STAGE = [
  'FROM busybox AS a', 'WORKDIR /app', STEPS[0]!, STEPS[1]!,
  'FROM busybox AS b', 'WORKDIR /app', STEPS[2]!, STEPS[3]!,
  'FROM busybox', 'COPY --from=a /app /a', 'COPY --from=b /app /b', 'COPY files/ /app/files/', 'CMD ["sh"]', '',
].join('\n');

interface Peer {
  name: string;
  /** Builds the context with a Dockerfile; extra flags (--no-cache, --target). */
  build(file: string, flags: string[]): void;
  stop(): Promise<void>;
}

function must(cmd: string, argv: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, argv, { env: env ?? process.env, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function timed(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function startDocker(dir: string): Promise<{ host: string; stop: () => Promise<void> } | undefined> {
  if (!existsSync('/usr/sbin/dockerd')) return undefined;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'containerd.toml'), [
    'version = 2', `root = "${dir}/containerd-root"`, `state = "${dir}/containerd-state"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]', '[grpc]', `  address = "${dir}/containerd.sock"`,
    '[ttrpc]', `  address = "${dir}/containerd.sock.ttrpc"`, '[debug]', '  address = ""', '[metrics]', '  address = ""',
    '[plugins."io.containerd.internal.v1.opt"]', `  path = "${dir}/containerd-opt"`, '',
  ].join('\n'));
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ 'deprecated-key-path': `${dir}/key.json` }));
  const host = `unix://${dir}/docker.sock`;
  // Its own mount namespace with a tmpfs /run: nothing of it meets another engine's state.
  const script = [
    'set -e', 'mount -n -t tmpfs -o mode=755 tmpfs /run',
    '/usr/bin/containerd -c "$D/containerd.toml" >"$D/containerd.log" 2>&1 &',
    'i=0; while [ ! -S "$D/containerd.sock" ]; do i=$((i+1)); [ $i -lt 200 ] || exit 1; sleep 0.05; done',
    'exec /usr/sbin/dockerd "$@"',
  ].join('\n');
  const child: ChildProcess = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh',
    '-H', host, '--data-root', `${dir}/data`, '--exec-root', `${dir}/exec`, '--pidfile', `${dir}/docker.pid`,
    '--config-file', `${dir}/daemon.json`, '--containerd', `${dir}/containerd.sock`, '--containerd-namespace', 'minke-bench-build',
    '--containerd-plugins-namespace', 'minke-bench-build-plugins', '--bridge', 'none', '--iptables=false', '--ip6tables=false',
    '--ip-forward=false', '--ip-masq=false', '--cgroup-parent', `/${dir.split('/').pop()!}`, '--storage-driver', 'overlay2'],
  { env: { ...process.env, D: dir }, stdio: 'ignore' });
  for (let i = 0; i < 300; i++) {
    if (spawnSync('docker', ['-H', host, 'version'], { stdio: 'ignore' }).status === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const root = mkdtempSync('/tmp/minke-bench-build-');
  const ctx = join(root, 'ctx');
  mkdirSync(join(ctx, 'files'), { recursive: true });
  for (let i = 1; i <= 50; i++) writeFileSync(join(ctx, 'files', `f${i}`), randomBytes(1024 * (1 + ((i * 37) % 100))));
  writeFileSync(join(ctx, 'Dockerfile'), SINGLE);
  writeFileSync(join(ctx, 'Dockerfile.two'), TWO_STAGE);
  const peers: Peer[] = [];
  const minke = new TestEngine();
  try {
    await minke.start();
    await minke.importBusybox();
    const menv = { ...minke.env, DOCKER_BUILDKIT: '0' };
    peers.push({
      name: 'minke', build: (f, flags) => must('docker', ['build', '-q', '-f', join(ctx, f), ...flags, ctx], menv),
      stop: () => minke.destroy(),
    });
    if (!args.includes('--no-docker')) {
      const d = await startDocker(join(root, 'docker'));
      if (d) {
        const denv = { ...process.env, DOCKER_HOST: d.host, DOCKER_BUILDKIT: '0' };
        must('docker', ['import', '--change', 'CMD ["sh"]', busyboxTar(), 'busybox:latest'], denv);
        peers.push({ name: 'docker', build: (f, flags) => must('docker', ['build', '-q', '-f', join(ctx, f), ...flags, ctx], denv), stop: d.stop });
      } else console.log('note: no dockerd here, Docker left out');
    }
    if (!args.includes('--no-podman') && spawnSync('podman', ['--version'], { stdio: 'ignore' }).status === 0) {
      const p = join(root, 'podman');
      const base = ['--root', join(p, 'root'), '--runroot', join(p, 'run'), '--storage-driver', 'overlay', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none'];
      must('podman', [...base, 'import', '--change', 'CMD ["sh"]', busyboxTar(), 'localhost/busybox:latest']);
      peers.push({
        name: 'podman', build: (f, flags) => must('podman', [...base, 'build', '-q', '--network', 'none', '--layers', '-f', join(ctx, f), ...flags, ctx]),
        stop: async () => {
          spawnSync('podman', [...base, 'system', 'reset', '-f'], { stdio: 'ignore' });
        },
      });
    }
    console.log(`# build benchmark (${new Date().toISOString()}), ${RUNS} runs each, peers in rotation\n`);
    const results: Record<string, Record<string, number[]>> = {};
    const add = (peer: string, c: string, ms: number): void => {
      ((results[peer] ??= {})[c] ??= []).push(ms);
    };
    let n = 0;
    for (const peer of peers) peer.build('Dockerfile', []); // warm: base image layers in place
    for (let i = 0; i < RUNS; i++) {
      for (let j = 0; j < peers.length; j++) {
        const peer = peers[(i + j) % peers.length]!;
        add(peer.name, 'cold', timed(() => peer.build('Dockerfile', ['--no-cache'])));
        add(peer.name, 'cached', timed(() => peer.build('Dockerfile', [])));
        writeFileSync(join(ctx, 'files', 'f7'), `changed ${n++}\n`);
        add(peer.name, 'changed', timed(() => peer.build('Dockerfile', [])));
        add(peer.name, 'two-stage', timed(() => peer.build('Dockerfile.two', ['--no-cache'])));
        add(peer.name, 'stage a', timed(() => peer.build('Dockerfile.two', ['--no-cache', '--target', 'a'])));
        add(peer.name, 'stage b', timed(() => peer.build('Dockerfile.two', ['--no-cache', '--target', 'b'])));
      }
    }
    const cases = ['cold', 'cached', 'changed', 'two-stage', 'stage a', 'stage b'];
    console.log(`${'case'.padEnd(12)}${peers.map((p) => p.name.padStart(12)).join('')}`);
    for (const c of cases) console.log(`${c.padEnd(12)}${peers.map((p) => `${median(results[p.name]![c]!).toFixed(0)} ms`.padStart(12)).join('')}`);
    const per = (p: string, c: string): number => median(results[p]![c]!);
    if (results.docker) {
      console.log('\nminke / docker:', ['cold', 'cached', 'changed'].map((c) => `${c} ${(per('minke', c) / per('docker', c)).toFixed(2)}`).join(', '));
    }
    console.log(`minke two-stage ${per('minke', 'two-stage').toFixed(0)} ms vs its stages alone ${(per('minke', 'stage a') + per('minke', 'stage b')).toFixed(0)} ms`);
  } finally {
    for (const p of peers.reverse()) await p.stop().catch((err: unknown) => console.error(`stopping ${p.name}: ${String(err)}`));
    if (!peers.some((p) => p.name === 'minke')) await minke.destroy();
    spawnSync('bash', ['-c', `grep ' ${root}' /proc/mounts | awk '{print $2}' | sort -r | xargs -r umount -l`]);
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
