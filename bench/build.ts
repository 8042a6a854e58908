// Dockerfile builds (issue 11), side by side in one run:
//   minke:  `docker build` (the docker CLI, legacy builder protocol) against a minke engine
//   docker: the same against Debian's dockerd (its legacy builder), on its own socket and roots
//   podman: `podman build` (Debian's podman with its own root, runc, cgroupfs)
// Cases: cold (--no-cache), fully cached, one copied file changed, and a two-stage build whose
// stages are independent (cold), beside each of its stages built alone (--target, cold): a
// builder that runs independent stages in parallel takes less than their sum.
// Every build runs with --network none (or the mode --network names: default puts each RUN step
// on the builder's default bridge); the rounds rotate the order of the cases.
//
// --compare-network adds, per builder, the cold build with its RUN steps on the default bridge
// (what a RUN step's own network costs, side by side with --network none).
//
//   node dist/bench/build.js [--runs 7] [--no-docker] [--no-podman] [--network none|default|host] [--compare-network]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEngine, busyboxTar } from '../test/harness.js';
import { interleaved, runCommand as run } from './measure.js';
import { aptEnsure, dockerDaemon } from './peers.js';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 7) || 7;
const NETWORK = args.includes('--network') ? args[args.indexOf('--network') + 1] ?? 'none' : 'none';

// The Dockerfile: a base, ENV, WORKDIR, four RUN steps, a COPY of 50 files, CMD.
const SINGLE = `FROM busybox
ENV APP=/work/app MODE=bench
WORKDIR /work
RUN dd if=/dev/urandom of=/work/blob bs=1024 count=1024 2>/dev/null && sha256sum /work/blob > /work/blob.sha256
RUN mkdir -p /work/gen && i=0; while [ $i -lt 100 ]; do echo "file $i" > /work/gen/f$i; i=$((i+1)); done
RUN tar -cf /work/gen.tar -C /work gen && gzip -9 /work/gen.tar
RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && ln -s /work/gen /work/link && find /work -type f | wc -l > /work/count
COPY files/ /work/files/
CMD ["sh", "-c", "cat /work/count"]
`;

// Two independent stages of two RUN steps each, joined by COPY --from.
const STAGE = (name: string, n: number): string => `FROM busybox AS ${name}
RUN dd if=/dev/urandom of=/out-${name} bs=1024 count=${512 * n} 2>/dev/null && sha256sum /out-${name} > /sum-${name}
RUN i=0; while [ $i -lt 200 ]; do echo "${name} $i" >> /list-${name}; i=$((i+1)); done
`;
const TWO = `${STAGE('a', 1)}
${STAGE('b', 2)}
FROM busybox
COPY --from=a /sum-a /list-a /
COPY --from=b /sum-b /list-b /
CMD ["cat", "/sum-a", "/sum-b"]
`;

/** The context: both Dockerfiles and 50 files of 1-100 KiB (the same bytes every run). */
function makeContext(dir: string): string {
  const ctx = join(dir, 'context');
  mkdirSync(join(ctx, 'files'), { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), SINGLE);
  writeFileSync(join(ctx, 'Dockerfile.two'), TWO);
  let seed = 42;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 50; i++) {
    const size = 1024 * (1 + Math.floor(rand() * 100));
    const buf = Buffer.alloc(size);
    for (let k = 0; k < size; k += 4) buf.writeUInt32LE(Math.floor(rand() * 2 ** 32), k);
    writeFileSync(join(ctx, 'files', `f${i}.bin`), buf);
  }
  return ctx;
}


/** A builder under test: how to run one build of a Dockerfile in the context, with extra flags. */
interface Builder { name: string; build: (dockerfile: string, flags: string[]) => Promise<void> }

/** The cases of one builder; `touch` changes one copied file (a new content each time). */
function casesOf(b: Builder, ctx: string): Parameters<typeof interleaved>[0] {
  let edits = 0;
  const touch = (): void => writeFileSync(join(ctx, 'files', 'f7.bin'), `changed ${edits++}\n`);
  return [
    { key: `${b.name}-cold`, label: `${b.name}: cold (--no-cache)`, fn: () => b.build('Dockerfile', ['--no-cache']) },
    { key: `${b.name}-cached`, label: `${b.name}: fully cached`, fn: () => b.build('Dockerfile', []) },
    { key: `${b.name}-one`, label: `${b.name}: one copied file changed`, fn: async () => { touch(); await b.build('Dockerfile', []); } },
    { key: `${b.name}-two`, label: `${b.name}: two independent stages (cold)`, fn: () => b.build('Dockerfile.two', ['--no-cache']) },
    { key: `${b.name}-stage-a`, label: `${b.name}: stage a alone (cold)`, fn: () => b.build('Dockerfile.two', ['--no-cache', '--target', 'a']) },
    { key: `${b.name}-stage-b`, label: `${b.name}: stage b alone (cold)`, fn: () => b.build('Dockerfile.two', ['--no-cache', '--target', 'b']) },
    ...(args.includes('--compare-network')
      ? [{ key: `${b.name}-cold-bridge`, label: `${b.name}: cold, RUN steps on the default bridge`, fn: () => b.build('Dockerfile', ['--no-cache', '--network', 'bridge']) }]
      : []),
  ];
}

