// Benchmarks for engine networking (issue #4), side by side in one run:
//   1. `docker run --rm busybox true` on the default bridge network:
//        floor:  bare runc (create, CNI bridge + host-local ADD into /proc/PID/ns/net, start, wait,
//                CNI DEL, delete) on a bridge of the benchmark's own (mkbfloor0)
//        minke:  the docker CLI against a minke engine (test/harness.ts's TestEngine, its own bridge)
//        docker: the docker CLI against a Docker daemon (Debian's docker.io, installed when missing)
//                started here with its own socket, data root and bridge (`-b mkbdock0`, a bridge
//                made here on a subnet of its own), iptables on as Docker normally runs
//      plus the same without networking (`runc run`, `--network none`) so the network's share shows.
//   2. Requests through a published port (`-p 127.0.0.1::80`) to a busybox httpd container, with
//      wrk (Debian's, installed when missing) for a bounded time and connection count: minke's
//      published port, Docker's, and each container's own address (the floor).
//   3. Engine memory with 20 running containers (`sleep 3600`) on two user networks, 10 each:
//      minke engine + its conmons vs dockerd + containerd + containerd-shims (RSS and PSS);
//      measured before 1 and 2, while neither engine has done other work.
// Traffic goes only to 127.0.0.1 and to the benchmark's own containers. Everything made here
// (containers, networks, bridges, iptables rules, dockerd, temp dirs) is removed at the end, also
// on failure or Ctrl-C.
//
//   node dist/bench/network.js [--runs 20] [--no-docker] [--seconds 5] [--rounds 3] [--connections 10]
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { TestEngine, busyboxTar, removeNetworking } from '../test/harness.js';
import { floorBundle } from './floor.js';
import { interleaved, median, stubEngine, type Case } from './measure.js';
import { findPluginDir } from '../src/engine/networks/cni.js';

const args = process.argv.slice(2);
function numArg(name: string, dflt: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : dflt;
}
const RUNS = Math.floor(numArg('--runs', 20));
const SECONDS = Math.min(numArg('--seconds', 5), 60);
const ROUNDS = Math.min(Math.floor(numArg('--rounds', 3)), 10);
const CONNECTIONS = Math.min(Math.floor(numArg('--connections', 10)), 64);
const withDocker = !args.includes('--no-docker');

const FLOOR_BRIDGE = 'mkbfloor0';
const DOCKER_BRIDGE = 'mkbdock0';
const DOCKER_USER_BRIDGES = ['mkbdk1', 'mkbdk2'];
const HTTPD = ['sh', '-c', 'mkdir -p /www && echo "hello from busybox httpd" > /www/index.html && exec httpd -f -p 80 -h /www'];

// --- small helpers ---

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Done { code: number; stdout: string; stderr: string }

/** Runs a command to its end (killed after timeoutMs), collecting its output. */
function run(cmd: string, argv: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Done> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    p.stdin.end(opts.input);
  });
}

