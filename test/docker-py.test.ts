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

  it('manages networks, volumes and published ports', async () => {
    const out = await py(`
ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet='10.252.5.0/24', gateway='10.252.5.1')])
n = c.networks.create('pynet', driver='bridge', ipam=ipam, labels={'tier': 'py'})
web = c.containers.run('busybox', ['httpd', '-f', '-p', '80'], detach=True, network='pynet', name='pyweb', ports={'80/tcp': None})
web.reload()
print(web.attrs['NetworkSettings']['Networks']['pynet']['IPAddress'])
n.reload()
print([x.name for x in n.containers])
n2 = c.networks.create('pynet2')
n2.connect(web, aliases=['alias1'])
web.reload()
print(sorted(web.attrs['NetworkSettings']['Networks']))
print(web.ports['80/tcp'][0]['HostIp'], int(web.ports['80/tcp'][0]['HostPort']) > 0)
sys.stdout.write(c.containers.run('busybox', ['wget', '-qO-', 'http://pyweb/etc/hostname'], network='pynet', remove=True).decode())
sys.stdout.write(c.containers.run('busybox', ['sh', '-c', 'echo kept > /v/x'], volumes={'pyvol': {'bind': '/v', 'mode': 'rw'}}, remove=True).decode())
sys.stdout.write(c.containers.run('busybox', ['cat', '/v/x'], volumes={'pyvol': {'bind': '/v', 'mode': 'ro'}}, remove=True).decode())
n2.disconnect(web)
web.remove(force=True)
n.remove(); n2.remove(); c.volumes.get('pyvol').remove()
print(len(c.networks.list(names=['pynet'])), [v.name for v in c.volumes.list()])`);
    const lines = out.trim().split('\n');
    assert.match(lines[0]!, /^10\.252\.5\.\d+$/);
    assert.equal(lines[1], "['pyweb']");
    assert.equal(lines[2], "['pynet', 'pynet2']");
    assert.equal(lines[3], '0.0.0.0 True');
    assert.match(lines[4]!, /^[0-9a-f]{12}$/, 'the container answered by name');
    assert.deepEqual(lines.slice(5), ['kept', '0 []']);
  });
});
