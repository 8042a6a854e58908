// The registry (issue 12), side by side in one run, skopeo (Debian's) as the client on loopback:
//   minke:        `minke registry serve` (its own process, its own root)
//   distribution: Debian's docker-registry 2.8 (`/usr/bin/docker-registry serve`, its own config,
//                 port and filesystem root, deletes enabled)
// Images: one layer of 100 MiB, and 20 layers of 5 MiB (gzipped random bytes, so skopeo sends
// them as they are). Push: `skopeo copy oci:... docker://...` into an empty registry (the running
// registry's content is removed before each push, so no blob is already there nor mountable;
// both keep running, warm, as a registry does). Floor: skopeo copying the same layout to a
// directory with no registry between, what skopeo itself takes. Pull: `skopeo copy
// docker://... dir:...` into an empty directory. Rounds rotate the order of the cases; medians.
// Each registry's RSS is sampled every 20 ms (at rest after start, and its peak while streaming),
// and the CPU time it spent on each case is read from /proc. Last, one 1 GiB blob is pushed and
// pulled over plain HTTP by this process, to show the peak RSS does not grow with the blob.
//
//   node dist/bench/registry.js [--runs 5] [--no-peer]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../src/core/native.js';
import { makeLayout, type Layout } from '../test/registry/oci-layout.js';
import { cpuMs, median, rssKb } from './measure.js';
import { aptEnsure } from './peers.js';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 5) || 5;
const withPeer = !args.includes('--no-peer');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitUp(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(url);
      await r.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`${url} did not come up`);
}

/** A registry process, started on an empty root; `wipe` empties it again while it runs. */
interface Peer {
  name: string;
  host: string;
  pid(): number;
  restart(): Promise<void>;
  wipe(): void;
  stop(): Promise<void>;
}

async function peer(name: string, dir: string, content: string[], start: (root: string, port: number) => ChildProcess): Promise<Peer> {
  const port = await freePort();
  const root = join(dir, `${name}-root`);
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const restart = async (): Promise<void> => {
    await stop();
    rmSync(root, { recursive: true, force: true });
    child = start(root, port);
    await waitUp(`http://127.0.0.1:${port}/v2/`);
  };
  await restart();
  const wipe = (): void => {
    for (const c of content) rmSync(join(root, c), { recursive: true, force: true });
  };
  return { name, host: `127.0.0.1:${port}`, pid: () => child!.pid!, restart, wipe, stop };
}

function minkeRegistry(dir: string): Promise<Peer> {
  return peer('minke', dir, ['blobs', 'repositories'], (root, port) =>
    spawn(process.execPath, [join(projectRoot, 'bin', 'minke.js'), 'registry', 'serve', '--listen', `127.0.0.1:${port}`, '--root', root, '--log-level', 'warn'], { stdio: 'ignore' }));
}

function distribution(dir: string): Promise<Peer> {
  return peer('distribution', dir, ['docker/registry/v2/blobs', 'docker/registry/v2/repositories'], (root, port) => {
    const config = join(dir, 'distribution.yml');
    writeFileSync(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${root}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    return spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' });
  });
}

/** skopeo in a child process, awaited (the RSS sampler of this process ticks meanwhile). */
/** Pushes then pulls one blob of `size` bytes (made up as it is sent), over plain HTTP, reading every byte back. */
async function streamBlob(host: string, size: number): Promise<void> {
  const { request } = await import('node:http');
  const { createHash } = await import('node:crypto');
  const chunk = Buffer.alloc(1 << 20);
  const hash = createHash('sha256');
  for (let i = 0; i < size >> 20; i++) {
    chunk.writeUInt32LE(i, 0);
    hash.update(chunk);
  }
  const digest = `sha256:${hash.digest('hex')}`;
  const call = (method: string, path: string, body?: number): Promise<{ status: number; location?: string; bytes: number }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: host.split(':')[0], port: Number(host.split(':')[1]), method, path, headers: body ? { 'Content-Type': 'application/octet-stream', 'Content-Length': body } : {} }, (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, bytes }));
      });
      req.on('error', reject);
      if (!body) return void req.end();
      let i = 0;
      const more = (): void => {
        while (i < body >> 20) {
          chunk.writeUInt32LE(i++, 0);
          if (!req.write(Buffer.from(chunk))) return void req.once('drain', more);
        }
        req.end();
      };
      more();
    });
  const start = await call('POST', '/v2/bench/stream/blobs/uploads/');
  const u = new URL(start.location!, `http://${host}`);
  const patch = await call('PATCH', u.pathname + u.search, size);
  const done = new URL(patch.location!, `http://${host}`);
  done.searchParams.set('digest', digest);
  const put = await call('PUT', done.pathname + done.search);
  if (put.status !== 201) throw new Error(`stream push: ${put.status}`);
  const got = await call('GET', `/v2/bench/stream/blobs/${digest}`);
  if (got.bytes !== size) throw new Error(`stream pull: ${got.bytes} bytes`);
}

function skopeo(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('skopeo', ['--insecure-policy', ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`skopeo ${argv.join(' ')}: ${err}`))));
  });
}

interface Case {
  key: string;
  label: string;
  /** None for the floor: skopeo copying the layout to a directory, no registry between. */
  reg?: Peer;
  prepare: () => Promise<void>;
  run: () => Promise<void>;
}

