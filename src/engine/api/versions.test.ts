import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgument } from '../../core/errors.js';
import type { CreateRequest } from '../containers/service.js';
import { adaptCreateRequest, imageInspectForVersion, imageListForVersion, infoForVersion, stopSignal, waitCondition } from './versions.js';

const req = (r: Partial<CreateRequest> = {}): CreateRequest => ({ Image: 'busybox', ...r });

test('an unset IPC mode is shareable below 1.40 and left to the daemon from then on', () => {
  const old = req({ HostConfig: {} });
  adaptCreateRequest('1.38', old);
  assert.equal(old.HostConfig!.IpcMode, 'shareable');
  const noHostConfig = req();
  adaptCreateRequest('1.39', noHostConfig);
  assert.equal(noHostConfig.HostConfig!.IpcMode, 'shareable', 'even without a HostConfig (dockerd 20.10 skipped it then)');
  const now = req({ HostConfig: {} });
  adaptCreateRequest('1.40', now);
  assert.equal(now.HostConfig!.IpcMode, undefined);
  const asked = req({ HostConfig: { IpcMode: 'private' } });
  adaptCreateRequest('1.38', asked);
  assert.equal(asked.HostConfig!.IpcMode, 'private');
});

test('the container-wide MAC address goes to the main network\'s endpoint', () => {
  const old = req({ MacAddress: '02:42:ac:11:00:02', HostConfig: { NetworkMode: 'net1' } });
  assert.deepEqual(adaptCreateRequest('1.38', old), []);
  assert.equal(old.NetworkingConfig!.EndpointsConfig!.net1!.MacAddress, '02:42:ac:11:00:02');
  assert.equal(old.MacAddress, undefined);
  // Before 1.44 an endpoint MAC alone meant nothing.
  const ignored = req({ HostConfig: { NetworkMode: 'net1' }, NetworkingConfig: { EndpointsConfig: { net1: { MacAddress: '02:42:ac:11:00:03' } } } });
  adaptCreateRequest('1.43', ignored);
  assert.equal(ignored.NetworkingConfig!.EndpointsConfig!.net1!.MacAddress, '');
  const current = req({ MacAddress: '02:42:ac:11:00:02' });
  assert.match(adaptCreateRequest('1.44', current)[0]!, /container-wide MacAddress field is now deprecated/);
  assert.equal(current.NetworkingConfig!.EndpointsConfig!.bridge!.MacAddress, '02:42:ac:11:00:02');
  const mismatch = req({ MacAddress: '02:42:ac:11:00:02', HostConfig: { NetworkMode: 'net1' }, NetworkingConfig: { EndpointsConfig: { net1: { MacAddress: '02:42:ac:11:00:09' } } } });
  assert.throws(() => adaptCreateRequest('1.47', mismatch), /must match the endpoint-specific MAC address/);
  assert.throws(() => adaptCreateRequest('1.38', req({ MacAddress: '02:42:ac:11:00:02', HostConfig: { NetworkMode: 'host' } })), /conflicting options: mac-address and the network mode/);
  // From 1.44 on, a MAC address on a network mode without one is only warned about.
  const host = req({ MacAddress: '02:42:ac:11:00:02', HostConfig: { NetworkMode: 'host' } });
  assert.equal(adaptCreateRequest('1.44', host).length, 1);
});

