// Test support for the durability check: runs durability-child against an endpoint and collects
// the writes it acknowledged, calling kill() once enough were.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./durability-child.js', import.meta.url));

export interface WriterRun {
  /** Every create the child acknowledged (printed) before it died, key → revision. */
  readonly acked: Map<string, number>;
}

/**
 * Starts the writer, calls kill(child) once minAcks writes were acknowledged, and resolves when
 * the child has exited and its output is read to the end (acks already in the pipe count too).
 */
export async function runWriterUntilKilled(
  endpoint: string, prefix: string, minAcks: number, kill: (pid: number) => void, deadlineMs = 60_000,
): Promise<WriterRun> {
  const child = spawn(process.execPath, [CHILD, endpoint, prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked = new Map<string, number>();
  let stderr = '';
  let buffered = '';
  let killed = false;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [word, key, revision] = line.split(' ');
      if (word === 'ack' && key !== undefined) acked.set(key, Number(revision));
    }
    if (!killed && acked.size >= minAcks && child.pid !== undefined) {
      killed = true;
      kill(child.pid);
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', () => resolve());
    });
  } finally {
    clearTimeout(timer);
  }
  if (!killed) throw new Error(`durability writer exited after ${acked.size} acks: ${stderr}`);
  return { acked };
}
