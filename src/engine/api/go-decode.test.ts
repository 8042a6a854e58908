import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoJson } from '../config/go-json.js';
import { goDecode, type GoType } from './go-decode.js';
import { CONTAINER_CREATE, CONTAINER_UPDATE, EXEC_CREATE, NETWORK_CREATE, VOLUME_CREATE } from './body-types.js';

const decode = (t: GoType, text: string): Record<string, unknown> =>
  goDecode<Record<string, unknown>>(parseGoJson(Buffer.from(text)).value, t).value;
const refused = (t: GoType, text: string): string => {
  try {
    decode(t, text);
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};
const create = (body: unknown): string => refused(CONTAINER_CREATE, JSON.stringify(body));

test('type errors name the innermost struct and the path of JSON names, as dockerd (20.10 checked; moby 28 type names)', () => {
  const cases: Array<[unknown, string]> = [
    [{ Image: 5 }, 'number into Go struct field CreateRequest.Image of type string'],
    [{ HostConfig: { Memory: 'lots' } }, 'string into Go struct field HostConfig.HostConfig.Memory of type int64'],
    [{ HostConfig: { Binds: [5] } }, 'number into Go struct field HostConfig.HostConfig.Binds of type string'],
    [{ HostConfig: { Binds: 5 } }, 'number into Go struct field HostConfig.HostConfig.Binds of type []string'],
    [{ Labels: { a: 5 } }, 'number into Go struct field CreateRequest.Labels of type string'],
    [{ Labels: [1] }, 'array into Go struct field CreateRequest.Labels of type map[string]string'],
    [{ HostConfig: { RestartPolicy: { Name: 5 } } }, 'number into Go struct field RestartPolicy.HostConfig.RestartPolicy.Name of type container.RestartPolicyMode'],
    [{ HostConfig: { Mounts: [{ Type: 'bind', Target: 5 }] } }, 'number into Go struct field Mount.HostConfig.Mounts.Target of type string'],
    [{ NetworkingConfig: { EndpointsConfig: { x: { Aliases: 'a' } } } }, 'string into Go struct field EndpointSettings.NetworkingConfig.EndpointsConfig.Aliases of type []string'],
    [{ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 80 }] } } }, 'number into Go struct field PortBinding.HostConfig.PortBindings.HostPort of type string'],
    [{ HostConfig: { PortBindings: 5 } }, 'number into Go struct field HostConfig.HostConfig.PortBindings of type nat.PortMap'],
    [{ ExposedPorts: { '80/tcp': 5 } }, 'number into Go struct field CreateRequest.ExposedPorts of type struct {}'],
    [{ Healthcheck: { Interval: '1s' } }, 'string into Go struct field HealthConfig.Healthcheck.Interval of type time.Duration'],
    [{ Healthcheck: 'x' }, 'string into Go struct field CreateRequest.Healthcheck of type container.HealthConfig'],
    [{ StopTimeout: 'x' }, 'string into Go struct field CreateRequest.StopTimeout of type int'],
    [{ HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 'x' }] } }, 'string into Go struct field Ulimit.HostConfig.Ulimits.Soft of type int64'],
    [{ HostConfig: { LogConfig: { Config: { a: 1 } } } }, 'number into Go struct field LogConfig.HostConfig.LogConfig.Config of type string'],
    [{ HostConfig: { Devices: [{ PathOnHost: 1 }] } }, 'number into Go struct field DeviceMapping.HostConfig.Devices.PathOnHost of type string'],
    [{ HostConfig: { OomKillDisable: 1 } }, 'number into Go struct field HostConfig.HostConfig.OomKillDisable of type bool'],
    [{ HostConfig: { NetworkMode: 1 } }, 'number into Go struct field HostConfig.HostConfig.NetworkMode of type container.NetworkMode'],
    [{ HostConfig: 'x' }, 'string into Go struct field CreateRequest.HostConfig of type container.HostConfig'],
  ];
  for (const [body, want] of cases) assert.equal(create(body), `json: cannot unmarshal ${want}`, JSON.stringify(body));
  assert.equal(refused(CONTAINER_CREATE, '[]'), 'json: cannot unmarshal array into Go value of type container.CreateRequest');
  assert.equal(refused(CONTAINER_CREATE, '"x"'), 'json: cannot unmarshal string into Go value of type container.CreateRequest');
  assert.equal(refused(CONTAINER_UPDATE, '{"Memory":"x"}'), 'json: cannot unmarshal string into Go struct field UpdateConfig.Memory of type int64');
  assert.equal(refused(CONTAINER_UPDATE, '{"RestartPolicy":{"MaximumRetryCount":"x"}}'), 'json: cannot unmarshal string into Go struct field RestartPolicy.RestartPolicy.MaximumRetryCount of type int');
  assert.equal(refused(EXEC_CREATE, '{"Cmd":"ls"}'), 'json: cannot unmarshal string into Go struct field ExecOptions.Cmd of type []string');
  assert.equal(refused(NETWORK_CREATE, '{"Name":"x","IPAM":{"Config":[{"Subnet":5}]}}'), 'json: cannot unmarshal number into Go struct field IPAMConfig.IPAM.Config.Subnet of type string');
  assert.equal(refused(NETWORK_CREATE, '{"Driver":[]}'), 'json: cannot unmarshal array into Go struct field CreateRequest.Driver of type string');
  assert.equal(refused(VOLUME_CREATE, '{"Labels":{"a":1}}'), 'json: cannot unmarshal number into Go struct field CreateOptions.Labels of type string');
});

