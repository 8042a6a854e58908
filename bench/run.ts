// Benchmarks for the engine foundation (issue #3), side by side in one run:
//   floor:  bare `runc run` of a bundle with the same busybox rootfs
//   minke:  `docker run --rm --network none busybox true` against a minke engine, and minke's own CLI
//   CLI alone: the docker CLI against an engine that answers at once and runs nothing
//              (bench/stub-engine.ts): with the isolated floor, the least any engine behind the
//              docker CLI that runs runc with Docker's isolation could take
//   docker: the same through a Docker daemon (Debian's docker.io, installed when missing, started
//           on its own socket and data root with --bridge none --iptables=false)
// and idle engine memory with 10 stopped containers and 5 images, plus the cost of each running one.
//
//   node dist/bench/run.js [--runs 20] [--no-docker]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEngine, busyboxTar, minkeCmd } from '../test/harness.js';
import { floorBundle } from './floor.js';
import { interleaved, median, rssKb, stubEngine, type Case } from './measure.js';
import { dockerDaemon, pidsOf } from './peers.js';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 20) || 20;
const withDocker = !args.includes('--no-docker');
// "Idle" is measured once an engine has had nothing to do for 3 s: minke's engine collects its
// heap 2 s after its last request, and neither engine is measured in the middle of its work.
const IDLE_MS = 3000;