/** A step of the benchmark (not of its clean-up): fails on a non-zero exit, and once interrupted. */
async function ok(cmd: string, argv: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<string> {
  checkAbort();
  const r = await run(cmd, argv, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}




/** RSS and PSS (shared pages split among the processes that map them) of a process, in kB. */
function memKb(pid: number): { rss: number; pss: number } {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { rss: Number(/^Rss:\s+(\d+)/m.exec(t)?.[1] ?? 0), pss: Number(/^Pss:\s+(\d+)/m.exec(t)?.[1] ?? 0) };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

function pidsOf(pattern: string): number[] {
  const r = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number).filter((p) => p !== process.pid);
}

interface Mem { rss: number; pss: number; who: string }

/**
 * Total RSS and PSS (MB) of a set of processes, each the median of 5 samples 400 ms apart, and
 * which processes they were (count and RSS per name, from the last sample). RSS counts a shared
 * page once in every process mapping it (20 shims of one binary: 20 times); PSS splits it.
 */
async function memOf(pids: () => number[]): Promise<Mem> {
  const rss: number[] = [];
  const pss: number[] = [];
  let last: Array<{ name: string; rss: number }> = [];
  for (let i = 0; i < 5; i++) {
    const ps = pids().map((p) => ({ name: commOf(p), ...memKb(p) }));
    rss.push(ps.reduce((a, p) => a + p.rss, 0) / 1024);
    pss.push(ps.reduce((a, p) => a + p.pss, 0) / 1024);
    last = ps;
    await sleep(400);
  }
  const by = new Map<string, { n: number; kb: number }>();
  for (const p of last) {
    const e = by.get(p.name) ?? { n: 0, kb: 0 };
    by.set(p.name, { n: e.n + 1, kb: e.kb + p.rss });
  }
  return { rss: median(rss), pss: median(pss), who: [...by].map(([n, e]) => `${e.n} ${n} ${(e.kb / 1024).toFixed(1)}`).join(' + ') };
}

// --- subnets and bridges of the benchmark's own ---

function ipNum(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

function cidrRange(cidr: string): [number, number] {
  const [ip, bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const base = Math.floor(ipNum(ip!) / size) * size;
  return [base, base + size - 1];
}

/** A /24 in 10.A.0.0/16 that no route of the host (another engine's bridge, say) overlaps. */
function freeSubnet(a: number, taken: string[]): string {
  const routes = spawnSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout.split('\n')
    .map((l) => l.split(' ')).map((w) => (w[0] === 'local' || w[0] === 'broadcast' ? w[1] : w[0]) ?? '')
    .filter((d) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(d) && d !== '0.0.0.0/0')
    .concat(taken);
  for (let b = 0; b < 256; b++) {
    const cand = `10.${a}.${b}.0/24`;
    const [lo, hi] = cidrRange(cand);
    if (!routes.some((r) => {
      const [rlo, rhi] = cidrRange(r);
      return rlo <= hi && lo <= rhi;
    })) return cand;
  }
  throw new Error(`no free /24 in 10.${a}.0.0/16`);
}

const gatewayOf = (subnet: string): string => subnet.replace(/\.0\/24$/, '.1');

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

// --- clean-up, also on failure and signals ---

const cleanups: Array<{ what: string; fn: () => Promise<unknown> | unknown }> = [];
let cleaning: Promise<void> | undefined;
function onCleanup(what: string, fn: () => Promise<unknown> | unknown): void {
  cleanups.push({ what, fn });
}
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const c = cleanups.pop()!;
      try {
        await c.fn();
      } catch (err) {
        console.error(`clean-up: ${c.what}: ${(err as Error).message}`);
      }
    }
  })();
  return cleaning;
}
/** Set by a signal: no new step starts, the run unwinds and cleans up (forcibly after 30 s). */
let aborted: string | undefined;
function checkAbort(): void {
  if (aborted) throw new Error(`interrupted by ${aborted}`);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    aborted = sig;
    console.error(`\n${sig}: stopping after the step under way, then cleaning up...`);
    setTimeout(() => void cleanUp().finally(() => process.exit(130)), 30_000).unref();
  });
}

// --- tools ---

function aptInstall(pkg: string): boolean {
  console.log(`installing ${pkg} (Debian) for the benchmark...`);
  const cmd = `DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${pkg} >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${pkg} >/dev/null)`;
  return spawnSync('bash', ['-c', cmd], { stdio: 'inherit' }).status === 0;
}

function have(cmd: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// --- the floor: runc + CNI plugins, nothing else ---


/**
 * Until a process is a zombie or gone: its stdout closes a moment before the kernel marks it
 * exited, and `runc delete` in between finds it "running".
 */
async function gone(pid: number): Promise<void> {
  const end = Date.now() + 5000;
  for (let i = 0; Date.now() < end; i++) {
    let state: string;
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? 'X';
    } catch {
      return;
    }
    if (state === 'Z' || state === 'X') return;
    await new Promise((r) => (i < 1000 ? setImmediate(r) : setTimeout(r, 1)));
  }
  throw new Error(`process ${pid} did not exit`);
}

class Floor {
  private n = 0;
  readonly runcRoot: string;
  private readonly conf: string;

  constructor(private readonly dir: string, private readonly bundle: string, private readonly cniDir: string, subnet: string) {
    this.runcRoot = join(dir, 'runc');
    // The same plugin configuration minke gives a container on its default bridge.
    this.conf = JSON.stringify({
      cniVersion: '1.0.0', name: 'minke-bench-floor', type: 'bridge', bridge: FLOOR_BRIDGE, isGateway: true, ipMasq: false, hairpinMode: true,
      ipam: { type: 'host-local', dataDir: join(dir, 'ipam'), ranges: [[{ subnet, gateway: gatewayOf(subnet) }]], routes: [{ dst: '0.0.0.0/0' }] },
    });
  }

  private cni(command: 'ADD' | 'DEL', id: string, netns: string): Promise<string> {
    return ok(join(this.cniDir, 'bridge'), [], {
      input: this.conf,
      env: { CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: this.cniDir, PATH: process.env.PATH },
    });
  }

