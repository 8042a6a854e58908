import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, symlinkSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildSpec, containerEnv, effectiveCapabilities, DEFAULT_CAPABILITIES, parseDeviceCgroupRule, DEFAULT_MASKED_PATHS } from './spec.js';
import { convertProfile, defaultSeccomp, type SeccompProfile } from './seccomp.js';
import { resolveUser } from './user.js';
import { InvalidArgument } from '../../core/errors.js';
import { hostInfo } from './host.js';
import { tempDir } from './testing.js';

const base = { id: 'c0ffee'.repeat(10) + 'abcd', rootfs: 'rootfs', args: ['sh'] };

test('defaults follow moby: caps, mounts, masked paths, devices, namespaces, env, cgroups path', () => {
  const s = buildSpec(base);
  assert.equal(s.ociVersion, '1.0.2');
  assert.deepEqual(s.process.capabilities.bounding, DEFAULT_CAPABILITIES);
  assert.deepEqual(s.process.capabilities.effective, DEFAULT_CAPABILITIES);
  assert.equal(s.process.capabilities.inheritable, undefined);
  assert.deepEqual(s.process.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${base.id.slice(0, 12)}`]);
  assert.equal(s.hostname, base.id.slice(0, 12));
  assert.equal(s.process.cwd, '/');
  assert.deepEqual(s.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
  assert.ok(s.mounts.find((m) => m.destination === '/dev/shm')!.options!.includes('size=67108864'));
  assert.ok(s.mounts.find((m) => m.destination === '/sys')!.options!.includes('ro'));
  assert.deepEqual(s.linux.maskedPaths, DEFAULT_MASKED_PATHS);
  assert.deepEqual(s.linux.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  assert.deepEqual(s.linux.resources.devices![0], { allow: false, access: 'rwm' });
  assert.deepEqual(s.linux.resources.devices!.at(-1), { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' });
  const ns = s.linux.namespaces.map((n) => n.type);
  assert.deepEqual(ns.slice(0, 5), ['mount', 'network', 'uts', 'pid', 'ipc']);
  assert.equal(ns.includes('cgroup'), hostInfo().cgroupV2);
  assert.equal(s.linux.cgroupsPath, `/minke/${base.id}`);
  assert.ok(s.linux.seccomp);
  assert.equal(s.process.oomScoreAdj, 0);
  assert.equal(s.process.rlimits, undefined);
});

test('capabilities: add/drop with or without CAP_, any case, ALL; unknown rejected; non-root gets bounding only', () => {
  assert.deepEqual(effectiveCapabilities({ capDrop: ['all'], capAdd: ['net_admin', 'CAP_chown'] }), ['CAP_NET_ADMIN', 'CAP_CHOWN']);
  const noKill = effectiveCapabilities({ capDrop: ['kill'] });
  assert.equal(noKill.includes('CAP_KILL'), false);
  assert.equal(noKill.length, 13);
  const all = effectiveCapabilities({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'] });
  assert.ok(all.includes('CAP_NET_ADMIN'));
  assert.equal(all.includes('CAP_SYS_ADMIN'), false);
  assert.throws(() => effectiveCapabilities({ capAdd: ['bogus'] }), (e: unknown) => e instanceof InvalidArgument && /unknown capability: "CAP_BOGUS"/.test(e.message));
  const s = buildSpec({ ...base, user: { uid: 1000, gid: 1000, additionalGids: [1000], home: '/' } });
  assert.deepEqual(s.process.capabilities, { bounding: DEFAULT_CAPABILITIES });
});

test('privileged: every capability the host can grant, host devices, no seccomp, no masked paths, rw /sys', () => {
  const s = buildSpec({ ...base, privileged: true });
  assert.ok(s.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
  assert.equal(s.linux.seccomp, undefined);
  assert.equal(s.linux.maskedPaths, undefined);
  assert.equal(s.linux.readonlyPaths, undefined);
  assert.equal(s.mounts.find((m) => m.destination === '/sys')!.options!.includes('ro'), false);
  assert.equal(s.mounts.find((m) => m.type === 'cgroup')!.options!.includes('ro'), false);
  assert.deepEqual(s.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  assert.ok(s.linux.devices.some((d) => d.path === '/dev/null' && d.type === 'c' && d.major === 1 && d.minor === 3));
});

test('resources: memory swap defaults to 2x, cpus to quota/period, pids, shares', () => {
  const s = buildSpec({ ...base, resources: { memory: 16 << 20, nanoCpus: 1.5e9, cpuShares: 512, pidsLimit: 100, memorySwappiness: 10 } });
  assert.deepEqual(s.linux.resources.memory, { limit: 16 << 20, swap: 32 << 20, swappiness: 10 });
  assert.deepEqual(s.linux.resources.cpu, { period: 100000, quota: 150000, shares: 512 });
  assert.deepEqual(s.linux.resources.pids, { limit: 100 });
  assert.deepEqual(buildSpec({ ...base, resources: { memory: 16 << 20, memorySwap: -1, pidsLimit: -1 } }).linux.resources.memory, { limit: 16 << 20, swap: -1 });
  assert.deepEqual(buildSpec({ ...base, resources: { pidsLimit: 0 } }).linux.resources.pids, { limit: -1 });
  assert.throws(() => buildSpec({ ...base, resources: { nanoCpus: 1e9, cpuQuota: 5000 } }), InvalidArgument);
});

test('namespaces, sysctls, hostname, readonly rootfs, tty env, user mounts, ulimits clamped', () => {
  const host = buildSpec({ ...base, network: 'host', uts: 'host', pid: 'host', ipc: 'host', cgroupns: 'private' });
  assert.deepEqual(host.linux.namespaces.map((n) => n.type), ['mount', 'cgroup']);
  assert.equal(host.hostname, undefined);
  assert.deepEqual(host.linux.sysctl, {});
  const joined = buildSpec({ ...base, network: { path: '/run/netns/x' }, sysctls: { 'net.ipv4.ip_forward': '1' } });
  assert.deepEqual(joined.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: '/run/netns/x' });
  assert.equal(joined.linux.sysctl!['net.ipv4.ip_forward'], '1');
  if (existsSync('/proc/sys/net/ipv4/ip_unprivileged_port_start')) assert.equal(joined.linux.sysctl!['net.ipv4.ip_unprivileged_port_start'], '0');

  const ro = buildSpec({
    ...base, readonlyRootfs: true, terminal: true, env: ['PATH=/x', 'A=1'], hostname: 'web',
    mounts: [{ type: 'bind', source: '/h/hosts', destination: '/etc/hosts' }, { type: 'tmpfs', destination: '/run', options: 'size=1m,exec' }, { type: 'bind', source: '/data', destination: '/dev/shm', readonly: true }],
    ulimits: [{ name: 'nofile', soft: 1024, hard: 1 << 30 }],
  });
  assert.equal(ro.root.readonly, true);
  assert.deepEqual(ro.process.env, ['PATH=/x', 'HOSTNAME=web', 'TERM=xterm', 'A=1']);
  assert.ok(ro.mounts.find((m) => m.destination === '/sys/fs/cgroup')!.options!.includes('ro'));
  assert.deepEqual(ro.mounts.find((m) => m.destination === '/etc/hosts')!.options, ['rbind']);
  assert.deepEqual(ro.mounts.find((m) => m.destination === '/run')!.options, ['nosuid', 'nodev', 'rprivate', 'size=1m', 'exec']);
  assert.deepEqual(ro.mounts.filter((m) => m.destination === '/dev/shm').map((m) => m.type), ['bind']);
  const hard = hostInfo().hardLimits.get('RLIMIT_NOFILE');
  assert.deepEqual(ro.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: hard ?? 1 << 30 }]);
});

test('device cgroup rules and the init binary', () => {
  assert.deepEqual(parseDeviceCgroupRule('c 1:3 rwm'), { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' });
  assert.deepEqual(parseDeviceCgroupRule('b *:* m'), { allow: true, type: 'b', access: 'm' });
  assert.throws(() => parseDeviceCgroupRule('x 1:3 rwm'), InvalidArgument);
  const s = buildSpec({ ...base, init: '/usr/bin/busybox', args: ['sleep', '1'] });
  assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'sleep', '1']);
  assert.deepEqual(s.mounts.at(-1), { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/busybox', options: ['bind', 'ro'] });
  assert.deepEqual(containerEnv(['HOSTNAME=x'], 'h', false), ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=x']);
});

test('seccomp conversion: archMap, includes/excludes by caps and arch, errnoRet, cache', () => {
  const profile: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38,
    archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }, { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] }],
    syscalls: [
      { names: ['read'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      { names: ['newer'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '99.0' } },
    ],
  };
  const plain = convertProfile(profile, { caps: ['CAP_CHOWN'], arch: 'x64', kernel: '6.1.0', x32: true });
  assert.deepEqual(plain.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  // A kernel without the x32 ABI: the filter leaves it out (runc compiles it much faster).
  const noX32 = convertProfile(profile, { caps: ['CAP_CHOWN'], arch: 'x64', kernel: '6.1.0', x32: false });
  assert.deepEqual(noX32.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
  assert.equal(plain.defaultErrnoRet, 38);
  assert.deepEqual(plain.syscalls!.map((s) => s.names[0]), ['read', 'mount', 'arch_prctl', 'personality']);
  assert.equal(plain.syscalls![1]!.errnoRet, 1);
  assert.deepEqual(plain.syscalls![3]!.args, [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }]);
  const admin = convertProfile(profile, { caps: ['CAP_SYS_ADMIN'], arch: 'arm64', kernel: '6.1.0' });
  assert.deepEqual(admin.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.deepEqual(admin.syscalls!.map((s) => s.names[0] + ':' + s.action), ['read:SCMP_ACT_ALLOW', 'mount:SCMP_ACT_ALLOW', 'personality:SCMP_ACT_ALLOW']);
  if (existsSync('/usr/share/containers/seccomp.json')) {
    const a = defaultSeccomp(DEFAULT_CAPABILITIES);
    assert.equal(a, defaultSeccomp([...DEFAULT_CAPABILITIES].reverse()));
    assert.ok(a.syscalls!.some((s) => s.names.includes('clone')));
    assert.ok(!a.syscalls!.some((s) => s.action === 'SCMP_ACT_ALLOW' && s.names.includes('fanotify_init')));
    assert.ok(defaultSeccomp([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']).syscalls!.some((s) => s.action === 'SCMP_ACT_ALLOW' && s.names.includes('fanotify_init')));
  }
});

test('resolveUser: names, ids, groups, supplementary groups and docker\'s errors', async () => {
  const root = tempDir();
  try {
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n# c\nbob:x:1000:1000::/home/bob:/bin/sh\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nwww:x:33:bob\nstaff:x:50:bob,www\nbob:x:1000:\n');
    assert.deepEqual(await resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [0], home: '/' });
    assert.deepEqual(await resolveUser(root, 'bob'), { uid: 1000, gid: 1000, additionalGids: [1000, 33, 50], home: '/home/bob' });
    assert.deepEqual(await resolveUser(root, '33'), { uid: 33, gid: 33, additionalGids: [33, 50], home: '/var/www' });
    assert.deepEqual(await resolveUser(root, 'bob:staff'), { uid: 1000, gid: 50, additionalGids: [50], home: '/home/bob' });
    assert.deepEqual(await resolveUser(root, '4242:4343'), { uid: 4242, gid: 4343, additionalGids: [4343], home: '/' });
    assert.deepEqual((await resolveUser(root, 'www', ['staff', '77'])).additionalGids, [33, 50, 50, 77]);
    await assert.rejects(resolveUser(root, 'nobody'), (e: unknown) => e instanceof InvalidArgument && e.message === 'unable to find user nobody: no matching entries in passwd file');
    await assert.rejects(resolveUser(root, 'bob:nogroup'), /unable to find group nogroup: no matching entries in group file/);
    // a symlinked /etc/passwd cannot escape the rootfs
    rmSync(join(root, 'etc/passwd'));
    symlinkSync('/../../../../etc/shadow-not-here', join(root, 'etc/passwd'));
    await assert.rejects(resolveUser(root, 'root'), /no matching entries in passwd file/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