function timeCmd(cmd: string, argv: string[], env?: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr?.toString()}`);
  return ms;
}

function series(label: string, fn: () => number, runs = RUNS): number {
  fn(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(fn());
  const m = median(xs);
  console.log(`${label.padEnd(62)} median ${m.toFixed(1).padStart(7)} ms  (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)}, n=${runs})`);
  return m;
}




async function main(): Promise<void> {
  const dir = mkdtempSync('/tmp/minke-bench-');
  const results: Record<string, number> = {};
  console.log(`# minke engine benchmark (${new Date().toISOString()}), ${RUNS} runs each\n`);

  const bundle = floorBundle(dir);
  const engine = new TestEngine();
  let stub: { host: string; stop: () => void } | undefined;
  try {
    await engine.start();
    await engine.importBusybox();
    const env = engine.env;
    // A second floor: bare runc with the very config.json minke generates (Docker's default
    // seccomp profile, capabilities, masked paths, cgroup), so the isolation cost is visible.
    const probe = (await engine.ok(['run', '-d', '--network', 'none', 'busybox', 'sleep', '60'])).trim();
    const spec = JSON.parse(readFileSync(join(engine.execRoot, 'containers', probe, 'config.json'), 'utf8')) as {
      process: { args: string[] }; root: { path: string }; mounts: Array<{ destination: string }>; linux: { cgroupsPath: string };
    };
    await engine.ok(['rm', '-f', probe]);
    spec.process.args = ['true'];
    spec.root.path = join(bundle, 'rootfs');
    spec.mounts = spec.mounts.filter((m) => !m.destination.startsWith('/etc/'));
    const isoBundle = join(dir, 'iso-bundle');
    mkdirSync(isoBundle, { recursive: true });
    stub = await stubEngine(dir);
    const stubEnv = { ...process.env, DOCKER_HOST: stub.host };
    const runTrue = ['run', '--rm', '--network', 'none', 'busybox', 'true'];
    let n = 0;
    let m = 0;
    // All start-up cases in rotation, so that a machine slower in one minute than the next
    // weighs on every case alike.
    const cases: Case[] = [
      { key: 'nodeStart', label: 'node -e 0 (Node start-up)', fn: async () => timeCmd(process.execPath, ['-e', '0']) },
      { key: 'floor', label: 'floor: runc run (same rootfs, own netns)', fn: async () => timeCmd('runc', ['--root', join(dir, 'runc'), 'run', '-b', bundle, `bench-${n++}`]) },
      {
        key: 'floorIsolated',
        label: "floor: runc run with minke's config.json (seccomp etc.)",
        fn: async () => {
          spec.linux.cgroupsPath = `/minke-bench/iso-${m}`;
          writeFileSync(join(isoBundle, 'config.json'), JSON.stringify(spec));
          return timeCmd('runc', ['--root', join(dir, 'runc'), 'run', '-b', isoBundle, `iso-${m++}`]);
        },
      },
      { key: 'cliAlone', label: 'docker CLI alone: the same run against a no-op engine', fn: async () => timeCmd('docker', runTrue, stubEnv) },
      { key: 'minkeDocker', label: 'minke: docker run --rm --network none busybox true', fn: async () => timeCmd('docker', runTrue, env) },
      { key: 'minkeCli', label: 'minke: minke run --rm --network none busybox true', fn: async () => timeCmd(minkeCmd, runTrue, env) },
    ];
    Object.assign(results, await interleaved(cases, RUNS));
    spawnSync('bash', ['-c', 'rmdir /sys/fs/cgroup/*/minke-bench/iso-* /sys/fs/cgroup/*/minke-bench /sys/fs/cgroup/minke-bench/iso-* /sys/fs/cgroup/minke-bench 2>/dev/null']);

    // Memory: 5 images, 10 stopped containers, then per running container.
    for (let i = 1; i < 5; i++) await engine.ok(['tag', 'busybox', `bench/img${i}:latest`]);
    for (let i = 0; i < 10; i++) await engine.ok(['create', 'busybox', 'true']);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const enginePid = pidsOf(`minke(\\.js)? daemon -H ${engine.host}`)[0]!;
    results.minkeIdleMb = rssKb(enginePid) / 1024;
    console.log(`minke: engine RSS idle (10 stopped containers, 5 images)       ${results.minkeIdleMb.toFixed(1)} MB`);
    for (let i = 0; i < 10; i++) await engine.ok(['run', '-d', 'busybox', 'sleep', '3600']);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const conmons = pidsOf(`conmon.*${engine.dir}`);
    const perContainer = (rssKb(enginePid) / 1024 - results.minkeIdleMb + conmons.reduce((a, p) => a + rssKb(p), 0) / 1024) / 10;
    results.minkePerRunningMb = perContainer;
    console.log(`minke: per running container (engine growth + conmon)         ${perContainer.toFixed(2)} MB`);
  } finally {
    stub?.stop();
    await engine.destroy();
  }

  if (withDocker) {
    const d = await dockerDaemon(dir);
    if (!d) console.log('docker: unavailable (docker.io could not be installed)');
    else {
      try {
        const env = { ...process.env, DOCKER_HOST: d.host };
        spawnSync('docker', ['import', '--change', 'CMD ["sh"]', busyboxTar(), 'busybox:latest'], { env, stdio: 'ignore' });
        results.docker = series('docker: docker run --rm --network none busybox true', () => timeCmd('docker', ['run', '--rm', '--network', 'none', 'busybox', 'true'], env));
        for (let i = 1; i < 5; i++) spawnSync('docker', ['tag', 'busybox', `bench/img${i}:latest`], { env });
        for (let i = 0; i < 10; i++) spawnSync('docker', ['create', 'busybox', 'true'], { env });
        await new Promise((r) => setTimeout(r, IDLE_MS));
        results.dockerIdleMb = d.pids().reduce((a, p) => a + rssKb(p), 0) / 1024;
        console.log(`docker: dockerd + containerd RSS idle (same load)             ${results.dockerIdleMb.toFixed(1)} MB`);
        const ids = spawnSync('docker', ['ps', '-aq'], { env, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
        if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { env, stdio: 'ignore' });
      } finally {
        await d.stop();
      }
    }
  }

  console.log('\n## ratios');
  console.log(`minke docker-run / floor      ${(results.minkeDocker! / results.floor!).toFixed(2)}x (target <= 1.5x)`);
  console.log(`minke docker-run / isolated floor ${(results.minkeDocker! / results.floorIsolated!).toFixed(2)}x`);
  const bound = results.cliAlone! + results.floorIsolated!;
  console.log(`least possible: CLI alone + isolated floor = ${bound.toFixed(1)} ms = ${(bound / results.floor!).toFixed(2)}x the floor; minke spends ${(results.minkeDocker! - bound).toFixed(1)} ms above it`);
  console.log(`minke CLI run - node start-up ${(results.minkeCli! - results.nodeStart!).toFixed(1)} ms vs engine path via docker CLI ${results.minkeDocker!.toFixed(1)} ms`);
  if (results.docker) console.log(`docker run (Docker) / floor   ${(results.docker / results.floor!).toFixed(2)}x`);
  if (results.dockerIdleMb) console.log(`minke idle RSS / docker       ${(results.minkeIdleMb! / results.dockerIdleMb).toFixed(2)}x (target <= 0.5x)`);
  writeFileSync(join(process.cwd(), 'bench', 'last-run.json'), JSON.stringify(results, null, 2));
  spawnSync('rm', ['-rf', dir]);
}

await main();