  /** `runc run` of the bundle: no network beyond its own empty namespace. */
  async plain(): Promise<void> {
    await ok('runc', ['--root', this.runcRoot, 'run', '-b', this.bundle, `plain-${this.n++}`]);
  }

  /**
   * runc create; CNI ADD into /proc/PID/ns/net (unless `cni` is false); runc start; the process's
   * exit (its stdout pipe closes); then CNI DEL and runc delete, side by side. Returns what the
   * process printed.
   */
  async steps(bundle: string, cni: boolean): Promise<string> {
    checkAbort();
    const id = `cni-${this.n++}`;
    const pidFile = join(this.dir, `${id}.pid`);
    // runc's stderr to a file: a pipe would stay open as long as the container's process.
    const errFile = join(this.dir, `${id}.err`);
    const errFd = openSync(errFile, 'w');
    const stdio: StdioOptions = ['ignore', 'pipe', errFd];
    const create: ChildProcess = spawn('runc', ['--root', this.runcRoot, 'create', '-b', bundle, '--pid-file', pidFile, id], { stdio });
    let out = '';
    create.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<void>((resolve) => create.once('close', () => resolve()));
    const created = await new Promise<number | null>((resolve, reject) => {
      create.once('exit', resolve);
      create.once('error', reject);
    });
    closeSync(errFd);
    if (created !== 0) throw new Error(`runc create ${id} failed: ${readFileSync(errFile, 'utf8').trim()}`);
    rmSync(errFile, { force: true });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (cni) await this.cni('ADD', id, `/proc/${pid}/ns/net`);
    await ok('runc', ['--root', this.runcRoot, 'start', id]);
    await exited;
    await gone(pid);
    await Promise.all([cni ? this.cni('DEL', id, '') : undefined, ok('runc', ['--root', this.runcRoot, 'delete', id])]);
    rmSync(pidFile, { force: true });
    return out;
  }

  /** A bundle of the same rootfs with another config.json (another command, or minke's whole spec). */
  bundleWith(name: string, edit: (spec: FloorSpec) => void, base?: FloorSpec): string {
    const bundle = join(this.dir, name);
    mkdirSync(bundle, { recursive: true });
    const spec = base ?? JSON.parse(readFileSync(join(this.bundle, 'config.json'), 'utf8')) as FloorSpec;
    spec.root.path = join(this.bundle, 'rootfs');
    edit(spec);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    return bundle;
  }

  get defaultBundle(): string {
    return this.bundle;
  }
}

interface FloorSpec {
  process: { args: string[]; terminal?: boolean };
  root: { path: string };
  mounts?: Array<{ destination: string }>;
  linux?: { cgroupsPath?: string; namespaces?: Array<{ type: string; path?: string }> };
}

// --- the Docker peer ---

interface DockerPeer {
  env: NodeJS.ProcessEnv;
  subnet: string;
  userSubnets: string[];
  pids: () => number[];
}

/** iptables-save lines of a table. */
function iptablesSave(table: string): string[] {
  return spawnSync('iptables-save', ['-t', table], { encoding: 'utf8' }).stdout.split('\n');
}

function dockerChains(): Array<{ table: string; chain: string }> {
  const out: Array<{ table: string; chain: string }> = [];
  for (const table of ['filter', 'nat']) {
    for (const l of iptablesSave(table)) {
      const m = /^:(DOCKER[^ ]*) /.exec(l);
      if (m) out.push({ table, chain: m[1]! });
    }
  }
  return out;
}

/** Removes the chains dockerd made (DOCKER, DOCKER-USER, DOCKER-ISOLATION-*) and every jump to them. */
function removeDockerChains(): void {
  for (const table of ['filter', 'nat']) {
    for (const l of iptablesSave(table)) {
      if (l.startsWith('-A ') && / -j DOCKER[^ ]*( |$)/.test(l) && !/^-A DOCKER/.test(l)) {
        spawnSync('bash', ['-c', `iptables -w 5 -t ${table} -D ${l.slice(3)}`]);
      }
    }
  }
  for (const { table, chain } of dockerChains()) spawnSync('iptables', ['-w', '5', '-t', table, '-F', chain]);
  for (const { table, chain } of dockerChains()) spawnSync('iptables', ['-w', '5', '-t', table, '-X', chain]);
}

