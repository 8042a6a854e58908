import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadProject } from '../loader/project.js';
import { createRequest, networksByPriority, serviceHash } from './container-config.js';
import { inDependencyOrder } from './graph.js';
import type { Project } from '../model.js';

function project(text: string): Project {
  const dir = mkdtempSync(path.join(tmpdir(), 'minke-compose-cc-'));
  try {
    writeFileSync(path.join(dir, 'compose.yaml'), text);
    return loadProject({ files: [], envFiles: [], profiles: [], env: {}, cwd: dir, projectName: 'app', warn: () => undefined });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const text = `services:
  web:
    image: busybox
    command: httpd -f
    environment: {A: "1", UNSET: null}
    ports: ["127.0.0.1:8080:80", "9000/udp"]
    expose: ["3000-3001"]
    volumes: [data:/data, /srv:/srv:ro, {type: tmpfs, target: /cache, tmpfs: {size: 1m}}]
    networks:
      front: {aliases: [www], priority: 10}
      back: {}
    restart: on-failure:3
    healthcheck: {test: [CMD, "true"], interval: 2s, timeout: 1s, retries: 4}
    stop_grace_period: 3s
    labels: [team=a]
    depends_on: [db]
    deploy: {resources: {limits: {memory: 64m, cpus: "0.5"}}}
    ulimits: {nofile: {soft: 10, hard: 20}}
  db:
    image: busybox
    network_mode: service:web
volumes: {data: {}}
networks: {front: {}, back: {}}
`;

describe('container create requests', () => {
  const p = project(text);
  const req = createRequest(p, p.services.web!, { number: 2, name: 'app-web-2', imageId: 'sha256:abc', resolve: () => 'webid' });
  it('carry compose\'s labels', () => {
    const l = req.Labels as Record<string, string>;
    assert.equal(l['com.docker.compose.project'], 'app');
    assert.equal(l['com.docker.compose.service'], 'web');
    assert.equal(l['com.docker.compose.container-number'], '2');
    assert.equal(l['com.docker.compose.oneoff'], 'False');
    assert.equal(l['com.docker.compose.depends_on'], 'db:service_started:false');
    assert.equal(l['com.docker.compose.image'], 'sha256:abc');
    assert.equal(l['com.docker.compose.config-hash'], serviceHash(p.services.web!));
    assert.equal(l.team, 'a');
  });
  it('map the service to the Engine API', () => {
    assert.deepEqual(req.Cmd, ['httpd', '-f']);
    assert.deepEqual(req.Env, ['A=1']);
    assert.deepEqual(Object.keys(req.ExposedPorts as object).sort(), ['3000/tcp', '3001/tcp', '80/tcp', '9000/udp']);
    assert.equal(req.StopTimeout, 3);
    assert.deepEqual(req.Healthcheck, { Test: ['CMD', 'true'], Interval: 2e9, Timeout: 1e9, StartPeriod: undefined, StartInterval: undefined, Retries: 4 });
    const hc = req.HostConfig as Record<string, unknown>;
    assert.deepEqual(hc.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '9000/udp': [{ HostIp: '', HostPort: '' }] });
    assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(hc.Binds, ['/srv:/srv:ro']);
    assert.deepEqual(hc.Mounts, [{ Type: 'volume', Target: '/data', ReadOnly: false, Source: 'app_data' }, { Type: 'tmpfs', Target: '/cache', ReadOnly: false, TmpfsOptions: { SizeBytes: 1048576 } }]);
    assert.equal(hc.Memory, 64 * 1024 * 1024);
    assert.equal(hc.NanoCpus, 5e8);
    assert.deepEqual(hc.Ulimits, [{ Name: 'nofile', Soft: 10, Hard: 20 }]);
  });
  it('put the container on its networks, highest priority first, with compose\'s aliases', () => {
    assert.deepEqual(networksByPriority(p.services.web!), ['front', 'back']);
    const hc = req.HostConfig as Record<string, unknown>;
    assert.equal(hc.NetworkMode, 'app_front');
    const eps = (req.NetworkingConfig as { EndpointsConfig: Record<string, { Aliases: string[] }> }).EndpointsConfig;
    assert.deepEqual(eps.app_front!.Aliases, ['app-web-2', 'web', 'www']);
    assert.deepEqual(eps.app_back!.Aliases, ['app-web-2', 'web']);
    const db = createRequest(p, p.services.db!, { number: 1, name: 'app-db-1', resolve: (s) => (s === 'web' ? 'webid' : undefined) });
    assert.equal((db.HostConfig as Record<string, unknown>).NetworkMode, 'container:webid');
  });
  it('hash what changes the container only', () => {
    const s = p.services.web!;
    assert.equal(serviceHash({ ...s, depends_on: {}, scale: 3, profiles: ['x'] }), serviceHash(s));
    assert.notEqual(serviceHash({ ...s, environment: { A: '2' } }), serviceHash(s));
    assert.equal(serviceHash({ ...s, labels: { team: 'a' } }), serviceHash({ ...s, labels: { team: 'a' } }));
  });
});

describe('dependency order', () => {
  it('runs a service after its dependencies, the independent ones at once', async () => {
    const p = project('services:\n  a: {image: x, depends_on: [b, c]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x}\n  d: {image: x}\n');
    const log: string[] = [];
    let running = 0;
    let most = 0;
    await inDependencyOrder(p.services, async (n) => {
      running++;
      most = Math.max(most, running);
      log.push(`start ${n}`);
      await new Promise((r) => setTimeout(r, 10));
      log.push(`end ${n}`);
      running--;
    });
    assert.ok(log.indexOf('end c') < log.indexOf('start b') && log.indexOf('end b') < log.indexOf('start a'));
    assert.equal(most, 2);
    const rev: string[] = [];
    await inDependencyOrder(p.services, async (n) => void rev.push(n), true);
    assert.ok(rev.indexOf('a') < rev.indexOf('b') && rev.indexOf('b') < rev.indexOf('c'));
    await assert.rejects(inDependencyOrder(p.services, async (n) => {
      if (n === 'c') throw new Error('boom');
    }), /boom/);
  });
});
