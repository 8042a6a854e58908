// The cluster's API server (issue 14), measured as the reference was: `minke server` from
// bin/minke on loopback, then ../shared/bench/k8s-load.mjs (20 clients, 15 s a phase: ConfigMap
// creates, GETs of one object, LIST of 1000 objects) with a static bearer token of
// system:masters. Also: ready time (exec to the first 200 of /readyz, a first start and restarts),
// the whole process's RSS idle and after the load, and watch fan-out (100 watchers each seeing 1000
// updates; the time from the last write's reply to the last watcher's last event). With etcd
// (Debian's etcd-server, its own data dir and ports) the load runs again on --datastore-endpoint.
//
//   node dist/bench/apiserver.js [--runs 5] [--no-etcd] [--dur 15]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtcdServer, findEtcd, freePort } from '../src/cluster/storage/etcd-server.js';
import { median, rssKb } from './measure.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) || dflt : dflt;
};
const RUNS = flag('--runs', 5);
const DUR = flag('--dur', 15);
const WITH_ETCD = !args.includes('--no-etcd');
const TOKEN = 'bench-admin-token';
const repo = fileURLToPath(new URL('../..', import.meta.url));
const MINKE = join(repo, 'bin/minke');
const LOAD = join(repo, '..', 'shared', 'bench', 'k8s-load.mjs');

const agent = new Agent({ keepAlive: true, maxSockets: 256, rejectUnauthorized: false });