async function main(): Promise<void> {
  if (!aptEnsure('skopeo', 'skopeo')) throw new Error('skopeo is needed');
  const dir = mkdtempSync('/tmp/minke-bench-registry-');
  console.log(`# registry benchmark (${new Date().toISOString()}), ${RUNS} runs each, skopeo as the client\n`);
  try {
    const big = await makeLayout(join(dir, 'big'), [100 << 20], 'big');
    const many = await makeLayout(join(dir, 'many'), Array.from({ length: 20 }, () => 5 << 20), 'many');
    const regs: Peer[] = [await minkeRegistry(dir)];
    if (withPeer && aptEnsure('docker-registry', 'docker-registry')) regs.push(await distribution(dir));
    const idle: Record<string, number> = {};
    await new Promise((r) => setTimeout(r, 1000));
    for (const r of regs) idle[r.name] = rssKb(r.pid());
    const out = join(dir, 'out');
    const cases: Case[] = [];
    for (const img of [big, many]) {
      cases.push({
        key: `floor ${img.tag}`,
        label: `floor: skopeo oci: to dir: ${img.tag === 'big' ? '100 MiB, 1 layer' : '20 layers of 5 MiB'}`,
        prepare: async () => rmSync(out, { recursive: true, force: true }),
        run: () => skopeo(['copy', '-q', `oci:${img.dir}:${img.tag}`, `dir:${out}`]),
      });
    }
    for (const reg of regs) {
      for (const [what, img] of [['100 MiB, 1 layer', big], ['20 layers of 5 MiB', many]] as [string, Layout][]) {
        const ref = `docker://${reg.host}/bench/${img.tag}:${img.tag}`;
        cases.push({
          key: `${reg.name} push ${img.tag}`,
          label: `${reg.name}: push ${what}`,
          reg,
          prepare: async () => reg.wipe(),
          run: () => skopeo(['copy', '-q', '--dest-tls-verify=false', `oci:${img.dir}:${img.tag}`, ref]),
        });
        cases.push({
          key: `${reg.name} pull ${img.tag}`,
          label: `${reg.name}: pull ${what}`,
          reg,
          prepare: async () => {
            rmSync(out, { recursive: true, force: true });
            if (spawnSync('skopeo', ['--insecure-policy', 'inspect', '--raw', '--tls-verify=false', ref], { stdio: 'ignore' }).status !== 0) {
              await skopeo(['copy', '-q', '--dest-tls-verify=false', `oci:${img.dir}:${img.tag}`, ref]);
            }
          },
          run: () => skopeo(['copy', '-q', '--src-tls-verify=false', ref, `dir:${out}`]),
        });
      }
    }
    const times: Record<string, number[]> = {};
    const peaks: Record<string, number[]> = {};
    const cpu: Record<string, number[]> = {};
    for (let round = -1; round < RUNS; round++) {
      for (let j = 0; j < cases.length; j++) {
        const c = cases[(Math.max(round, 0) + j) % cases.length]!;
        await c.prepare();
        const pid = c.reg?.pid() ?? 0;
        let peak = 0;
        const sampler = setInterval(() => (peak = Math.max(peak, rssKb(pid))), 20);
        const cpu0 = cpuMs(pid);
        const t0 = process.hrtime.bigint();
        await c.run();
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const cpuUsed = cpuMs(pid) - cpu0;
        clearInterval(sampler);
        peak = Math.max(peak, rssKb(pid));
        if (round < 0) continue; // warm-up
        (times[c.key] ??= []).push(ms);
        (peaks[c.key] ??= []).push(peak);
        (cpu[c.key] ??= []).push(cpuUsed);
      }
    }
    for (const c of cases) {
      const xs = times[c.key]!;
      if (!c.reg) {
        console.log(`${c.label.padEnd(48)} median ${median(xs).toFixed(0).padStart(6)} ms  (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${RUNS})`);
        continue;
      }
      console.log(`${c.label.padEnd(48)} median ${median(xs).toFixed(0).padStart(6)} ms  (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${RUNS})  registry CPU ${median(cpu[c.key]!).toFixed(0).padStart(5)} ms  peak RSS ${(median(peaks[c.key]!) / 1024).toFixed(1)} MB`);
    }
    console.log('');
    for (const r of regs) console.log(`${r.name}: RSS at rest after start ${(idle[r.name]! / 1024).toFixed(1)} MB`);
    // Flat memory: the peak while one blob of 1 GiB streams in and out, beside the 100 MiB cases.
    for (const r of regs) {
      await r.restart();
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssKb(r.pid()))), 20);
      const t0 = process.hrtime.bigint();
      await streamBlob(r.host, 1 << 30);
      clearInterval(sampler);
      console.log(`${r.name}: push and pull of one 1 GiB blob (plain HTTP) ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms, peak RSS ${(peak / 1024).toFixed(1)} MB`);
    }
    if (regs.length > 1) {
      console.log('');
      for (const op of ['push big', 'pull big', 'push many', 'pull many']) {
        const m = median(times[`minke ${op}`]!);
        const d = median(times[`distribution ${op}`]!);
        console.log(`${op.padEnd(10)} minke/distribution = ${(m / d).toFixed(2)}`);
      }
    }
    for (const r of regs) await r.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
