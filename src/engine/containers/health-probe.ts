import { readFileSync, readdirSync } from 'node:fs';
import { newId } from '../../core/ids.js';
import { containerEnv } from '../runtime/spec.js';
import { goDuration } from '../../core/units.js';
import { MAX_OUTPUT_BYTES, type HealthSettings, type ProbeOutcome } from './health.js';
import type { ContainerRecord } from './model.js';
import type { RuntimePort } from './ports.js';

export interface ProbeRequest {
  runtime: RuntimePort;
  rec: ContainerRecord;
  bundleDir: string;
  settings: HealthSettings;
  signal: AbortSignal;
  /** Publishes the exec_create / exec_start / exec_die events docker emits for each probe. */
  emit: (action: string, attributes: Record<string, string>) => void;
}

/**
 * Runs one health probe in the container as docker's cmdProbe does: an exec (not listed among
 * the container's ExecIDs) as the container's user, in its working directory, with its
 * environment; stdout and stderr together, kept up to 4096 bytes. A probe that outlives the
 * timeout is killed and reported with exit code -1.
 */
export async function runProbe(o: ProbeRequest): Promise<ProbeOutcome> {
  const { rec, settings: s } = o;
  const execId = newId();
  const line = s.argv.join(' ');
  o.emit(`exec_create: ${line}`, { execID: execId });
  const proc = await o.runtime.exec(rec.Id, o.bundleDir, {
    args: s.argv,
    env: containerEnv(rec.Config.Env ?? [], rec.Config.Hostname ?? '', false),
    cwd: rec.Config.WorkingDir || '/',
    user: rec.Config.User || '',
    groupAdd: rec.HostConfig.GroupAdd ?? [],
    tty: false,
    stdin: false,
    privileged: false,
  });
  o.emit(`exec_start: ${line}`, { execID: execId });
  const out = new LimitedOutput();
  proc.output.on('data', (d: Buffer) => out.write(d));
  proc.output.on('error', () => {});

  let timedOut = false;
  const kill = (): void => killTree(proc.pid);
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, s.timeoutMs);
  o.signal.addEventListener('abort', kill, { once: true });
  let code: number;
  try {
    code = await proc.exit.catch(() => 126);
  } finally {
    clearTimeout(timer);
    o.signal.removeEventListener('abort', kill);
  }
  o.emit('exec_die', { execID: execId, exitCode: String(code) });
  if (timedOut) {
    const text = out.text();
    const msg = `Health check exceeded timeout (${goDuration(s.timeoutNs)})`;
    return { exitCode: -1, output: text ? `${msg}: ${text}` : msg };
  }
  return { exitCode: code, output: out.text() };
}

/** Docker's multiplexed frames to one byte buffer, keeping the first 4096 payload bytes. */
class LimitedOutput {
  private pending: Buffer = Buffer.alloc(0);
  private readonly kept: Buffer[] = [];
  private size = 0;
  private truncated = false;

  write(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const len = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + len) break;
      this.keep(this.pending.subarray(8, 8 + len));
      this.pending = this.pending.subarray(8 + len);
    }
  }

  private keep(data: Buffer): void {
    const room = MAX_OUTPUT_BYTES - this.size;
    if (room > 0) {
      const part = data.subarray(0, room);
      this.kept.push(Buffer.from(part));
      this.size += part.length;
    }
    if (data.length > room) this.truncated = true;
  }

  text(): string {
    const s = Buffer.concat(this.kept).toString('utf8');
    return this.truncated ? `${s}...` : s;
  }
}

/** SIGKILLs a process and its descendants (a shell probe's children would keep its output open). */
function killTree(pid: number): void {
  if (pid <= 0) return;
  const all: number[] = [];
  const walk = (p: number): void => {
    all.push(p);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ').filter(Boolean)) walk(Number(c));
    }
  };
  walk(pid);
  for (const p of all) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
