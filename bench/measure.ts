// Shared by the benchmarks: medians, cases measured in rotation within one run, and the no-op
// engine that times the docker CLI alone.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs a command with its output discarded; rejects with the end of its stderr when it fails. */
export function runQuiet(cmd: string, argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-3000); });
    const timer = setTimeout(() => p.kill('SIGKILL'), 300_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}: ${err.trim()}`));
    });
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Milliseconds an async step takes. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export interface Case { key: string; label: string; fn: () => Promise<unknown> }

/**
 * Every case once as a warm-up, then `runs` rounds of all cases, the order rotated each round so
 * that no case always follows the same one; medians per case.
 */
export async function interleaved(cases: Case[], runs: number): Promise<Record<string, number>> {
  const xs: Record<string, number[]> = {};
  for (const c of cases) {
    await c.fn();
    xs[c.key] = [];
  }
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < cases.length; j++) {
      const c = cases[(i + j) % cases.length]!;
      xs[c.key]!.push(await timed(c.fn));
    }
  }
  const out: Record<string, number> = {};
  for (const c of cases) {
    const v = xs[c.key]!;
    out[c.key] = median(v);
    console.log(`${c.label.padEnd(62)} median ${out[c.key]!.toFixed(1).padStart(7)} ms  (min ${Math.min(...v).toFixed(1)}, max ${Math.max(...v).toFixed(1)}, n=${runs})`);
  }
  return out;
}

/** Starts bench/stub-engine.js on a socket in dir; resolves once it listens. */
export async function stubEngine(dir: string): Promise<{ host: string; stop: () => void }> {
  const sock = join(dir, 'stub.sock');
  const child = spawn(process.execPath, [fileURLToPath(new URL('stub-engine.js', import.meta.url)), sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`stub engine exited (${code})`)));
  });
  return { host: `unix://${sock}`, stop: () => child.kill('SIGTERM') };
}

