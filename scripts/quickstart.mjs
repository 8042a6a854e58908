// The quickstart: starts an engine (its own socket and roots under /tmp unless MINKE_HOST is set),
// makes the busybox:latest base image from the host's busybox-static, runs a container from it and
// prints its output. Leaves the engine running and says how to go on.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const minke = join(root, 'bin', 'minke');
const sock = '/run/minke/minke.sock';
const host = `unix://${sock}`;
const env = { ...process.env, MINKE_HOST: host };

function run(args, opts = {}) {
  const r = spawnSync(minke, args, { env, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`quickstart: minke ${args.join(' ')} failed (exit ${r.status})`);
    process.exit(1);
  }
  return r;
}

async function waitForSocket() {
  for (let i = 0; i < 100; i++) {
    const r = spawnSync(minke, ['version', '--format', '{{.Server.Version}}'], { env, stdio: 'ignore' });
    if (r.status === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the engine did not come up; see /var/log/minke.log');
}

const up = spawnSync(minke, ['version', '--format', '{{.Server.Version}}'], { env, stdio: 'ignore' }).status === 0;
if (!up) {
  console.log('quickstart: starting the engine (log: /var/log/minke.log)');
  mkdirSync('/var/log', { recursive: true });
  const out = openSync('/var/log/minke.log', 'a');
  const child = spawn(minke, ['daemon', '-H', host], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  await waitForSocket();
}

const tar = join(root, 'build', 'busybox-rootfs.tar');
if (!existsSync(tar)) {
  console.log('quickstart: making the busybox rootfs from the host busybox-static');
  const r = spawnSync('bash', [join(root, 'scripts', 'make-busybox-rootfs.sh'), tar], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
console.log('quickstart: importing it as busybox:latest');
run(['import', '--change', 'CMD ["sh"]', tar, 'busybox:latest']);
console.log('quickstart: minke run --rm busybox echo "hello from a minke container"');
run(['run', '--rm', 'busybox', 'echo', 'hello from a minke container']);
console.log(`
The engine is running on ${sock}. Go on with:
  bin/minke run -it --rm busybox sh                # a shell in a container
  bin/minke ps -a; bin/minke images
  DOCKER_HOST=${host} docker run --rm busybox uname -a   # the docker CLI works too
Stop the engine with: kill $(pgrep -f 'minke(.js)? daemon')   (containers keep running)
`);
