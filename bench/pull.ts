// The engine's pull (issue 12), side by side in one run, from Debian's distribution 2.8 on
// loopback (docker-registry, its own config, port and root):
//   minke:  `docker pull -q` (the docker CLI) through a minke engine
//   skopeo: `skopeo copy docker://... dir:DIR` (Debian's skopeo) into an empty directory
//   docker: `docker pull -q` through Debian's dockerd 20.10 on its own socket and roots (bench/peers.ts)
// Images: one layer of 100 MiB, and 20 layers of 5 MiB (gzip level 1 of random bytes, made by
// the bench as layer tars and put into the registry with `skopeo copy oci:...`). Before each
// measured pull (not timed) the image is removed: `docker rmi` on both engines and, on minke,
// the layer blobs its content store keeps (dockerd keeps none), so every pull downloads and
// unpacks everything. Rounds rotate the order of the cases; medians.
//
//   node dist/bench/pull.js [--runs 5] [--no-docker]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TestEngine } from '../test/harness.js';
import { layerTar, makeImage, writeOciLayout, type FixtureImage } from '../test/image-fixtures.js';
import { startDistribution } from '../test/registries.js';
import { interleaved, runCommand as run, type Case } from './measure.js';
import { aptEnsure, dockerDaemon } from './peers.js';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 5) || 5;
const MiB = 1 << 20;


/** An image of `layers` layers, each one file of `size` random bytes. */
function randomImage(layers: number, size: number): FixtureImage {
  const tars = Array.from({ length: layers }, (_, i) => layerTar([{ name: `data/blob-${i}`, data: randomBytes(size) }]));
  return makeImage(tars, { oci: true });
}

async function main(): Promise<void> {
  if (!aptEnsure('skopeo', 'skopeo') || !aptEnsure('docker-registry', 'docker-registry')) throw new Error('skopeo and docker-registry are needed');
  const dir = mkdtempSync('/tmp/minke-bench-pull-');
  console.log(`# Engine pull benchmark (${new Date().toISOString()}), ${RUNS} runs each, ${process.env.MINKE_BENCH_NOTE ?? ''}\n`);
  const stops: Array<() => Promise<void> | void> = [];
  try {
    const reg = await startDistribution();
    stops.push(() => reg.stop());
    const images: Record<string, FixtureImage> = { big: randomImage(1, 100 * MiB), many: randomImage(20, 5 * MiB) };
    for (const [name, img] of Object.entries(images)) {
      writeOciLayout(join(dir, `layout-${name}`), img, '1');
      await run('skopeo', ['--insecure-policy', 'copy', '--dest-tls-verify=false', `oci:${join(dir, `layout-${name}`)}:1`, `docker://${reg.host}/bench/${name}:1`]);
      rmSync(join(dir, `layout-${name}`), { recursive: true, force: true });
    }
    const engine = new TestEngine();
    await engine.start();
    stops.push(() => engine.destroy());
    const minkeEnv = engine.env;
    const cases: Case[] = [];
    for (const [name, img] of Object.entries(images)) {
      const ref = `${reg.host}/bench/${name}:1`;
      const label = name === 'big' ? '1 layer of 100 MiB' : '20 layers of 5 MiB';
      cases.push({
        key: `minke-${name}`, label: `minke (docker pull): ${label}`,
        reset: async () => {
          await run('docker', ['rmi', '-f', ref], minkeEnv).catch(() => {});
          for (const l of img.layers) await rm(join(engine.dataRoot, 'content', 'blobs', 'sha256', l.digest.slice(7)), { force: true });
        },
        fn: () => run('docker', ['pull', '-q', ref], minkeEnv),
      });
      const out = join(dir, `skopeo-${name}`);
      cases.push({
        key: `skopeo-${name}`, label: `skopeo copy to dir: ${label}`,
        reset: () => rm(out, { recursive: true, force: true }),
        fn: () => run('skopeo', ['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${ref}`, `dir:${out}`]),
      });
    }
    if (!args.includes('--no-docker')) {
      const docker = await dockerDaemon(join(dir, 'docker'));
      if (docker) {
        stops.push(docker.stop);
        const env = { ...process.env, DOCKER_HOST: docker.host, DOCKER_CONFIG: join(dir, 'docker-config') };
        for (const name of Object.keys(images)) {
          const ref = `${reg.host}/bench/${name}:1`;
          cases.push({
            key: `docker-${name}`, label: `docker (dockerd 20.10): ${name === 'big' ? '1 layer of 100 MiB' : '20 layers of 5 MiB'}`,
            reset: () => run('docker', ['rmi', '-f', ref], env).catch(() => {}),
            fn: () => run('docker', ['pull', '-q', ref], env),
          });
        }
      } else console.log('docker: not available, skipped');
    }
    const m = await interleaved(cases, RUNS);
    console.log('');
    for (const name of Object.keys(images)) {
      const mk = m[`minke-${name}`]!;
      const sk = m[`skopeo-${name}`];
      const dk = m[`docker-${name}`];
      console.log(`${name}: minke/skopeo ${sk ? (mk / sk).toFixed(2) : '-'}x (target <= 1.0), minke/docker ${dk ? (mk / dk).toFixed(2) : '-'}x (target <= 0.7)`);
    }
  } finally {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch((err: Error) => console.log(`clean-up: ${err.message}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