test('what a version could not say is refused, what it did not have is dropped', () => {
  assert.throws(() => adaptCreateRequest('1.43', req({ NetworkingConfig: { EndpointsConfig: { a: {}, b: {} } } })),
    (err: unknown) => err instanceof InvalidArgument && err.message === 'Container cannot be created with multiple network endpoints: a, b');
  adaptCreateRequest('1.44', req({ NetworkingConfig: { EndpointsConfig: { a: {}, b: {} } }, HostConfig: { NetworkMode: 'a' } }));
  const subpath = { Type: 'volume' as const, Source: 'v', Target: '/v', VolumeOptions: { Subpath: 'x' } };
  assert.throws(() => adaptCreateRequest('1.44', req({ HostConfig: { Mounts: [subpath] } })), /VolumeOptions.Subpath needs API v1.45 or newer/);
  const mismatched = { Type: 'bind' as const, Source: '/tmp', Target: '/t', TmpfsOptions: { SizeBytes: 1 } };
  assert.throws(() => adaptCreateRequest('1.42', req({ HostConfig: { Mounts: [{ ...mismatched }] } })), /TmpfsOptions must not be specified on mount type "bind"/);
  const old = req({ HostConfig: { Mounts: [{ ...mismatched }], AutoRemove: true, ConsoleSize: [20, 80], Annotations: { a: 'b' } }, Healthcheck: { Test: ['CMD', 'true'], StartInterval: 5e9 } });
  adaptCreateRequest('1.24', old);
  assert.equal(old.HostConfig!.Mounts![0]!.TmpfsOptions, undefined);
  assert.equal(old.HostConfig!.AutoRemove, false, 'before 1.25 the client removes its --rm containers');
  assert.deepEqual(old.HostConfig!.ConsoleSize, [0, 0]);
  assert.equal(old.HostConfig!.Annotations, null);
  assert.equal(old.Healthcheck!.StartInterval, undefined);
});

test('"default" network mode and endpoint are the bridge', () => {
  const r = req({ HostConfig: { NetworkMode: 'default' }, NetworkingConfig: { EndpointsConfig: { default: { Aliases: ['x'] } } } });
  adaptCreateRequest('1.47', r);
  assert.equal(r.HostConfig!.NetworkMode, 'bridge');
  assert.deepEqual(Object.keys(r.NetworkingConfig!.EndpointsConfig!), ['bridge']);
});

test('image views: Container and ContainerConfig at every version, VirtualSize below 1.44, <none> below 1.43', () => {
  const view = (): Record<string, unknown> => ({ Size: 10, Created: '', Container: 'abc', ContainerConfig: { Cmd: null } });
  const v38 = view();
  imageInspectForVersion('1.38', v38);
  assert.deepEqual(v38, { Size: 10, VirtualSize: 10, Created: '0001-01-01T00:00:00Z', Container: 'abc', ContainerConfig: { Cmd: null } });
  const v44 = view();
  imageInspectForVersion('1.44', v44);
  assert.deepEqual(v44, { Size: 10, Container: 'abc', ContainerConfig: { Cmd: null } });
  const v45 = view();
  imageInspectForVersion('1.45', v45);
  assert.deepEqual(v45, { Size: 10, Container: 'abc', ContainerConfig: { Cmd: null } });
  const rows = (): Array<{ RepoTags: string[]; RepoDigests: string[]; Size: number; VirtualSize?: number }> => [
    { RepoTags: [], RepoDigests: [], Size: 1 }, { RepoTags: [], RepoDigests: ['a@sha256:1'], Size: 2 },
  ];
  assert.deepEqual(imageListForVersion('1.42', rows()), [
    { RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'], Size: 1, VirtualSize: 1 }, { RepoTags: [], RepoDigests: ['a@sha256:1'], Size: 2, VirtualSize: 2 },
  ]);
  assert.deepEqual(imageListForVersion('1.44', rows()), rows());
});

test('info, stop, wait: what each version had', () => {
  const info = (): Record<string, unknown> => ({ RegistryConfig: { Mirrors: null }, RuncCommit: { ID: 'r' } });
  assert.deepEqual(infoForVersion('1.24', info()), {
    RegistryConfig: { Mirrors: null, AllowNondistributableArtifactsCIDRs: null, AllowNondistributableArtifactsHostnames: null },
    RuncCommit: { ID: 'r', Expected: 'r' }, ExecutionDriver: '<not supported>',
  });
  assert.deepEqual(infoForVersion('1.47', info()), { RegistryConfig: { Mirrors: null }, RuncCommit: { ID: 'r', Expected: 'r' } });
  const q = new URLSearchParams('signal=SIGINT&condition=removed');
  assert.equal(stopSignal('1.41', q), undefined);
  assert.equal(stopSignal('1.42', q), 'SIGINT');
  assert.equal(waitCondition('1.29', q), 'not-running');
  assert.equal(waitCondition('1.30', q), 'removed');
});