test('integers are checked against their Go type, with the literal quoted', () => {
  const memory = (raw: string): string => refused(CONTAINER_UPDATE, `{"Memory":${raw}}`);
  for (const raw of ['1.5', '1e3', '1E2', '1.0', '9223372036854775808', '-9223372036854775809']) {
    assert.equal(memory(raw), `json: cannot unmarshal number ${raw} into Go struct field UpdateConfig.Memory of type int64`);
  }
  assert.equal(memory('9223372036854775807'), 'accepted');
  assert.equal(memory('-0'), 'accepted');
  assert.equal(refused(CONTAINER_UPDATE, '{"BlkioWeight":65536}'), 'json: cannot unmarshal number 65536 into Go struct field UpdateConfig.BlkioWeight of type uint16');
  assert.equal(refused(CONTAINER_UPDATE, '{"BlkioWeight":-1}'), 'json: cannot unmarshal number -1 into Go struct field UpdateConfig.BlkioWeight of type uint16');
  assert.equal(decode(CONTAINER_UPDATE, '{"BlkioWeight":65535}').BlkioWeight, 65535);
  assert.equal(create({ HostConfig: { ConsoleSize: [-1, 2] } }), 'json: cannot unmarshal number -1 into Go struct field HostConfig.HostConfig.ConsoleSize of type uint');
});

test('field names match exactly, then case-insensitively; unknown fields are ignored; later repeats win', () => {
  assert.deepEqual(decode(CONTAINER_CREATE, '{"image":"busybox","cmd":["true"],"HOSTCONFIG":{"tmpfs":{"/x":""}},"Bogus":1}'),
    { Image: 'busybox', Cmd: ['true'], HostConfig: { Tmpfs: { '/x': '' } } });
  assert.equal(decode(CONTAINER_CREATE, '{"image":"a","Image":"b"}').Image, 'b');
  assert.equal(decode(CONTAINER_CREATE, '{"Image":"b","image":"a"}').Image, 'a');
  // Go's simple folding: ſ folds to s, the Kelvin sign to k.
  assert.equal(decode(EXEC_CREATE, '{"detachKeys":"ctrl-x"}').DetachKeys, 'ctrl-x');
  assert.deepEqual(decode(NETWORK_CREATE, '{"ſcope":"local","chec\u212aduplicate":true}'), { Scope: 'local', CheckDuplicate: true });
});

test('null leaves a value as it was and makes pointers, slices and maps nil; objects and maps merge across repeats', () => {
  assert.deepEqual(decode(CONTAINER_CREATE, '{"Image":"x","Image":null,"Env":["a"],"Env":null,"Labels":{"a":null}}'), { Image: 'x', Labels: { a: '' } });
  assert.deepEqual(decode(CONTAINER_CREATE, '{"Env":["a",null]}').Env, ['a', '']);
  assert.deepEqual(decode(CONTAINER_CREATE, '{"Labels":{"a":"1"},"labels":{"b":"2"},"HostConfig":{"Memory":1},"HostConfig":{"CpuShares":2}}'),
    { Labels: { a: '1', b: '2' }, HostConfig: { Memory: 1, CpuShares: 2 } });
  assert.deepEqual(decode(CONTAINER_CREATE, '{"HostConfig":null}'), {});
  assert.deepEqual(decode(CONTAINER_CREATE, 'null'), {});
  // Required fields of the engine's interfaces hold their zero value; nil pointer elements are left out.
  assert.deepEqual(decode(CONTAINER_CREATE, '{"HostConfig":{"Ulimits":[null,{"Name":"n"}],"Mounts":[null],"LogConfig":{}}}').HostConfig,
    { Ulimits: [{ Name: 'n', Hard: 0, Soft: 0 }], Mounts: [{ Type: '', Target: '' }], LogConfig: { Type: '', Config: {} } });
  assert.deepEqual(decode(CONTAINER_CREATE, '{"NetworkingConfig":{"EndpointsConfig":{"n":null}}}').NetworkingConfig, { EndpointsConfig: { n: {} } });
  assert.deepEqual(decode(CONTAINER_CREATE, '{"HostConfig":{"ConsoleSize":[1]}}').HostConfig, { ConsoleSize: [1, 0] });
  assert.deepEqual(decode(CONTAINER_CREATE, '{"HostConfig":{"ConsoleSize":[1,2,"x"]}}').HostConfig, { ConsoleSize: [1, 2] }, 'extra array elements are dropped unread');
});

test('strslice takes a string or a list; its error ends decoding at once, before an earlier saved error', () => {
  assert.deepEqual(decode(CONTAINER_CREATE, '{"Cmd":"true","Entrypoint":["a",null],"HostConfig":{"CapAdd":"NET_ADMIN"}}'),
    { Cmd: ['true'], Entrypoint: ['a', ''], HostConfig: { CapAdd: ['NET_ADMIN'] } });
  assert.equal(create({ Cmd: [1] }), 'json: cannot unmarshal array into Go struct field CreateRequest.Cmd of type string');
  assert.equal(create({ Entrypoint: {} }), 'json: cannot unmarshal object into Go struct field CreateRequest.Entrypoint of type string');
  assert.equal(create({ Image: 5, Cmd: 5 }), 'json: cannot unmarshal number into Go struct field CreateRequest.Cmd of type string');
  // Plain type errors: the first one is kept.
  assert.equal(create({ HostConfig: { Memory: 'lots', Binds: [5] } }), 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64');
});

test('an embedded pointer struct is there once any of its fields is named, even as null', () => {
  const embedded = (text: string): boolean => goDecode(parseGoJson(Buffer.from(text)).value, CONTAINER_CREATE).embedded.has('Config');
  assert.equal(embedded('{}'), false);
  assert.equal(embedded('{"HostConfig":{}}'), false);
  assert.equal(embedded('{"image":null}'), true);
});