async function startDocker(dir: string, taken: string[]): Promise<DockerPeer | undefined> {
  if (!have('dockerd') && !aptInstall('docker.io')) return undefined;
  for (const b of [DOCKER_BRIDGE, ...DOCKER_USER_BRIDGES]) {
    if (linkExists(b)) throw new Error(`a link named ${b} exists (another run of this benchmark, or one that was killed: \`ip link del ${b}\`)`);
  }
  const subnet = freeSubnet(212, taken);
  const userSubnets = [freeSubnet(213, taken), ''];
  userSubnets[1] = freeSubnet(213, [...taken, userSubnets[0]!]);
  taken.push(subnet, ...userSubnets);

  // iptables as dockerd leaves it: its chains stay after it stops, so they go here (unless another
  // dockerd had them before this run, then only the rules naming this run's bridges go).
  const hadDockerChains = dockerChains().length > 0;
  const forwardPolicy = /^-P FORWARD (\w+)/m.exec(spawnSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8' }).stdout)?.[1] ?? 'ACCEPT';
  const ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  onCleanup('docker iptables rules and bridges', () => {
    const bridges = [DOCKER_BRIDGE, ...DOCKER_USER_BRIDGES];
    removeNetworking(bridges);
    if (!hadDockerChains) removeDockerChains();
    else console.log('note: DOCKER iptables chains existed before this run (another dockerd?): only rules naming this run\'s bridges were removed');
    spawnSync('iptables', ['-w', '5', '-P', 'FORWARD', forwardPolicy]);
    if (readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() !== ipForward) writeFileSync('/proc/sys/net/ipv4/ip_forward', ipForward);
  });

  onCleanup(`bridge ${DOCKER_BRIDGE}`, () => linkExists(DOCKER_BRIDGE) && spawnSync('ip', ['link', 'del', DOCKER_BRIDGE]));
  await ok('ip', ['link', 'add', 'name', DOCKER_BRIDGE, 'type', 'bridge']);
  await ok('ip', ['addr', 'add', `${gatewayOf(subnet)}/24`, 'dev', DOCKER_BRIDGE]);
  await ok('ip', ['link', 'set', DOCKER_BRIDGE, 'up']);

  const sock = join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  const env = { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: join(dir, 'docker-config') };
  const child = spawn('dockerd', ['-H', host, '--data-root', join(dir, 'docker-data'), '--exec-root', join(dir, 'docker-exec'),
    '--pidfile', join(dir, 'docker.pid'), '-b', DOCKER_BRIDGE, '--containerd-namespace', 'minkebench',
    '--containerd-plugins-namespace', 'minkebench-plugins'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let logs = '';
  child.stderr!.on('data', (d: Buffer) => { logs = (logs + d.toString()).slice(-4000); });
  const ownPids = (): number[] => [child.pid!, ...pidsOf(`containerd.*${dir}`)];
  onCleanup('dockerd', async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const env2 = env;
      const ids = (await run('docker', ['ps', '-aq'], { env: env2, timeoutMs: 20_000 }).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean);
      if (ids.length) await run('docker', ['rm', '-f', ...ids], { env: env2, timeoutMs: 60_000 }).catch(() => {});
      for (const n of ['mkbench1', 'mkbench2']) await run('docker', ['network', 'rm', n], { env: env2, timeoutMs: 20_000 }).catch(() => {});
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(20_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // containerd and shims started for this daemon (found by our directory in their command line).
    for (let i = 0; i < 50 && pidsOf(`containerd.*${dir}`).length; i++) await sleep(100);
    for (const p of pidsOf(`containerd.*${dir}`)) process.kill(p, 'SIGKILL');
    for (const p of pidsOf(`docker-proxy.*-container-ip 10\\.21[23]\\.`)) process.kill(p, 'SIGKILL');
    spawnSync('bash', ['-c', `grep ' ${dir}' /proc/mounts | awk '{print $2}' | sort -r | xargs -r umount -l`]);
    for (const b of DOCKER_USER_BRIDGES) if (linkExists(b)) spawnSync('ip', ['link', 'del', b]);
  });
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`dockerd exited: ${logs}`);
    if ((await run('docker', ['version'], { env, timeoutMs: 10_000 })).code === 0) break;
    if (i === 299) throw new Error(`dockerd did not start: ${logs}`);
    await sleep(100);
  }
  await ok('docker', ['import', '--change', 'CMD ["sh"]', busyboxTar(), 'busybox:latest'], { env });
  return { env, subnet, userSubnets, pids: ownPids };
}

// --- published ports ---

function httpGet(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await httpGet(url)) === 200) return;
    await sleep(100);
  }
  throw new Error(`no answer from ${url}`);
}

interface HttpTarget { key: string; label: string; env: NodeJS.ProcessEnv; via: 'port' | 'address' }

