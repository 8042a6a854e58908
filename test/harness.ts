import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { projectRoot } from '../src/core/native.js';

/** The busybox rootfs tar the project script makes (scripts/make-busybox-rootfs.sh). */
export function busyboxTar(): string {
  const tar = join(projectRoot, 'build', 'busybox-rootfs.tar');
  if (!existsSync(tar)) {
    const r = spawnSync('bash', [join(projectRoot, 'scripts', 'make-busybox-rootfs.sh'), tar], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('make-busybox-rootfs.sh failed');
  }
  return tar;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The JS entry (run by node): the engine and the client's modules. */
export const minkeBin = join(projectRoot, 'bin', 'minke.js');
/** What users run: the client from its start-up snapshot when there is one (see bin/minke). */
export const minkeCmd = join(projectRoot, 'bin', 'minke');

/** An engine of its own (socket, data and exec roots in a temp dir) for one test file. */
export class TestEngine {
  private child: ChildProcess | undefined;
  readonly dir: string;
  readonly socket: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  /** This engine's default bridge, its address, and the pool its networks come from (never minke0's). */
  readonly bridge: string;
  readonly bip: string;
  readonly pool: string;
  logs = '';
  /** More daemon flags (listeners, TLS, a config file of the test's own). */
  readonly extraArgs: string[];

  constructor(opts: { args?: string[] } = {}) {
    this.extraArgs = opts.args ?? [];
    this.dir = mkdtempSync('/tmp/minke-test-');
    this.socket = join(this.dir, 'minke.sock');
    this.dataRoot = join(this.dir, 'data');
    this.execRoot = join(this.dir, 'exec');
    const r = randomBytes(4);
    this.bridge = `mkt${r.toString('hex').slice(0, 6)}`;
    this.bip = `10.${150 + (r[0]! % 50)}.${r[1]}.1/24`;
    this.pool = `base=10.${200 + (r[2]! % 50)}.0.0/16,size=24`;
    // For scripts/reap-engines (an engine whose test process died is cleaned up by the next run).
    writeFileSync(join(this.dir, 'owner.json'), JSON.stringify({ pid: process.pid, bridge: this.bridge }));
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: this.host, MINKE_HOST: this.host, DOCKER_CONFIG: join(this.dir, 'docker-config') };
  }

  async start(): Promise<void> {
    const args = ['daemon', '-H', this.host, '--data-root', this.dataRoot, '--exec-root', this.execRoot, '--bridge', this.bridge, '--bip', this.bip, '--default-address-pool', this.pool, ...this.extraArgs];
    // The host's /etc/minke/daemon.json is not the test's: an empty one unless the test brings its own.
    if (!this.extraArgs.includes('--config-file')) {
      const file = join(this.dir, 'daemon.json');
      if (!existsSync(file)) writeFileSync(file, '{}');
      args.push('--config-file', file);
    }
    const child = spawn(process.execPath, [minkeBin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => { this.logs += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { this.logs += d.toString(); });
    const end = Date.now() + 20_000 * SLOWDOWN;
    while (Date.now() < end) {
      if (child.exitCode !== null) throw new Error(`engine exited: ${this.logs}`);
      if (existsSync(this.socket)) {
        const r = await this.docker(['version', '--format', '{{.Server.APIVersion}}']);
        if (r.code === 0) return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`engine did not start in ${20 * SLOWDOWN} s: ${this.logs}`);
  }

  /** Whether the engine process runs (a test may have stopped it and failed before starting it again). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null;
  }

  /**
   * What a test leaves must not fail the next: the engine runs again and has no container.
   * For afterEach hooks of files that share one engine between tests.
   */
  async reset(keep: string[] = []): Promise<void> {
    await this.ensureRunning();
    const rows = (await this.docker(['ps', '-a', '--format', '{{.ID}} {{.Names}}'])).stdout.split('\n').filter(Boolean);
    const ids = rows.map((r) => r.split(' ')).filter(([, name]) => !keep.includes(name!)).map(([id]) => id!);
    if (ids.length > 0) await this.docker(['rm', '-f', ...ids], { timeout: 60_000 });
  }

  /** Sends the engine process a signal (SIGHUP: reload its configuration). */
  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  /** Starts the engine again if a test stopped it and failed before starting it. */
  async ensureRunning(): Promise<void> {
    if (!this.running) await this.start();
  }

  /** Whether the conmon of a container still runs: once it is gone, the exit file is written. */
  monitorAlive(id: string): boolean {
    const pg = spawnSync('pgrep', ['-f', `conmon .*-c ${id} `], { encoding: 'utf8' });
    return pg.stdout.trim() !== '';
  }

  /** Stops the engine process only (containers keep running), as a crash would with kill = 'SIGKILL'. */
  async stopEngine(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
    this.child = undefined;
  }

  /** Starts the engine again on the same socket and roots (after stopEngine), as a host reboot of the daemon would. */
  async restart(): Promise<void> {
    await this.stopEngine();
    await this.start();
  }

  /** The runtime's runc state directory (EXECROOT/runtime/runc). */
  get runcRoot(): string {
    return join(this.execRoot, 'runtime', 'runc');
  }

  /**
   * What this engine left on the host: mounts under its dir, conmon processes naming its dir,
   * runc containers, active (container) snapshots. Empty lists when it cleaned up after itself.
   */
  leftovers(): { mounts: string[]; conmon: string[]; runc: string[]; snapshots: string[] } {
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(this.dir));
    const pg = spawnSync('pgrep', ['-a', '-f', `conmon.*${this.dir}`], { encoding: 'utf8' });
    const conmon = pg.stdout.split('\n').filter(Boolean);
    const runc = existsSync(this.runcRoot)
      ? spawnSync('runc', ['--root', this.runcRoot, 'list', '-q'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)
      : [];
    let snapshots: string[] = [];
    const meta = join(this.dataRoot, 'snapshots', 'metadata.json');
    if (existsSync(meta)) {
      const m = JSON.parse(readFileSync(meta, 'utf8')) as { snapshots: Record<string, { kind: string }> };
      snapshots = Object.entries(m.snapshots).filter(([, r]) => r.kind === 'active').map(([k]) => k);
    }
    return { mounts, conmon, runc, snapshots };
  }

  /**
   * What this engine left of networking: network namespaces under its exec root, veths on its
   * bridges, addresses leased by host-local IPAM (empty lists when every container released its own).
   */
  networkLeftovers(): { netns: string[]; veths: string[]; leases: string[] } {
    const netnsDir = join(this.execRoot, 'netns');
    const netns = existsSync(netnsDir) ? readdirSync(netnsDir) : [];
    const veths = this.bridges().flatMap((b) => spawnSync('ip', ['-o', 'link', 'show', 'master', b], { encoding: 'utf8' }).stdout
      .split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim()));
    const ipam = join(this.execRoot, 'networks', 'ipam');
    const leases = existsSync(ipam)
      ? readdirSync(ipam).flatMap((n) => readdirSync(join(ipam, n)).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip')).map((f) => `${n}/${f}`))
      : [];
    return { netns, veths, leases };
  }

  /** Runs a command (the real docker CLI by default) against this engine. */
  run(cmd: string, args: string[], opts: { input?: string | Buffer; timeout?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const p = spawn(cmd, args, { env: { ...this.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`${cmd} ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, opts.timeout ?? 60_000);
      p.on('error', reject);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      p.stdin.end(opts.input);
    });
  }

  docker(args: string[], opts: { input?: string | Buffer; timeout?: number } = {}): Promise<RunResult> {
    return this.run('docker', args, opts);
  }

  minke(args: string[], opts: { input?: string | Buffer; timeout?: number } = {}): Promise<RunResult> {
    return this.run(minkeCmd, args, opts);
  }

  /** docker, failing the test with its output when the exit code is not 0. */
  async ok(args: string[], opts: { input?: string | Buffer; timeout?: number } = {}): Promise<string> {
    const r = await this.docker(args, opts);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  async importBusybox(tag = 'busybox:latest'): Promise<void> {
    await this.ok(['import', '--change', 'CMD ["sh"]', busyboxTar(), tag]);
  }

  /** Removes every container, stops the engine, and checks nothing is left mounted. */
  async destroy(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      const ids = await this.docker(['ps', '-aq']).catch(() => ({ stdout: '' }));
      for (const id of ids.stdout.split('\n').filter(Boolean)) await this.docker(['rm', '-f', id]).catch(() => {});
      await this.stopEngine();
    }
    cleanUpEngineDir(this.dir, this.execRoot, this.bridges());
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Linux bridges of this engine's networks (from its data root). */
  bridges(): string[] {
    return engineBridges(this.dataRoot, this.bridge);
  }
}

/**
 * How much longer than on an idle machine a wait may take: the suite runs two files at once, and
 * CI machines may be busy with more. Deadlines only bound failures, so they are generous.
 */
export const SLOWDOWN = Number(process.env.MINKE_TEST_SLOWDOWN ?? 3);

/** Polls cond until it holds, failing after ms (times SLOWDOWN) with what it waited for. */
export async function waitFor(cond: () => Promise<boolean> | boolean, what = 'condition', ms = 10_000): Promise<void> {
  const end = Date.now() + ms * SLOWDOWN;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Runs a command under script(1) so it has a real pseudo-terminal; feeds input with pauses. */
/**
 * Runs `command` under a pseudo-terminal (script(1)), typing each input in turn: `delayMs` after
 * the previous one, and, with `waitFor`, only once the output since the previous input holds it
 * (a shell's prompt: under load a fixed delay may type before the prompt, and the echo moves).
 */
export function underPty(env: NodeJS.ProcessEnv, command: string, inputs: Array<[delayMs: number, data: string, waitFor?: string]>, timeoutMs = 20000 * SLOWDOWN): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`timed out under pty: ${command}\n${out}`));
    }, timeoutMs);
    const queue = [...inputs];
    let sentAt = 0;
    const next = (): void => {
      const item = queue.shift();
      if (!item) return;
      const [delay, data, waitFor] = item;
      const send = (): void => {
        setTimeout(() => {
          sentAt = out.length;
          if (p.stdin.writable) p.stdin.write(data);
          next();
        }, delay);
      };
      if (waitFor === undefined) return send();
      const check = (): void => {
        if (!out.slice(sentAt).includes(waitFor)) return;
        p.stdout.off('data', check);
        p.stderr.off('data', check);
        send();
      };
      p.stdout.on('data', check);
      p.stderr.on('data', check);
      check();
    };
    next();
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

/** An engine's default bridge and its networks' bridges (from its data root). */
export function engineBridges(dataRoot: string, bridge: string): string[] {
  const file = join(dataRoot, 'networks', 'networks.json');
  if (!existsSync(file)) return [bridge];
  const list = JSON.parse(readFileSync(file, 'utf8')) as Array<{ bridge?: string }>;
  return [...new Set([bridge, ...list.map((n) => n.bridge).filter((b): b is string => !!b)])];
}

/**
 * What an engine of a test dir can leave once its process is gone: runc containers, conmon
 * processes, mounts under the dir, bridges and their iptables rules (the dir itself stays).
 */
export function cleanUpEngineDir(dir: string, execRoot: string, bridges: readonly string[]): void {
  for (const runcRoot of [join(execRoot, 'runc'), join(execRoot, 'runtime', 'runc')]) {
    if (!existsSync(runcRoot)) continue;
    const list = spawnSync('runc', ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8' });
    for (const id of (list.stdout ?? '').split('\n').filter(Boolean)) spawnSync('runc', ['--root', runcRoot, 'delete', '-f', id]);
  }
  spawnSync('pkill', ['-9', '-f', `conmon.*${dir}`]);
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(dir));
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
  removeNetworking(bridges);
}

/** iptables rules (iptables-save lines) that mention one of the interfaces. */
export function rulesMentioning(ifaces: readonly string[], family: 4 | 6 = 4): Array<{ table: string; rule: string }> {
  const out: Array<{ table: string; rule: string }> = [];
  let table = '';
  for (const line of (spawnSync(family === 6 ? 'ip6tables-save' : 'iptables-save', [], { encoding: 'utf8' }).stdout ?? '').split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith('-A ') && ifaces.some((i) => new RegExp(`[-][io] ${i}( |$)`).test(line))) out.push({ table, rule: line });
  }
  return out;
}

/** Deletes bridges and the engine's iptables rules for them (what an engine's networks leave when a test ends). */
export function removeNetworking(bridges: readonly string[]): void {
  for (const family of [4, 6] as const) {
    for (const { table, rule } of rulesMentioning(bridges, family)) {
      spawnSync(family === 6 ? 'ip6tables' : 'iptables', ['-w', '5', '-t', table, '-D', ...rule.slice(3).split(' ')]);
    }
  }
  for (const b of bridges) if (existsSync(`/sys/class/net/${b}`)) spawnSync('ip', ['link', 'del', b]);
}

/** GET over HTTP from the host (Node's client: no wget or curl needed), bounded in time. */
export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // Lenient parsing: CGI scripts under busybox httpd end header lines with LF only.
    const req = request(url, { timeout: timeoutMs, insecureHTTPParser: true }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The state letter of a process (R, S, Z...), or 'gone'. */
export function processState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[0]!;
  } catch {
    return 'gone';
  }
}

/** Whether a process runs: a zombie has ended, only its parent has not reaped it yet. */
export function processAlive(pid: number): boolean {
  const st = processState(pid);
  return st !== 'gone' && st !== 'Z';
}
