// docker-py (Debian's python3-docker), a second independent client of the Engine API.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { TestEngine } from './harness.js';

const PY = '/usr/bin/python3';

describe('docker-py against minke', { concurrency: false, skip: !existsSync(PY) && 'no /usr/bin/python3' }, () => {
  const e = new TestEngine();
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  afterEach(() => e.reset());

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

  it('execs as docker-py asks: the terminal of the create, frames as the start says, lowercase detachKeys', async () => {
    const out = await py(`
api = c.api
ct = c.containers.run('busybox', ['sleep', '1000'], detach=True, name='pyx')
ex = api.exec_create(ct.id, ['sh', '-c', 'echo out; echo err >&2'], tty=True, detach_keys='ctrl-x')
print(repr(api.exec_start(ex['Id'], tty=False, demux=True)))
print(api.exec_inspect(ex['Id'])['DetachKeys'])
ex = api.exec_create(ct.id, ['sh', '-c', 'echo out; echo err >&2'])
print(repr(api.exec_start(ex['Id'], tty=True)))
h = api.create_container('busybox', ['true'], healthcheck={'test': ['CMD', 'true']})
print(api.inspect_container(h)['Config']['Healthcheck'])
api.remove_container(h)
ct.remove(force=True)`);
    assert.equal(out, [
      "(b'out\\r\\nerr\\r\\n', None)", // a terminal's one stream, in stdout frames
      'ctrl-x',
      "b'out\\nerr\\n'", // both streams, unframed
      "{'Test': ['CMD', 'true']}", // docker-py's nulls are Go's zero values: left out
      '',
    ].join('\n'));
  });

  it('commits a container that exits at once, and reads a failed load from the stream', async () => {
    const out = await py(`
ct = c.containers.run('busybox', ['touch', '/made'], detach=True)
img = ct.commit('pycommit', 'v1')
print(img.tags)
ct.remove(force=True)
c.images.remove('pycommit:v1')
try:
    c.images.load(b'not a tar')
except docker.errors.ImageLoadError as err:
    print('ImageLoadError')
ct = c.containers.run('busybox', ['sh', '-c', 'head -c 100000 /dev/zero > /f'], detach=True)
ct.wait()
ct.commit()
ct.remove()
r = c.images.prune()
print(len([d for d in r['ImagesDeleted'] if d['Deleted'].startswith('sha256:')]) >= 1, 100000 <= r['SpaceReclaimed'] < 500000)`);
    // the space reclaimed is the committed layer's, not the busybox layer it shares with busybox:latest
    assert.equal(out, "['pycommit:v1']\nImageLoadError\nTrue True\n");
  });

  it('networks: any name, auxiliary addresses, endpoint links and link-local addresses', async () => {
    const out = await py(`
api = c.api
ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet='10.252.6.0/24', iprange='10.252.6.0/28', gateway='10.252.6.254', aux_addresses={'a': '10.252.6.1'})])
n = c.networks.create('py net', ipam=ipam)
n.reload()
print(n.attrs['IPAM']['Options'], n.attrs['IPAM']['Config'])
up = c.containers.run('busybox', ['sleep', '1000'], detach=True, name='pyup', network='py net')
up.reload()
print(up.attrs['NetworkSettings']['Networks']['py net']['IPAddress'])
nc = api.create_networking_config({'py net': api.create_endpoint_config(links=[('pyup', 'bar')])})
x = api.create_container('busybox', ['sh', '-c', 'ping -c1 -W1 bar | head -1'], host_config=api.create_host_config(network_mode='py net'), networking_config=nc)
api.start(x); api.wait(x)
print(api.logs(x).decode().strip())
nc = api.create_networking_config({'bridge': api.create_endpoint_config(link_local_ips=['169.254.8.8'])})
y = api.create_container('busybox', ['sh', '-c', 'ip -4 addr show eth0 | grep -o "169.254.8.8/16"'], host_config=api.create_host_config(network_mode='bridge'), networking_config=nc)
api.start(y); api.wait(y)
print(api.inspect_container(y)['NetworkSettings']['Networks']['bridge']['IPAMConfig'], api.logs(y).decode().strip())
try:
    c.networks.create('bad', ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet='10.252.7.0/24', aux_addresses={'a': '10.9.9.9'})]))
except docker.errors.APIError as err:
    print(err.status_code, err.explanation)
for i in (x, y): api.remove_container(i)
up.remove(force=True)
n.remove()`);
    assert.equal(out, [
      "None [{'Subnet': '10.252.6.0/24', 'Gateway': '10.252.6.254', 'IPRange': '10.252.6.0/28', 'AuxiliaryAddresses': {'a': '10.252.6.1'}}]",
      '10.252.6.2', // .1 is kept for the auxiliary address
      'PING bar (10.252.6.2): 56 data bytes',
      "{'LinkLocalIPs': ['169.254.8.8']} 169.254.8.8/16",
      '400 auxiliary address: (a:10.9.9.9) must belong to the master pool: 10.252.7.0/24',
      '',
    ].join('\n'));
  });

  it('legacy links: the variables, the link names in ps, and removing a link', async () => {
    const out = await py(`
api = c.api
db = c.containers.run('busybox', ['sleep', '1000'], detach=True, name='pydb', environment={'FOO': '1'})
w = api.create_container('busybox', ['sh', '-c', 'env | grep ^DB_ | sort'], name='pyweb2', host_config=api.create_host_config(links={'pydb': 'db'}))
api.start(w); api.wait(w)
print(api.logs(w).decode().strip().replace('\\n', ' '))
names = lambda: [n for x in api.containers(all=True) for n in x['Names'] if '/pyweb2/' in n]
print(names())
api.remove_container('pyweb2/db', link=True)
print(names(), api.inspect_container('pyweb2')['HostConfig']['Links'])
api.remove_container(w)
w2 = c.containers.run('busybox', ['sleep', '1000'], detach=True, links={'pydb': 'db'}, name='pyweb3')
print(w2.exec_run(['sh', '-c', 'env | grep ^DB_NAME']).output.decode().strip())
w2.remove(force=True)
db.remove(force=True)`);
    assert.equal(out, "DB_ENV_FOO=1 DB_NAME=/pyweb2/db\n['/pyweb2/db']\n[] None\nDB_NAME=/pyweb3/db\n");
  });

  it('stats with network counters; log drivers and isolation as dockerd checks them', async () => {
    const out = await py(`
ct = c.containers.run('busybox', ['sleep', '1000'], detach=True, name='pys', log_config={'type': '', 'config': {'max-file': '2'}})
print(sorted(ct.stats(stream=False)['networks']))
print(ct.attrs['HostConfig']['LogConfig'])
for kw in ({'log_config': {'type': 'asdf'}}, {'isolation': 'hyperv'}):
    try:
        c.containers.create('busybox', **kw)
    except docker.errors.APIError as err:
        print(err.status_code, err.explanation)
print(c.containers.run('busybox', ['echo', 'hi'], log_config={'type': 'none'}, name='pynone'))
try:
    c.containers.get('pynone').logs()
except docker.errors.APIError as err:
    print(err.status_code, err.explanation)
c.containers.get('pynone').remove()
ct.remove(force=True)`);
    assert.equal(out, [
      "['eth0']",
      "{'Type': 'json-file', 'Config': {'max-file': '2'}}",
      // dockerd 20.10's words: a driver it does not have is looked up as a plugin
      '400 error looking up logging plugin asdf: plugin "asdf" not found',
      '400 Invalid isolation: "hyperv" - linux only supports \'default\'',
      'None',
      '501 configured logging driver does not support reading',
      '',
    ].join('\n'));
  });

  it('lets go of an archive the client abandons: no mount, no descriptor, no crash', async () => {
    // docker-py's test_get_file_stat_from_container: the archive is never read, the container goes.
    const out = await py(`
api = c.api
ct = api.create_container('busybox', 'sh -c "echo -n hello > /vol1/data.txt"', volumes=['/vol1'])
api.start(ct); api.wait(ct)
strm, stat = api.get_archive(ct, '/vol1/data.txt')
print(stat['name'], stat['size'])
api.remove_container(ct, v=True, force=True)
api.close()
print(len(c.containers.list(all=True)))`);
    assert.equal(out, 'data.txt 5\n0\n');
    let mounts: string[] = [];
    for (let i = 0; i < 40; i++) {
      mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(`${e.execRoot}/mounts`));
      if (!mounts.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(mounts, []);
    assert.equal(await py('print(c.ping())'), 'True\n', 'the engine is still up');
  });
});
