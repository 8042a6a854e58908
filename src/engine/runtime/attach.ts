/**
 * Attaching to conmon's attach socket (SOCK_SEQPACKET, which Node cannot open) through the
 * build/minke-attach bridge: its stdout carries docker's multiplexed frames, its stdin feeds the
 * container's stdin.
 */
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { attachBridgePath } from '../../core/native.js';
import { SystemError } from '../../core/errors.js';

export interface Attachment {
  /** Null when attached without stdin. */
  stdin: Writable | null;
  /** Docker multiplexed frames (stream 1 stdout, 2 stderr). */
  output: Readable;
  /** Resolves once the bridge is connected: output produced from then on is not lost. */
  ready: Promise<void>;
  /** Resolves when the bridge ended (conmon closed the socket, or close()). */
  done: Promise<void>;
  pid: number;
  close(): void;
}

/** Connects to BUNDLE/attach (or the given socket path). */
export function attachSocket(socketPath: string, opts: { stdin: boolean }): Attachment {
  const child = spawn(attachBridgePath, opts.stdin ? [socketPath] : ['-n', socketPath], {
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let exited = false;
  let errText = '';
  let connected: () => void = () => {};
  const isConnected = new Promise<void>((resolve) => { connected = resolve; });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    // The bridge writes "+\n" once connected; anything else is an error message.
    if (d.startsWith('+\n')) {
      connected();
      d = d.slice(2);
    }
    errText += d;
  });
  child.stdin?.on('error', () => {});
  const done = new Promise<void>((resolve) => {
    child.on('close', () => { exited = true; resolve(); });
    child.on('error', () => { exited = true; resolve(); });
  });
  const ready = (async () => {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    await Promise.race([isConnected, done]);
    if (exited && errText) throw new SystemError(`attach failed: ${errText.trim()}`);
  })();
  ready.catch(() => {});
  return {
    stdin: child.stdin ?? null,
    output: child.stdout!,
    ready,
    done,
    pid: child.pid ?? 0,
    close: () => {
      if (!exited) child.kill('SIGTERM');
    },
  };
}

export function attachBundle(bundleDir: string, opts: { stdin: boolean }): Attachment {
  return attachSocket(join(bundleDir, 'attach'), opts);
}

/** Resizes the terminal of the conmon session in bundleDir (its ctl fifo). */
export async function resizeTerminal(bundleDir: string, rows: number, cols: number): Promise<void> {
  const fh = await open(join(bundleDir, 'ctl'), 'w');
  try {
    await fh.write(`1 ${rows} ${cols}\n`);
  } finally {
    await fh.close();
  }
}
