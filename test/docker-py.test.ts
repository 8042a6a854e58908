// docker-py (Debian's python3-docker), a second independent client of the Engine API.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { TestEngine } from './harness.js';

const PY = '/usr/bin/python3';

describe('docker-py against minke', { concurrency: false, skip: !existsSync(PY) && 'no /usr/bin/python3' }, () => {
  const e = new TestEngine();
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());

  const py = async (code: string): Promise<string> => {
    const r = await e.run(PY, ['-c', `import docker, sys\nc = docker.DockerClient(base_url=${JSON.stringify(e.host)})\n${code}`]);
    if (r.code !== 0) throw new Error(`python exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };

  it('pings, reports version and lists images', async () => {
    const out = await py(`print(c.ping())\nprint(c.version()['ApiVersion'])\nprint(sorted(t for i in c.images.list() for t in i.tags))`);
    assert.match(out, /^True\n1\.\d+\n.*'busybox:latest'/);
  });

  it('runs a container and gets its output', async () => {
    const out = await py(`sys.stdout.write(c.containers.run('busybox', ['sh', '-c', 'echo hi from py'], remove=True).decode())`);
    assert.equal(out, 'hi from py\n');
  });

  it('reports a failing container with its exit status', async () => {
    const out = await py(`
try:
    c.containers.run('busybox', ['sh', '-c', 'echo boom >&2; exit 4'], remove=True)
except docker.errors.ContainerError as err:
    print(err.exit_status, err.stderr.decode().strip())`);
    assert.equal(out, '4 boom\n');
  });

  it('manages a detached container: logs, exec, stop, remove', async () => {
    const out = await py(`
ct = c.containers.run('busybox', ['sh', '-c', 'echo ready; sleep 1000'], detach=True, name='pyc')
import time
for _ in range(50):
    if b'ready' in ct.logs(): break
    time.sleep(0.1)
print(ct.logs().decode().strip())
r = ct.exec_run(['sh', '-c', 'echo from exec; exit 3'])
print(r.exit_code, r.output.decode().strip())
ct.reload(); print(ct.status)
ct.stop(timeout=1); ct.reload(); print(ct.status, ct.attrs['State']['ExitCode'])
ct.remove()
try:
    c.containers.get('pyc')
except docker.errors.NotFound:
    print('gone')`);
    assert.equal(out, 'ready\n3 from exec\nrunning\nexited 137\ngone\n');
  });

  it('gets docker errors for unknown images and containers', async () => {
    const out = await py(`
try:
    c.containers.get('nope')
except docker.errors.NotFound as err:
    print(err.explanation)
try:
    c.images.get('nope:1')
except docker.errors.ImageNotFound as err:
    print(err.explanation)`);
    assert.equal(out, 'No such container: nope\nNo such image: nope:1\n');
  });
});
