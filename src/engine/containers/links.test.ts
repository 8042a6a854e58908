import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkEnv, parseLink } from './links.js';

test('parseLink splits a stored link into target, link name and alias', () => {
  assert.deepEqual(parseLink('/db:/web/database'), { target: '/db', name: '/web/database', alias: 'database' });
});

test('linkEnv gives the variables dockerd gives for a link', () => {
  assert.deepEqual(linkEnv({
    name: '/web/my-db', alias: 'my-db', ip: '10.88.0.5', exposedPorts: ['6379/tcp', '53/udp'],
    env: ['PATH=/bin', 'HOME=/root', 'FOO=1', 'EMPTY='],
  }), [
    'MY_DB_PORT=udp://10.88.0.5:53',
    'MY_DB_PORT_53_UDP=udp://10.88.0.5:53', 'MY_DB_PORT_53_UDP_ADDR=10.88.0.5', 'MY_DB_PORT_53_UDP_PORT=53', 'MY_DB_PORT_53_UDP_PROTO=udp',
    'MY_DB_PORT_6379_TCP=tcp://10.88.0.5:6379', 'MY_DB_PORT_6379_TCP_ADDR=10.88.0.5', 'MY_DB_PORT_6379_TCP_PORT=6379', 'MY_DB_PORT_6379_TCP_PROTO=tcp',
    'MY_DB_NAME=/web/my-db',
    'MY_DB_ENV_FOO=1', 'MY_DB_ENV_EMPTY=',
  ]);
});
