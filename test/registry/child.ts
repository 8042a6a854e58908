/** `minke registry serve` as a child process (the real command line), for tests that kill it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/core/native.js';

export interface ChildRegistry {
  url: string;
  child: ChildProcess;
  logs(): string;
  /** SIGKILL, as a crash: no clean-up runs. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function spawnRegistry(root: string, args: string[] = []): Promise<ChildRegistry> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'minke.js'), 'registry', 'serve', '--listen', '127.0.0.1:0', '--root', root, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let logs = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`registry did not start: ${logs}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      logs += d.toString();
      const m = /listening on (http\S+?)"/.exec(logs);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`registry exited (${code}): ${logs}`));
    });
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url,
    child,
    logs: () => logs,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
