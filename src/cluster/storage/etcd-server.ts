// Test support: a one-member etcd on loopback with its own data dir and ports, as the etcd
// backend's tests and benchmark need it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** The etcd binary on PATH, or undefined (the tests then skip, saying so). */
export function findEtcd(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : undefined;
}

/** A free loopback TCP port (closed again before it is returned). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class EtcdServer {
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(private readonly binary: string, readonly dataDir: string, private readonly clientPort: number, private readonly peerPort: number) {}

  static async start(binary: string, dataDir: string): Promise<EtcdServer> {
    const server = new EtcdServer(binary, dataDir, await freePort(), await freePort());
    await server.run();
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  /** Starts etcd (again, on the same data dir and ports) and waits until it answers /health. */
  async run(deadlineMs = 30_000): Promise<void> {
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn(this.binary, [
      '--name', 'minke-test', '--data-dir', this.dataDir,
      '--listen-client-urls', this.endpoint, '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `minke-test=${peer}`, '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { this.log = (this.log + chunk).slice(-4000); });
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`etcd exited (${child.exitCode}): ${this.log}`);
      try {
        const res = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) });
        if (res.ok && (await res.json() as { health?: string }).health === 'true') return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`etcd not healthy within ${deadlineMs} ms: ${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops etcd with the signal (SIGKILL for the durability check) and waits for its exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
