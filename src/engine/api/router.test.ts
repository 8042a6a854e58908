import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFound } from '../../core/errors.js';
import { Router } from './router.js';
import { absentFeatureRoutes } from './absent.js';

async function call(socketPath: string, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Engine API router', () => {
  it('matches literals before parameters, wildcards last, with or without a version prefix', async () => {
    const r = new Router();
    r.on('GET', '/images/*', (ctx) => ctx.send(200, { route: 'wild', rest: ctx.param('*') }));
    r.on('GET', '/images/json', (ctx) => ctx.send(200, { route: 'list' }));
    r.on('GET', '/containers/:id/json', (ctx) => ctx.send(200, { route: 'inspect', id: ctx.param('id') }));
    r.on('POST', '/containers/create', (ctx) => ctx.send(201, { route: 'create' }));
    r.on('GET', '/containers/:id/logs', () => { throw new NotFound('No such container: x'); });
    const dir = mkdtempSync('/tmp/minke-router-');
    const sock = join(dir, 's');
    const server = createServer((req, res) => void r.handle(req, res));
    await new Promise<void>((res) => server.listen(sock, res));
    try {
      assert.deepEqual(JSON.parse((await call(sock, 'GET', '/v1.45/images/json')).body), { route: 'list' });
      assert.deepEqual(JSON.parse((await call(sock, 'GET', '/images/docker.io/library/busybox:latest/json')).body), { route: 'wild', rest: 'docker.io/library/busybox:latest/json' });
      assert.deepEqual(JSON.parse((await call(sock, 'GET', '/containers/abc/json/')).body), { route: 'inspect', id: 'abc' });
      assert.equal((await call(sock, 'POST', '/containers/create')).status, 201);
      assert.equal((await call(sock, 'GET', '/containers/create')).status, 404);
      const nf = await call(sock, 'GET', '/containers/x/logs');
      assert.equal(nf.status, 404);
      assert.deepEqual(JSON.parse(nf.body), { message: 'No such container: x' });
      const tooNew = await call(sock, 'GET', '/v9.99/images/json');
      assert.equal(tooNew.status, 400);
      assert.match(JSON.parse(tooNew.body).message as string, /client version 9.99 is too new/);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers for swarm mode and plugins as dockerd does while they are unused, and says what is not there yet', async () => {
    const r = new Router();
    absentFeatureRoutes(r);
    const dir = mkdtempSync('/tmp/minke-router-');
    const sock = join(dir, 's');
    const server = createServer((req, res) => void r.handle(req, res));
    await new Promise<void>((res) => server.listen(sock, res));
    try {
      for (const path of ['/v1.45/swarm', '/services', '/nodes/abc', '/secrets']) {
        const a = await call(sock, 'GET', path);
        assert.equal(a.status, 503, path);
        assert.match(JSON.parse(a.body).message as string, /^This node is not a swarm manager\./);
      }
      const leave = await call(sock, 'POST', '/swarm/leave?force=1');
      assert.deepEqual([leave.status, JSON.parse(leave.body)], [503, { message: 'This node is not part of a swarm' }]);
      assert.equal((await call(sock, 'POST', '/swarm/init')).status, 501);
      assert.deepEqual(JSON.parse((await call(sock, 'GET', '/plugins')).body), []);
      const search = await call(sock, 'GET', '/v1.45/images/search?term=busybox');
      assert.deepEqual([search.status, JSON.parse(search.body)], [501, { message: 'searching a registry is not supported by minke yet' }]);
      assert.equal((await call(sock, 'GET', '/distribution/docker.io/library/busybox/json')).status, 501);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers a handler's JavaScript error as an internal one, logs its stack; system errors in Go's words; bad escapes as 400", async () => {
    const logged: string[] = [];
    const r = new Router((level, msg) => logged.push(`${level}: ${msg}`));
    r.on('GET', '/bug', () => {
      const o = undefined as unknown as { x: { y: number } };
      return void o.x.y;
    });
    r.on('GET', '/fs', async () => {
      await readFile('/nonexistent/minke-router-test');
    });
    r.on('GET', '/containers/:id/json', (ctx) => ctx.send(200, { id: ctx.param('id') }));
    r.on('GET', '/stat', async (ctx) => {
      await readFile(ctx.query.get('path')!);
    });
    const dir = mkdtempSync('/tmp/minke-router-');
    const sock = join(dir, 's');
    const server = createServer((req, res) => void r.handle(req, res));
    await new Promise<void>((res) => server.listen(sock, res));
    try {
      const bug = await call(sock, 'GET', '/v1.47/bug?x=1');
      assert.deepEqual([bug.status, JSON.parse(bug.body)], [500, { message: "internal error in the engine while handling GET /v1.47/bug; the engine's log has the details" }]);
      assert.match(logged.join('\n'), /error: Handler for GET \/v1\.47\/bug returned error: TypeError: Cannot read properties of undefined[^]*router\.test\.js/);
      const fs = await call(sock, 'GET', '/fs');
      assert.deepEqual([fs.status, JSON.parse(fs.body)], [500, { message: 'open /nonexistent/minke-router-test: no such file or directory' }]);
      const nul = await call(sock, 'GET', '/stat?path=/tmp/a%00b');
      assert.deepEqual([nul.status, JSON.parse(nul.body)], [400, { message: 'invalid argument: a path cannot hold a NUL byte' }]);
      const long = await call(sock, 'GET', `/stat?path=/tmp/${'n'.repeat(300)}`);
      assert.deepEqual([long.status, JSON.parse(long.body)], [400, { message: `open /tmp/${'n'.repeat(300)}: file name too long` }]);
      const esc = await call(sock, 'GET', '/containers/a%zz/json');
      assert.deepEqual([esc.status, JSON.parse(esc.body)], [400, { message: 'invalid URL escape "%zz"' }]);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