/**
 * A fresh httpd container for one measurement, and the URL to load: its published port on
 * 127.0.0.1, or its own address. busybox httpd closes each connection first, so TIME_WAIT
 * sockets pile up (in the container's namespace, and docker-proxy's on the host) and, once the
 * client's ports come round again, refuse SYNs (PAWS) until they retry: a fresh container, with
 * an address and a host port no earlier measurement used, keeps every measurement's start equal.
 */
async function httpd(t: HttpTarget): Promise<{ id: string; url: string }> {
  const env = t.env;
  const id = (await ok('docker', ['run', '-d', '-p', '127.0.0.1::80', 'busybox', ...HTTPD], { env })).trim();
  const hostPort = (await ok('docker', ['port', id, '80/tcp'], { env })).split('\n')[0]!.trim();
  const ip = (await ok('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', id], { env })).trim();
  if (!/^127\.0\.0\.1:\d+$/.test(hostPort)) throw new Error(`${t.label}: unexpected published port "${hostPort}"`);
  if (!/^10\./.test(ip)) throw new Error(`${t.label}: unexpected container address "${ip}"`);
  const url = t.via === 'port' ? `http://${hostPort}/` : `http://${ip}:80/`;
  await waitHttp(url);
  return { id, url };
}

interface WrkResult { rps: number; p50: number; p99: number; requests: number; errors: number }

function toMs(v: string, unit: string): number {
  const x = Number(v);
  return unit === 'us' ? x / 1000 : unit === 's' ? x * 1000 : unit === 'm' ? x * 60_000 : x;
}

async function wrk(url: string): Promise<WrkResult> {
  const r = await ok('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--timeout', '2s', '--latency', url], { timeoutMs: (SECONDS + 20) * 1000 });
  const lat = (p: string): number => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(r);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(r)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r)?.[1] ?? 0);
  const errors = (sock ? sock.slice(1).reduce((a, x) => a + Number(x), 0) : 0) + non2xx;
  return { rps, p50: lat('50'), p99: lat('99'), requests, errors };
}

// --- main ---

