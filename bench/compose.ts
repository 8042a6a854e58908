// Compose (issue 13), side by side in one run: `up -d` and `down -v` of a 5-service application
// from images built beforehand (web publishing a port on loopback, worker, db with a named
// volume, cache, proxy depending on web, all on one user network):
//   minke:  minke compose (bin/minke, its start-up snapshot) against a minke engine
//   v1:     Debian's docker-compose 1.29 against Debian's dockerd (its own socket and roots)
// and, for reference, each compose against the other engine. The rounds rotate the order.
//
//   node dist/bench/compose.js [--runs 5] [--no-docker]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEngine, busyboxTar, minkeCmd } from '../test/harness.js';
import { median, runCommand as run, timed } from './measure.js';
import { dockerDaemon } from './peers.js';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 5) || 5;
const COMPOSE_V1 = '/usr/bin/docker-compose';

const RUN_SH = `#!/bin/sh
# every service of the benchmark: ends at once on TERM; the web one serves / with httpd
trap 'exit 0' TERM INT
[ "$1" = web ] && httpd -p 80 -h /
while :; do sleep 1 & wait $!; done
`;

const composeFile = (port: number): string => `services:
  web:
    image: compose-bench-app
    command: ["/run.sh", "web"]
    ports: ["127.0.0.1:${port}:80"]
    networks: [appnet]
  worker:
    image: compose-bench-app
    command: ["/run.sh", "worker"]
    environment: {QUEUE: cache, DB: db}
    depends_on: [db, cache]
    networks: [appnet]
  db:
    image: compose-bench-app
    command: ["/run.sh", "db"]
    volumes: [dbdata:/data]
    networks: [appnet]
  cache:
    image: compose-bench-app
    command: ["/run.sh", "cache"]
    networks: [appnet]
  proxy:
    image: compose-bench-app
    command: ["/run.sh", "proxy"]
    depends_on: [web]
    networks: [appnet]
networks:
  appnet: {}
volumes:
  dbdata: {}
`;


interface Tool { name: string; up: () => Promise<void>; down: () => Promise<void> }

function tool(name: string, cmd: string, pre: string[], env: NodeJS.ProcessEnv, dir: string, project: string): Tool {
  const base = [...pre, '-f', join(dir, 'compose.yaml'), '-p', project];
  return {
    name,
    up: () => run(cmd, [...base, 'up', '-d'], env, dir),
    down: () => run(cmd, [...base, 'down', '-v'], env, dir),
  };
}

/** Builds the application image on an engine (the docker CLI, legacy builder). */
async function buildImage(env: NodeJS.ProcessEnv, dir: string): Promise<void> {
  await run('docker', ['build', '-q', '--network', 'none', '-t', 'compose-bench-app', '.'], { ...env, DOCKER_BUILDKIT: '0' }, join(dir, 'image'));
}

async function main(): Promise<void> {
  const dir = mkdtempSync('/tmp/minke-bench-compose-');
  mkdirSync(join(dir, 'image'));
  writeFileSync(join(dir, 'image', 'run.sh'), RUN_SH, { mode: 0o755 });
  writeFileSync(join(dir, 'image', 'Dockerfile'), 'FROM busybox\nCOPY run.sh /run.sh\nRUN chmod 755 /run.sh\nCMD ["/run.sh"]\n');
  console.log(`# compose benchmark (${new Date().toISOString()}), ${RUNS} rounds, ${process.env.MINKE_BENCH_NOTE ?? ''}\n`);
  const engine = new TestEngine();
  const stops: Array<() => Promise<void> | void> = [];
  try {
    await engine.start();
    await engine.importBusybox();
    stops.push(() => engine.destroy());
    await buildImage(engine.env, dir);
    const minkeEnv = { ...engine.env };
    // the two engines get files of their own (ports differ), in their own directories
    const file = (sub: string, port: number): string => {
      mkdirSync(join(dir, sub), { recursive: true });
      writeFileSync(join(dir, sub, 'compose.yaml'), composeFile(port));
      return join(dir, sub);
    };
    const tools: Tool[] = [tool('minke compose / minke engine', minkeCmd, ['compose'], minkeEnv, file('m-m', 18981), 'benchmm')];
    if (!args.includes('--no-docker') && existsSync(COMPOSE_V1)) {
      const docker = await dockerDaemon(join(dir, 'docker'));
      if (docker) {
        stops.push(docker.stop);
        const denv = { ...process.env, DOCKER_HOST: docker.host, DOCKER_CONFIG: join(dir, 'docker-config') };
        await run('docker', ['import', '--change', 'CMD ["sh"]', busyboxTar(), 'busybox:latest'], denv, dir);
        await buildImage(denv, dir);
        tools.push(tool('docker-compose 1.29 / Docker engine', COMPOSE_V1, [], denv, file('v-d', 18982), 'benchvd'));
        tools.push(tool('minke compose / Docker engine', minkeCmd, ['compose'], denv, file('m-d', 18983), 'benchmd'));
        tools.push(tool('docker-compose 1.29 / minke engine', COMPOSE_V1, [], minkeEnv, file('v-m', 18984), 'benchvm'));
      } else console.log('docker: not available, skipped');
    } else console.log('docker-compose 1.29 or Docker: skipped');
    const times = new Map<string, { up: number[]; down: number[] }>();
    for (const t of tools) {
      // a warm-up round (image caches, first network)
      await t.up();
      await t.down();
      times.set(t.name, { up: [], down: [] });
    }
    for (let i = 0; i < RUNS; i++) {
      for (let j = 0; j < tools.length; j++) {
        const t = tools[(i + j) % tools.length]!;
        const x = times.get(t.name)!;
        x.up.push(await timed(t.up));
        x.down.push(await timed(t.down));
      }
    }
    const med: Record<string, { up: number; down: number }> = {};
    for (const [name, x] of times) {
      med[name] = { up: median(x.up), down: median(x.down) };
      console.log(`${name.padEnd(40)} up -d median ${med[name]!.up.toFixed(0).padStart(6)} ms (min ${Math.min(...x.up).toFixed(0)}, max ${Math.max(...x.up).toFixed(0)})   down -v median ${med[name]!.down.toFixed(0).padStart(6)} ms (min ${Math.min(...x.down).toFixed(0)}, max ${Math.max(...x.down).toFixed(0)})`);
    }
    const m = med['minke compose / minke engine'];
    const v = med['docker-compose 1.29 / Docker engine'];
    if (m && v) console.log(`\nminke/docker-compose: up -d ${(m.up / v.up).toFixed(2)}x, down ${(m.down / v.down).toFixed(2)}x (targets <= 0.30x)`);
  } finally {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch((err: Error) => console.log(`clean-up: ${err.message}`));
    spawnSync('bash', ['-c', `grep ' ${dir}' /proc/mounts | awk '{print $2}' | sort -r | xargs -r umount -l`]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