function dockerCliBuilder(name: string, env: NodeJS.ProcessEnv, ctx: string): Builder {
  return {
    name,
    build: (dockerfile, flags) => run('docker', ['build', '-q', '--network', NETWORK, '-f', dockerfile, ...flags, '-t', `bench-${name}`, '.'], env, ctx),
  };
}

async function podmanBuilder(dir: string, ctx: string): Promise<{ builder: Builder; stop: () => void } | undefined> {
  if (!aptEnsure('podman', 'podman')) return undefined;
  const base = ['--root', join(dir, 'podman-root'), '--runroot', join(dir, 'podman-run'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none'];
  const env = { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf') };
  writeFileSync(join(dir, 'containers.conf'), '[engine]\n');
  await run('podman', [...base, 'import', '--change', 'CMD ["sh"]', busyboxTar(), 'localhost/busybox:latest'], env, ctx);
  await run('podman', [...base, 'tag', 'localhost/busybox:latest', 'docker.io/library/busybox:latest'], env, ctx);
  return {
    builder: {
      name: 'podman',
      build: (dockerfile, flags) => run('podman', [...base, 'build', '-q', '--pull=never', '--network', NETWORK, '-f', dockerfile, ...flags, '-t', 'bench-podman', '.'], env, ctx),
    },
    stop: () => {
      spawnSync('podman', [...base, 'system', 'reset', '-f'], { env, stdio: 'ignore' });
    },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync('/tmp/minke-bench-build-');
  const ctx = makeContext(dir);
  console.log(`# Dockerfile build benchmark (${new Date().toISOString()}), ${RUNS} runs each, ${process.env.MINKE_BENCH_NOTE ?? ''}\n`);
  const engine = new TestEngine();
  const stops: Array<() => Promise<void> | void> = [];
  try {
    await engine.start();
    await engine.importBusybox();
    stops.push(() => engine.destroy());
    // The docker CLI without buildx speaks the legacy builder's protocol to both engines.
    const cliEnv = (e: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...e, DOCKER_BUILDKIT: '0' });
    const cases = casesOf(dockerCliBuilder('minke', cliEnv(engine.env), ctx), ctx);
    if (!args.includes('--no-docker')) {
      const docker = await dockerDaemon(join(dir, 'docker'));
      if (docker) {
        stops.push(docker.stop);
        const env = cliEnv({ ...process.env, DOCKER_HOST: docker.host, DOCKER_CONFIG: join(dir, 'docker-config') });
        await run('docker', ['import', '--change', 'CMD ["sh"]', busyboxTar(), 'busybox:latest'], env, ctx);
        cases.push(...casesOf(dockerCliBuilder('docker', env, ctx), ctx));
      } else console.log('docker: not available, skipped');
    }
    if (!args.includes('--no-podman')) {
      const podman = await podmanBuilder(dir, ctx).catch((err: Error) => { console.log(`podman: ${err.message}, skipped`); return undefined; });
      if (podman) {
        stops.push(podman.stop);
        cases.push(...casesOf(podman.builder, ctx));
      } else console.log('podman: not available, skipped');
    }
    // A builder that fails a case is reported and left out, not the whole run.
    const working: typeof cases = [];
    for (const c of cases) {
      try {
        await c.fn();
        working.push(c);
      } catch (err) {
        console.log(`${c.label}: FAILED: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    const m = await interleaved(working, RUNS);
    console.log('');
    for (const b of ['minke', 'docker', 'podman']) {
      const a = m[`${b}-stage-a`];
      const bb = m[`${b}-stage-b`];
      const two = m[`${b}-two`];
      if (a !== undefined && bb !== undefined && two !== undefined) console.log(`${b}: two stages ${two.toFixed(0)} ms vs the sum of the stages alone ${(a + bb).toFixed(0)} ms`);
    }
    for (const k of ['cold', 'cached', 'one']) {
      const mk = m[`minke-${k}`];
      const dk = m[`docker-${k}`];
      if (mk !== undefined && dk !== undefined) console.log(`minke/docker ${k}: ${(mk / dk).toFixed(2)}x`);
    }
  } finally {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch((err: Error) => console.log(`clean-up: ${err.message}`));
    spawnSync('bash', ['-c', `grep ' ${dir}' /proc/mounts | awk '{print $2}' | sort -r | xargs -r umount -l`]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
