// Shared by the benchmarks: medians, cases measured in rotation within one run, and the no-op
// engine that times the docker CLI alone.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** A measured step; `reset` (not timed) runs before each time it is measured. */
export interface Case { key: string; label: string; fn: () => Promise<unknown>; reset?: () => Promise<unknown> }

/**
 * Every case once as a warm-up, then `runs` rounds of all cases, the order rotated each round so
 * that no case always follows the same one; medians per case.
 */
export async function interleaved(cases: Case[], runs: number): Promise<Record<string, number>> {
  const xs: Record<string, number[]> = {};
  for (const c of cases) {
    await c.reset?.();
    await c.fn();
    xs[c.key] = [];
  }
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < cases.length; j++) {
      const c = cases[(i + j) % cases.length]!;
      await c.reset?.();
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


/** RSS in kB of a process (0 once it is gone). */
export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used so far, in ms (0 once it is gone). */
export function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** Runs a command quietly (its stderr kept for the error), failing on a non-zero exit or after 10 minutes. */
export function runCommand(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
    const timer = setTimeout(() => p.kill('SIGKILL'), 600_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}: ${err.trim()}`));
    });
  });
}
