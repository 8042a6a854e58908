/** skopeo (Debian's) as the registry tests run it: no signature policy, plain HTTP allowed. */
import { execFile, spawnSync } from 'node:child_process';

export const haveSkopeo = spawnSync('skopeo', ['--version'], { stdio: 'ignore' }).status === 0;

export interface SkopeoResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function skopeo(args: string[], timeoutMs = 120_000): Promise<SkopeoResult> {
  return new Promise((resolve) => {
    execFile('skopeo', ['--insecure-policy', ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** skopeo, failing the test with its stderr when it fails. */
export async function skopeoOk(args: string[], timeoutMs?: number): Promise<string> {
  const r = await skopeo(args, timeoutMs);
  if (r.code !== 0) throw new Error(`skopeo ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}
