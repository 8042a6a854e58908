/**
 * A minke API server of its own for a test (a temp data dir, a free loopback port, its own
 * kubeconfig), the real kubectl against it, and raw HTTPS requests with the admin certificate.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type RunningApiServer } from '../src/cluster/apiserver/server.js';

export interface TestApiServer {
  readonly dir: string;
  readonly dataDir: string;
  readonly kubeconfig: string;
  readonly server: RunningApiServer;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<Run>;
  request(method: string, path: string, opts?: { body?: string | Buffer; headers?: Record<string, string>; cert?: boolean }): Promise<Reply>;
  close(): Promise<void>;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export async function startTestApiServer(opts: { datastoreEndpoint?: string; tokenAuthFile?: string } = {}): Promise<TestApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'minke-apiserver-'));
  const dataDir = join(dir, 'data');
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const server = await startApiServer({
    bindAddress: '127.0.0.1', securePort: 0, dataDir, writeKubeconfig: kubeconfig, datastoreEndpoint: opts.datastoreEndpoint, bookmarkIntervalMs: 200,
    tokenAuthFile: opts.tokenAuthFile,
  });
  const tls = (f: string): Buffer => readFileSync(join(dataDir, 'tls', f));
  return {
    dir, dataDir, kubeconfig, server,
    kubectl: (args, o = {}) => runKubectl(kubeconfig, args, o),
    request: (method, path, o = {}) => new Promise<Reply>((resolve, reject) => {
      const req = httpsRequest(`${server.url}${path}`, {
        method, headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...o.headers },
        ca: tls('ca.crt'), ...(o.cert === false ? {} : { cert: tls('admin.crt'), key: tls('admin.key') }),
        signal: AbortSignal.timeout(30_000),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(o.body);
    }),
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** kubectl with this KUBECONFIG; killed after timeoutMs (default 60 s). */
export function runKubectl(kubeconfig: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input);
  });
}

/** Polls until check returns a value (not undefined), or fails after deadlineMs. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, deadlineMs = 30_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
