// The benchmarks' floor: a bare `runc spec` bundle with the same busybox rootfs minke's image has.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxTar } from '../test/harness.js';

/** DIR/bundle: the busybox rootfs and runc's default config.json, running `true` without a terminal. */
export function floorBundle(dir: string): string {
  const bundle = join(dir, 'bundle');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  spawnSync('tar', ['-xf', busyboxTar(), '-C', join(bundle, 'rootfs')], { stdio: 'inherit' });
  spawnSync('runc', ['spec'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { terminal: boolean; args: string[] } };
  spec.process.terminal = false;
  spec.process.args = ['true'];
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  return bundle;
}