async function main(): Promise<void> {
  const dir = mkdtempSync('/tmp/minke-netbench-');
  onCleanup('temp dir', () => rmSync(dir, { recursive: true, force: true }));
  const results: Record<string, number> = {};
  console.log(`# minke networking benchmark (${new Date().toISOString()}): ${RUNS} runs per start-up case; wrk ${ROUNDS} rounds x ${SECONDS} s, ${CONNECTIONS} connections\n`);

  if (!have('wrk') && !aptInstall('wrk')) throw new Error('wrk is needed (apt-get install wrk)');
  const cniDir = findPluginDir();
  if (linkExists(FLOOR_BRIDGE)) throw new Error(`a link named ${FLOOR_BRIDGE} exists (another run of this benchmark, or one that was killed: \`ip link del ${FLOOR_BRIDGE}\`)`);

  // Own subnets first, so that the engines' pools (which avoid host routes) keep off them.
  const taken: string[] = [];
  const floorSubnet = freeSubnet(214, taken);
  taken.push(floorSubnet);
  const floor = new Floor(dir, floorBundle(dir), cniDir, floorSubnet);
  onCleanup('floor', () => {
    for (const id of spawnSync('runc', ['--root', floor.runcRoot, 'list', '-q'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) {
      spawnSync('runc', ['--root', floor.runcRoot, 'delete', '-f', id]);
    }
    if (linkExists(FLOOR_BRIDGE)) spawnSync('ip', ['link', 'del', FLOOR_BRIDGE]);
  });

  const docker = withDocker ? await startDocker(dir, taken) : undefined;
  if (withDocker && !docker) console.log('docker: unavailable (docker.io could not be installed)');

  const engine = new TestEngine();
  onCleanup('minke engine', async () => {
    minkeBridges.push(...engine.bridges());
    await engine.destroy();
  });
  await engine.start();
  await engine.importBusybox();
  const menv = engine.env;

  // Idle memory of both engines before any container, for reference.
  const minkeEnginePid = pidsOf(`minke(\\.js)? daemon -H ${engine.host}`)[0]!;
  const minkePids = (): number[] => [minkeEnginePid, ...pidsOf(`conmon.*${engine.dir}`)];
  await sleep(1000);
  const minkeIdle = await memOf(minkePids);
  const dockerIdle = docker ? await memOf(docker.pids) : undefined;

  // Where each peer's `docker run busybox` lands: eth0 on its own bridge's subnet.
  const inet = (out: string): string => /inet \S+/.exec(out)?.[0] ?? `no IPv4 address on eth0: ${out.trim()}`;
  const showEth0 = ['ip', '-4', '-o', 'addr', 'show', 'eth0'];
  console.log('## where a container lands');
  console.log(`floor  eth0 ${inet(await floor.steps(floor.bundleWith('probe', (s) => { s.process.args = showEth0; }), true))}   (bridge ${FLOOR_BRIDGE}, ${floorSubnet})`);
  console.log(`minke  eth0 ${inet(await ok('docker', ['run', '--rm', 'busybox', ...showEth0], { env: menv }))}   (bridge ${engine.bridge}, ${engine.bip})`);
  if (docker) console.log(`docker eth0 ${inet(await ok('docker', ['run', '--rm', 'busybox', ...showEth0], { env: docker.env }))}   (bridge ${DOCKER_BRIDGE}, ${docker.subnet})`);

  // A floor with the config.json minke generates for a bridge container (Docker's seccomp
  // profile, capabilities, masked paths, a cgroup), so that the isolation's share shows too.
  const probe = (await ok('docker', ['run', '-d', 'busybox', 'sleep', '60'], { env: menv })).trim();
  const minkeSpec = JSON.parse(readFileSync(join(engine.execRoot, 'containers', probe, 'config.json'), 'utf8')) as FloorSpec;
  await ok('docker', ['rm', '-f', probe], { env: menv });
  let iso = 0;
  const isoBundle = floor.bundleWith('iso-bundle', (s) => {
    s.process.args = ['true'];
    s.process.terminal = false;
    s.mounts = (s.mounts ?? []).filter((m) => !m.destination.startsWith('/etc/'));
    // minke's container joined a namespace made ahead (gone with it): the floor makes its own.
    if (s.linux?.namespaces) s.linux.namespaces = s.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network' } : n));
  }, minkeSpec);
  const isoSpec = JSON.parse(readFileSync(join(isoBundle, 'config.json'), 'utf8')) as FloorSpec;
  onCleanup('floor cgroups', () => spawnSync('bash', ['-c', 'rmdir /sys/fs/cgroup/*/minke-netbench/iso-* /sys/fs/cgroup/*/minke-netbench /sys/fs/cgroup/minke-netbench/iso-* /sys/fs/cgroup/minke-netbench 2>/dev/null']));
  const isoRun = (): Promise<string> => {
    isoSpec.linux = { ...isoSpec.linux, cgroupsPath: `/minke-netbench/iso-${iso++}` };
    writeFileSync(join(isoBundle, 'config.json'), JSON.stringify(isoSpec));
    return floor.steps(isoBundle, true);
  };

  // 3. Memory: 20 running containers on two user networks, 10 each. Measured first, while both
  //    engines have done nothing else (a Go daemon keeps heap it grew for earlier work), then the
  //    containers and networks go again.
  console.log('\n## 3. engine memory, 20 running containers (sleep 3600) on two user networks, 10 each (measured first)');
  await ok('docker', ['network', 'create', 'mkbench1'], { env: menv });
  await ok('docker', ['network', 'create', 'mkbench2'], { env: menv });
  if (docker) {
    for (let i = 0; i < 2; i++) {
      await ok('docker', ['network', 'create', '--subnet', docker.userSubnets[i]!, '-o', `com.docker.network.bridge.name=${DOCKER_USER_BRIDGES[i]}`, `mkbench${i + 1}`], { env: docker.env });
    }
  }
  for (let i = 0; i < 20; i++) {
    const net = `mkbench${(i % 2) + 1}`;
    await ok('docker', ['run', '-d', '--network', net, 'busybox', 'sleep', '3600'], { env: menv });
    if (docker) await ok('docker', ['run', '-d', '--network', net, 'busybox', 'sleep', '3600'], { env: docker.env });
  }
  await sleep(2000);
  const minkeLoad = await memOf(minkePids);
  const dockerLoad = docker ? await memOf(docker.pids) : undefined;
  const memLine = (label: string, m: Mem): void => {
    console.log(`${label.padEnd(52)} RSS ${m.rss.toFixed(1).padStart(6)} MB  PSS ${m.pss.toFixed(1).padStart(6)} MB  (RSS by process, MB: ${m.who})`);
  };
  Object.assign(results, { minkeIdleRssMb: minkeIdle.rss, minkeIdlePssMb: minkeIdle.pss, minkeLoadRssMb: minkeLoad.rss, minkeLoadPssMb: minkeLoad.pss });
  memLine('minke: engine + conmons, idle', minkeIdle);
  memLine('minke: same, 20 running on 2 user networks', minkeLoad);
  if (dockerIdle && dockerLoad) {
    Object.assign(results, { dockerIdleRssMb: dockerIdle.rss, dockerIdlePssMb: dockerIdle.pss, dockerLoadRssMb: dockerLoad.rss, dockerLoadPssMb: dockerLoad.pss });
    memLine('docker: dockerd + containerd, idle', dockerIdle);
    memLine('docker: same + shims, 20 running on 2 user networks', dockerLoad);
  }
  for (const env of [menv, ...(docker ? [docker.env] : [])]) {
    await ok('docker', ['rm', '-f', ...(await ok('docker', ['ps', '-aq'], { env })).split('\n').filter(Boolean)], { env, timeoutMs: 120_000 });
    await ok('docker', ['network', 'rm', 'mkbench1', 'mkbench2'], { env });
  }

  // 1. Start-up on the default bridge.
  console.log('\n## 1. docker run --rm busybox true (interleaved)');
  const stub = await stubEngine(dir);
  const stubEnv = { ...process.env, DOCKER_HOST: stub.host };
  const cases: Case[] = [
    { key: 'floorPlain', label: 'floor: runc run (no network, own netns)', fn: () => floor.plain() },
    { key: 'floorSteps', label: 'floor: runc create + start + delete (no network)', fn: () => floor.steps(floor.defaultBundle, false) },
    { key: 'floor', label: 'floor: runc create + CNI bridge ADD + start + DEL + delete', fn: () => floor.steps(floor.defaultBundle, true) },
    { key: 'floorIso', label: 'floor, same with minke\'s config.json (seccomp etc.)', fn: isoRun },
    { key: 'cliAlone', label: 'docker CLI alone: the same run against a no-op engine', fn: () => ok('docker', ['run', '--rm', 'busybox', 'true'], { env: stubEnv }) },
    { key: 'minkeNone', label: 'minke: docker run --rm --network none busybox true', fn: () => ok('docker', ['run', '--rm', '--network', 'none', 'busybox', 'true'], { env: menv }) },
    { key: 'minke', label: 'minke: docker run --rm busybox true (default bridge)', fn: () => ok('docker', ['run', '--rm', 'busybox', 'true'], { env: menv }) },
  ];
  if (docker) {
    cases.push(
      { key: 'dockerNone', label: 'docker: docker run --rm --network none busybox true', fn: () => ok('docker', ['run', '--rm', '--network', 'none', 'busybox', 'true'], { env: docker.env }) },
      { key: 'docker', label: `docker: docker run --rm busybox true (bridge ${DOCKER_BRIDGE})`, fn: () => ok('docker', ['run', '--rm', 'busybox', 'true'], { env: docker.env }) },
    );
  }
  try {
    Object.assign(results, await interleaved(cases, RUNS));
  } finally {
    stub.stop();
  }

  // 2. Requests through a published port.
  console.log(`\n## 2. HTTP through a published port: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, busybox httpd (a connection per request), ${ROUNDS} rounds interleaved`);
  const targets: HttpTarget[] = [
    { key: 'minkePort', label: 'minke: published port (127.0.0.1:P)', env: menv, via: 'port' },
    { key: 'minkeDirect', label: 'minke: container address [floor]', env: menv, via: 'address' },
  ];
  if (docker) {
    targets.push(
      { key: 'dockerPort', label: 'docker: published port (127.0.0.1:P)', env: docker.env, via: 'port' },
      { key: 'dockerDirect', label: 'docker: container address [floor]', env: docker.env, via: 'address' },
    );
  }
  const byTarget: Record<string, WrkResult[]> = Object.fromEntries(targets.map((t) => [t.key, []]));
  const urls: Record<string, string[]> = Object.fromEntries(targets.map((t) => [t.key, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let j = 0; j < targets.length; j++) {
      const t = targets[(r + j) % targets.length]!;
      const c = await httpd(t);
      await sleep(300);
      byTarget[t.key]!.push(await wrk(c.url));
      urls[t.key]!.push(c.url);
    }
  }
  // Removed only now, so that no later measurement gets an address or a host port again.
  for (const env of [menv, ...(docker ? [docker.env] : [])]) {
    await ok('docker', ['rm', '-f', ...(await ok('docker', ['ps', '-q'], { env })).split('\n').filter(Boolean)], { env });
  }
  for (const t of targets) {
    const rs = byTarget[t.key]!;
    const rps = median(rs.map((x) => x.rps));
    const p50 = median(rs.map((x) => x.p50));
    const p99 = median(rs.map((x) => x.p99));
    const errors = rs.reduce((a, x) => a + x.errors, 0);
    Object.assign(results, { [`${t.key}Rps`]: rps, [`${t.key}P50`]: p50, [`${t.key}P99`]: p99, [`${t.key}Errors`]: errors });
    console.log(`${t.label.padEnd(40)} ${rps.toFixed(0).padStart(6)} req/s  p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms  (rounds: ${rs.map((x) => x.rps.toFixed(0)).join(', ')} req/s; errors ${errors}; e.g. ${urls[t.key]![0]})`);
  }

  // What each engine holds once the run's containers are gone (reference: growth kept from the run).
  console.log('\n## the engines after the run, their containers gone');
  const minkeAfter = await memOf(minkePids);
  memLine('minke: engine + conmons', minkeAfter);
  Object.assign(results, { minkeAfterRssMb: minkeAfter.rss });
  if (docker) {
    const dockerAfter = await memOf(docker.pids);
    memLine('docker: dockerd + containerd', dockerAfter);
    Object.assign(results, { dockerAfterRssMb: dockerAfter.rss });
  }

  console.log('\n## ratios (within this run)');
  const f = (x: number): string => `${x.toFixed(2)}x`;
  console.log(`minke docker-run (bridge) / floor (runc + CNI)     ${f(results.minke! / results.floor!)} (target <= 1.5x)`);
  console.log(`minke docker-run (bridge) / floor with isolation  ${f(results.minke! / results.floorIso!)}`);
  const bound = results.cliAlone! + results.floorIso!;
  console.log(`least possible: CLI alone + floor with isolation = ${bound.toFixed(1)} ms = ${f(bound / results.floor!)} the floor; minke spends ${(results.minke! - bound).toFixed(1)} ms above it`);
  console.log(`network share: minke bridge - none = ${(results.minke! - results.minkeNone!).toFixed(1)} ms; floor with - without CNI = ${(results.floor! - results.floorSteps!).toFixed(1)} ms${docker ? `; docker bridge - none = ${(results.docker! - results.dockerNone!).toFixed(1)} ms` : ''}`);
  if (docker) {
    console.log(`minke / docker, docker run (bridge)                ${f(results.minke! / results.docker!)}`);
    console.log(`minke / docker, published port req/s              ${f(results.minkePortRps! / results.dockerPortRps!)} (target >= 1.0x)`);
    console.log(`minke / docker, published port p50, p99 latency   ${f(results.minkePortP50! / results.dockerPortP50!)}, ${f(results.minkePortP99! / results.dockerPortP99!)}`);
    console.log(`minke / docker, memory with 20 running, RSS       ${f(results.minkeLoadRssMb! / results.dockerLoadRssMb!)} (target <= 0.5x)`);
    console.log(`minke / docker, memory with 20 running, PSS       ${f(results.minkeLoadPssMb! / results.dockerLoadPssMb!)}`);
  }
  console.log(`minke published port / container address, req/s  ${f(results.minkePortRps! / results.minkeDirectRps!)}`);
  if (docker) console.log(`docker published port / container address, req/s ${f(results.dockerPortRps! / results.dockerDirectRps!)}`);
  writeFileSync(join(process.cwd(), 'bench', 'last-network-run.json'), JSON.stringify(results, null, 2));
}

/** Bridges of the minke engine's networks (known when it is destroyed). */
const minkeBridges: string[] = [];

/** After clean-up: anything of this run's still on the host. */
function leftovers(): string[] {
  const out: string[] = [];
  const bridges = [FLOOR_BRIDGE, DOCKER_BRIDGE, ...DOCKER_USER_BRIDGES, ...minkeBridges];
  for (const b of bridges) if (linkExists(b)) out.push(`bridge ${b}`);
  for (const r of spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout.split('\n')) {
    if (r.startsWith('-A ') && bridges.some((b) => new RegExp(` ${b}( |$)`).test(r))) out.push(`iptables ${r}`);
  }
  if (pidsOf('minke-netbench-').length) out.push(`processes ${pidsOf('minke-netbench-').join(' ')}`);
  return out;
}

try {
  await main();
} catch (err) {
  console.error(aborted ? `benchmark interrupted (${aborted})` : `benchmark failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = aborted ? 130 : 1;
} finally {
  await cleanUp();
  const left = leftovers();
  console.log(left.length ? `\nclean-up: LEFT OVER: ${left.join('; ')}` : '\nclean-up: nothing of this run is left (bridges, rules, processes, temp dirs)');
}