interface Reply { status: number; body: string }
function call(port: number, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({
      host: '127.0.0.1', port, method, path, agent,
      headers: { Authorization: `Bearer ${TOKEN}`, Accept: 'application/json', ...(data !== undefined ? { 'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

interface Server { child: ChildProcess; port: number; readyMs: number; stop: () => Promise<void> }

/** Starts `minke server` on dataDir and resolves once /readyz answers 200 (polled every 2 ms). */
async function startServer(dataDir: string, port: number, endpoint?: string): Promise<Server> {
  mkdirSync(join(dataDir, '..'), { recursive: true });
  const tokens = join(dataDir, '..', 'tokens.csv');
  writeFileSync(tokens, `${TOKEN},bench-admin,bench-admin-uid,"system:masters"\n`);
  const t0 = performance.now();
  const child = spawn(MINKE, [
    'server', '--bind-address', '127.0.0.1', '--secure-port', String(port), '--data-dir', dataDir,
    '--write-kubeconfig', join(dataDir, '..', 'kubeconfig.yaml'), '--token-auth-file', tokens,
    ...(endpoint !== undefined ? ['--datastore-endpoint', endpoint] : []),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => { log = (log + c).slice(-4000); });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`minke server exited (${child.exitCode}): ${log}`);
    if (Date.now() > deadline) throw new Error(`minke server not ready in 60 s: ${log}`);
    const r = await call(port, 'GET', '/readyz').catch(() => undefined);
    if (r?.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const readyMs = performance.now() - t0;
  const stop = (): Promise<void> => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return { child, port, readyMs, stop };
}

/** Runs k8s-load.mjs against the server; prints its lines and returns them. */
async function load(port: number, suffix: string): Promise<string[]> {
  const child = spawn(process.execPath, [LOAD], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), TOKEN, CONC: '20', DUR: String(DUR), SUF: suffix },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; process.stdout.write(`  ${c.replace(/\n(?=.)/g, '\n  ')}`); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`k8s-load.mjs exited ${code}`);
  return out.split('\n').filter((l) => l !== '');
}

/**
 * 100 watchers on one namespace's ConfigMaps, then 1000 updates (20 writers over 20 objects); the
 * time from the last update's reply until every watcher has seen all 1000 MODIFIED events.
 */
async function fanOut(port: number): Promise<{ lagMs: number; writeMs: number }> {
  const ns = `bench-watch-${Date.now()}`;
  await call(port, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const names = Array.from({ length: 20 }, (_, i) => `w-${i}`);
  for (const name of names) await call(port, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: '0' } });
  const list = JSON.parse((await call(port, 'GET', `/api/v1/namespaces/${ns}/configmaps`)).body) as { metadata: { resourceVersion: string } };
  const rv = list.metadata.resourceVersion;
  const UPDATES = 1000;
  let lastEvent = 0;
  const watchers = Array.from({ length: 100 }, () => new Promise<void>((resolve, reject) => {
    let seen = 0;
    let buf = '';
    const req = request({
      host: '127.0.0.1', port, path: `/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${rv}`, agent,
      headers: { Authorization: `Bearer ${TOKEN}`, Accept: 'application/json' },
    }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.includes('"MODIFIED"') && ++seen === UPDATES) {
            lastEvent = Math.max(lastEvent, performance.now());
            req.destroy();
            resolve();
          }
        }
      });
    });
    req.on('error', (err) => { if (seen < UPDATES) reject(err); });
    req.end();
  }));
  // Let every watch reach the server before the writes begin (the first write would otherwise race
  // the watches' registration; each watch starts at rv, so none can miss an event anyway).
  await new Promise((resolve) => setTimeout(resolve, 500));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 20 }, async () => {
    while (next < UPDATES) {
      const i = next++;
      const r = await call(port, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/${names[i % names.length]!}`, { data: { n: String(i) } });
      if (r.status !== 200) throw new Error(`update ${i}: ${r.status} ${r.body.slice(0, 200)}`);
    }
  }));
  const lastWrite = performance.now();
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('watchers did not see every update within 60 s')), 60_000).unref());
  await Promise.race([Promise.all(watchers), timeout]);
  return { lagMs: Math.max(0, lastEvent - lastWrite), writeMs: lastWrite - t0 };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'minke-bench-apiserver-'));
  const out: string[] = [];
  try {
    // Ready: a first start (PKI made) and RUNS restarts on the same data dir.
    const dataDir = join(root, 'sqlite', 'data');
    const port = await freePort();
    const first = await startServer(dataDir, port);
    await first.stop();
    const restarts: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const s = await startServer(dataDir, port);
      restarts.push(s.readyMs);
      await s.stop();
    }
    out.push(`ready: first start ${first.readyMs.toFixed(0)} ms, restart median ${median(restarts).toFixed(0)} ms (${restarts.map((x) => x.toFixed(0)).join(', ')})`);
    console.log(out.at(-1));

    const s = await startServer(dataDir, port);
    try {
      // Idle: after a settle, once the start-up garbage has had a chance to go.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      out.push(`RSS idle: ${(rssKb(s.child.pid!) / 1024).toFixed(0)} MiB`);
      console.log(out.at(-1));
      console.log('k8s-load.mjs on SQLite:');
      out.push(...(await load(port, '-sqlite')).map((l) => `sqlite ${l}`));
      out.push(`RSS after the load: ${(rssKb(s.child.pid!) / 1024).toFixed(0)} MiB`);
      console.log(out.at(-1));
      const lags: number[] = [];
      for (let i = 0; i < Math.min(RUNS, 3); i++) {
        const f = await fanOut(port);
        lags.push(f.lagMs);
        console.log(`watch fan-out: 1000 updates written in ${f.writeMs.toFixed(0)} ms; last watcher done ${f.lagMs.toFixed(0)} ms after the last write`);
      }
      out.push(`watch fan-out (100 watchers x 1000 updates): median lag ${median(lags).toFixed(0)} ms after the last write`);
      console.log(out.at(-1));
      out.push(`RSS at the end: ${(rssKb(s.child.pid!) / 1024).toFixed(0)} MiB`);
      console.log(out.at(-1));
    } finally {
      await s.stop();
    }

    const etcdBin = findEtcd();
    if (WITH_ETCD && etcdBin !== undefined) {
      const etcd = await EtcdServer.start(etcdBin, join(root, 'etcd-data'));
      try {
        const ep = await startServer(join(root, 'etcd', 'data'), await freePort(), etcd.endpoint);
        try {
          console.log('k8s-load.mjs on etcd:');
          out.push(...(await load(ep.port, '-etcd')).map((l) => `etcd ${l}`));
        } finally {
          await ep.stop();
        }
      } finally {
        await etcd.stop();
      }
    } else if (WITH_ETCD) {
      console.log('etcd: no etcd binary on PATH, skipped');
    }
    console.log('\nsummary:');
    for (const l of out) console.log(`  ${l}`);
  } finally {
    agent.destroy();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
