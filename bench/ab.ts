// A/B of two builds of the engine in one run, interleaved (for a machine shared with other work,
// where only figures taken side by side compare): each build's engine gets its own socket, data
// root and default bridge; every round runs `docker run --rm --network none busybox true` and
// `docker run --rm busybox true` against both, plus the docker CLI alone (bench/stub-engine.ts)
// and runc with minke's config.json, the two parts of the bound of issue #3.
//
//   node dist/bench/ab.js --a /path/to/build-A --b /path/to/build-B [--runs 30]
//     [--bridges mkab0,mkab1] [--bips 10.250.0.1/24,10.250.1.1/24]
// A build is a checkout with dist/ and build/ made (tsc, scripts/build-native.sh).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxTar, removeNetworking } from '../test/harness.js';
import { floorBundle } from './floor.js';
import { interleaved, stubEngine, type Case } from './measure.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt?: string): string => {
  const i = args.indexOf(name);
  const v = i >= 0 ? args[i + 1] : dflt;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};
const RUNS = Number(arg('--runs', '30'));
const builds = { A: arg('--a'), B: arg('--b') };
const bridges = arg('--bridges', 'mkab0,mkab1').split(',');
const bips = arg('--bips', '10.250.0.1/24,10.250.1.1/24').split(',');

function timeCmd(cmd: string, argv: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr?.toString()}`);
  return ms;
}

interface Engine { env: NodeJS.ProcessEnv; child: ChildProcess; execRoot: string }

async function startEngine(build: string, dir: string, bridge: string, bip: string): Promise<Engine> {
  const sock = join(dir, 's.sock');
  const execRoot = join(dir, 'exec');
  const child = spawn(process.execPath, [join(build, 'bin', 'minke.js'), 'daemon', '-H', `unix://${sock}`, '--data-root', join(dir, 'data'),
    '--exec-root', execRoot, '--bridge', bridge, '--bip', bip], { stdio: ['ignore', 'ignore', 'inherit'] });
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, MINKE_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'docker-config') };
  for (let i = 0; ; i++) {
    if (existsSync(sock) && spawnSync('docker', ['version'], { env, stdio: 'ignore' }).status === 0) break;
    if (i > 600 || child.exitCode !== null) throw new Error(`engine of ${build} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const imp = spawnSync('docker', ['import', '--change', 'CMD ["sh"]', busyboxTar(), 'busybox:latest'], { env, stdio: 'ignore' });
  if (imp.status !== 0) throw new Error('import failed');
  return { env, child, execRoot };
}

async function main(): Promise<void> {
  const dir = mkdtempSync('/tmp/minke-ab-');
  const engines: Engine[] = [];
  let stub: { host: string; stop: () => void } | undefined;
  try {
    const A = await startEngine(builds.A, join(dir, 'a'), bridges[0]!, bips[0]!);
    engines.push(A);
    const B = await startEngine(builds.B, join(dir, 'b'), bridges[1]!, bips[1]!);
    engines.push(B);
    stub = await stubEngine(dir);
    // runc with the config.json minke makes, as in bench/run.ts
    const bundle = floorBundle(dir);
    const probe = spawnSync('docker', ['run', '-d', '--network', 'none', 'busybox', 'sleep', '60'], { env: B.env, encoding: 'utf8' }).stdout.trim();
    const spec = JSON.parse(readFileSync(join(B.execRoot, 'containers', probe, 'config.json'), 'utf8')) as {
      process: { args: string[] }; root: { path: string }; mounts: Array<{ destination: string }>; linux: { cgroupsPath: string };
    };
    spawnSync('docker', ['rm', '-f', probe], { env: B.env, stdio: 'ignore' });
    spec.process.args = ['true'];
    spec.root.path = join(bundle, 'rootfs');
    spec.mounts = spec.mounts.filter((m) => !m.destination.startsWith('/etc/'));
    const isoBundle = join(dir, 'iso-bundle');
    mkdirSync(isoBundle, { recursive: true });
    let m = 0;
    const none = ['run', '--rm', '--network', 'none', 'busybox', 'true'];
    const bridged = ['run', '--rm', 'busybox', 'true'];
    const cases: Case[] = [
      { key: 'cliAlone', label: 'docker CLI alone (no-op engine)', fn: async () => timeCmd('docker', none, { ...process.env, DOCKER_HOST: stub!.host }) },
      {
        key: 'floorIsolated', label: "runc run with minke's config.json", fn: async () => {
          spec.linux.cgroupsPath = `/minke-ab/iso-${m}`;
          writeFileSync(join(isoBundle, 'config.json'), JSON.stringify(spec));
          return timeCmd('runc', ['--root', join(dir, 'runc'), 'run', '-b', isoBundle, `iso-${m++}`], process.env);
        },
      },
      { key: 'noneA', label: 'A: docker run --rm --network none busybox true', fn: async () => timeCmd('docker', none, A.env) },
      { key: 'noneB', label: 'B: docker run --rm --network none busybox true', fn: async () => timeCmd('docker', none, B.env) },
      { key: 'bridgeA', label: 'A: docker run --rm busybox true (default bridge)', fn: async () => timeCmd('docker', bridged, A.env) },
      { key: 'bridgeB', label: 'B: docker run --rm busybox true (default bridge)', fn: async () => timeCmd('docker', bridged, B.env) },
    ];
    console.log(`# A/B (${new Date().toISOString()}), ${RUNS} rounds, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n# A ${builds.A}\n# B ${builds.B}`);
    const r = await interleaved(cases, RUNS);
    spawnSync('bash', ['-c', 'rmdir /sys/fs/cgroup/*/minke-ab/iso-* /sys/fs/cgroup/*/minke-ab /sys/fs/cgroup/minke-ab/iso-* /sys/fs/cgroup/minke-ab 2>/dev/null']);
    const bound = r.cliAlone! + r.floorIsolated!;
    console.log(`bound (CLI alone + runc with minke's config.json): ${bound.toFixed(1)} ms`);
    for (const k of ['A', 'B']) console.log(`${k}: --network none ${(r[`none${k}`]! - bound).toFixed(1)} ms above the bound; bridge costs ${(r[`bridge${k}`]! - r[`none${k}`]!).toFixed(1)} ms over none`);
    console.log(`B - A: none ${(r.noneB! - r.noneA!).toFixed(1)} ms, bridge ${(r.bridgeB! - r.bridgeA!).toFixed(1)} ms; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  } finally {
    stub?.stop();
    for (const e of engines) {
      const exited = new Promise((r) => e.child.once('exit', r));
      e.child.kill('SIGTERM');
      await exited;
    }
    spawnSync('bash', ['-c', `grep ' ${dir}' /proc/mounts | awk '{print $2}' | sort -r | xargs -r umount -l`]);
    removeNetworking(bridges);
    spawnSync('rm', ['-rf', dir]);
  }
}

await main();
