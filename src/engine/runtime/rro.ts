/**
 * Recursively read-only bind mounts (the OCI mount option `rro`): runc applies them with
 * mount_setattr(2) and AT_RECURSIVE, which needs kernel 5.12, and only a runtime that lists `rro`
 * among its features' mount options knows it. As moby's supportsRecursivelyReadOnly: a read-only
 * bind is recursive where both allow it (API 1.44 on), a plain `ro` otherwise, and a mount that
 * asks for it (BindOptions.ReadOnlyForceRecursive) fails where they do not.
 */
import { execFile } from 'node:child_process';
import { release } from 'node:os';
import { basename } from 'node:path';

/** How a read-only bind is made read-only (the Engine API's BindOptions from 1.44). */
export type ReadOnlyMode = 'recursive-if-possible' | 'non-recursive' | 'force-recursive';

const probes = new Map<string, Promise<string | undefined>>();

/** Why recursive read-only mounts cannot be had with this runtime, or undefined when they can. */
export function recursiveReadOnlyUnsupported(runtimePath: string): Promise<string | undefined> {
  let p = probes.get(runtimePath);
  if (!p) {
    p = probe(runtimePath);
    probes.set(runtimePath, p);
  }
  return p;
}

export function kernelAtLeast(rel: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

async function probe(runtimePath: string): Promise<string | undefined> {
  const rel = release();
  if (!kernelAtLeast(rel, 5, 12)) return `rro is not supported: kernel ${rel} has no mount_setattr (kernel is older than 5.12)`;
  const name = basename(runtimePath);
  const out = await new Promise<string | undefined>((resolve) => {
    execFile(runtimePath, ['features'], { timeout: 10_000 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
  let options: unknown;
  try {
    options = out === undefined ? undefined : (JSON.parse(out) as { mountOptions?: unknown }).mountOptions;
  } catch {
    options = undefined;
  }
  if (!Array.isArray(options)) return `rro is not supported by runtime "${name}": OCI features struct is not available`;
  return options.includes('rro') ? undefined : `rro is not supported by runtime "${name}"`;
}
