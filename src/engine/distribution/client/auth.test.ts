import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { decodeRegistryAuth, decodeRegistryConfig, parseChallenges, TokenCache } from './auth.js';
import { errorFromResponse, RegistryError, transportError } from './errors.js';
import { endpointsFor, isInsecure, registryOfServer } from './hosts.js';
import { login } from './login.js';
import { RemoteRepository } from './remote.js';
import { Session } from './session.js';

describe('WWW-Authenticate challenges', () => {
  it('reads Bearer and Basic challenges with their parameters', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
    assert.deepEqual(parseChallenges('Basic realm="minke test"'), [{ scheme: 'basic', params: { realm: 'minke test' } }]);
    assert.deepEqual(parseChallenges('Basic realm="a", Bearer realm="b",error="invalid_token"').map((c) => [c.scheme, c.params]), [
      ['basic', { realm: 'a' }], ['bearer', { realm: 'b', error: 'invalid_token' }],
    ]);
  });
});

describe('X-Registry-Auth', () => {
  it('decodes base64url JSON, padded or not, and none for {}', () => {
    const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    assert.deepEqual(decodeRegistryAuth(enc({ username: 'a', password: 'b?>', serveraddress: 'localhost:5000' })), { username: 'a', password: 'b?>', serveraddress: 'localhost:5000' });
    assert.deepEqual(decodeRegistryAuth(Buffer.from('{"Username":"u","Password":"p"}').toString('base64')), { username: 'u', password: 'p' });
    assert.deepEqual(decodeRegistryAuth(enc({ auth: Buffer.from('x:y').toString('base64') })), { auth: 'eDp5', username: 'x', password: 'y' });
    assert.equal(decodeRegistryAuth('e30='), undefined);
    assert.equal(decodeRegistryAuth(undefined), undefined);
    assert.throws(() => decodeRegistryAuth('!!!'), /invalid X-Registry-Auth/);
  });
});

describe('X-Registry-Config', () => {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  it('keys every login by its registry host, Docker Hub\'s index server as docker.io', () => {
    const m = decodeRegistryConfig(b64({
      'https://index.docker.io/v1/': { username: 'u', password: 'p' },
      'localhost:5000': { auth: Buffer.from('a:b').toString('base64') },
      'http://reg.example:8080/v2/': { Username: 'x', Password: 'y' },
    }));
    assert.deepEqual([...m.keys()].sort(), ['docker.io', 'localhost:5000', 'reg.example:8080']);
    assert.equal(m.get('localhost:5000')?.password, 'b');
    assert.equal(m.get('reg.example:8080')?.username, 'x');
    assert.equal(decodeRegistryConfig(undefined).size, 0);
    assert.equal(decodeRegistryConfig(b64(null)).size, 0);
  });
  it('refuses what is not base64 JSON of objects, naming the header', () => {
    assert.throws(() => decodeRegistryConfig('%%%'), /invalid X-Registry-Config header/);
    assert.throws(() => decodeRegistryConfig(b64([1])), /X-Registry-Config header: not a JSON object/);
    assert.throws(() => decodeRegistryConfig(b64({ h: 5 })), /the entry for "h" is not a JSON object/);
  });
});

describe('registry errors in docker\'s words', () => {
  it('prints errcode errors, token server details and bare statuses as distribution\'s client does', () => {
    const body = Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}');
    const e = errorFromResponse(404, body);
    assert.equal(e.message, 'manifest unknown: manifest unknown');
    assert.equal(e.code, 'MANIFEST_UNKNOWN');
    assert.equal(e.status, 404);
    assert.equal(errorFromResponse(401, Buffer.from('{"details":"incorrect username or password"}')).message, 'unauthorized: incorrect username or password');
    assert.equal(errorFromResponse(502, Buffer.alloc(0)).message, 'received unexpected HTTP status: 502 Bad Gateway');
    assert.equal(errorFromResponse(403, Buffer.alloc(0), 'Bearer realm="x",error="insufficient_scope"').message, 'denied: requested access to the resource is denied');
  });

  it('names the address a refused connection went to, as Go does', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5001'), { code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 5001 });
    assert.equal(transportError('GET', 'http://localhost:5001/v2/', err).message, 'Get "http://localhost:5001/v2/": dial tcp 127.0.0.1:5001: connect: connection refused');
  });
});

describe('registry endpoints', () => {
  it('treats loopback and named registries as insecure, others as secure', async () => {
    assert.equal(await isInsecure('localhost:5000', []), true);
    assert.equal(await isInsecure('127.0.0.1:5000', []), true);
    assert.equal(await isInsecure('10.1.2.3:5000', []), false);
    assert.equal(await isInsecure('10.1.2.3:5000', ['10.0.0.0/8']), true);
    assert.equal(await isInsecure('myregistry.invalid:5000', ['myregistry.invalid:5000']), true);
    assert.deepEqual(await endpointsFor('localhost:5000', { insecureRegistries: [], registryMirrors: [] }, 'pull'), [
      { url: 'https://localhost:5000', insecureTls: true }, { url: 'http://localhost:5000', insecureTls: true },
    ]);
    assert.deepEqual((await endpointsFor('docker.io', { insecureRegistries: [], registryMirrors: ['http://127.0.0.1:5555/'] }, 'pull')).map((e) => e.url), ['http://127.0.0.1:5555', 'https://registry-1.docker.io']);
    assert.deepEqual((await endpointsFor('docker.io', { insecureRegistries: [], registryMirrors: ['http://127.0.0.1:5555/'] }, 'push')).map((e) => e.url), ['https://registry-1.docker.io']);
    assert.equal(registryOfServer('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(registryOfServer('http://localhost:5000/'), 'localhost:5000');
  });
});

/** A registry wanting Bearer tokens from its own token endpoint; counts the tokens it gave. */
function bearerRegistry(): { server: Server; tokenRequests: URL[]; url: () => string } {
  const tokenRequests: URL[] = [];
  let port = 0;
  const challenge = (): string => `Bearer realm="http://127.0.0.1:${port}/token",service="fake"`;
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (u.pathname === '/token') {
      tokenRequests.push(u);
      const basic = req.headers.authorization?.replace(/^Basic /, '');
      if (basic && Buffer.from(basic, 'base64').toString() !== 'alice:secret') {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"details":"incorrect username or password"}');
        return;
      }
      const body = { token: `tok-${tokenRequests.length}`, expires_in: 300, ...(u.searchParams.get('offline_token') ? { refresh_token: 'refresh-1' } : {}) };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    if (!req.headers.authorization?.startsWith('Bearer tok-')) {
      res.writeHead(401, { 'WWW-Authenticate': challenge(), 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    res.writeHead(u.pathname === '/v2/' ? 200 : 404).end();
  });
  return { server, tokenRequests, url: () => { port = (server.address() as { port: number }).port; return `http://127.0.0.1:${port}`; } };
}

describe('Bearer token authentication', () => {
  const reg = bearerRegistry();
  let url = '';
  before(async () => {
    await new Promise<void>((r) => reg.server.listen(0, '127.0.0.1', r));
    url = reg.url();
  });
  after(() => new Promise<void>((r) => reg.server.close(() => r())));

  it('fetches an anonymous token per scope once and reuses it until it expires', async () => {
    reg.tokenRequests.length = 0;
    const tokens = new TokenCache();
    const s = await Session.open({ url, insecureTls: true }, undefined, tokens);
    const r = new RemoteRepository(s, 'team/app');
    assert.equal(await r.statBlob(`sha256:${'a'.repeat(64)}`), undefined);
    assert.equal(await r.statBlob(`sha256:${'b'.repeat(64)}`), undefined);
    assert.equal(reg.tokenRequests.length, 1);
    assert.deepEqual(reg.tokenRequests[0]!.searchParams.getAll('scope'), ['repository:team/app:pull']);
    assert.equal(reg.tokenRequests[0]!.searchParams.get('service'), 'fake');
    assert.equal(reg.tokenRequests[0]!.searchParams.get('account'), null);
  });

  it('sends the credentials to the token endpoint, and a login keeps the identity token it is given', async () => {
    reg.tokenRequests.length = 0;
    const s = await Session.open({ url, insecureTls: true }, { username: 'alice', password: 'secret' }, new TokenCache());
    assert.equal(await new RemoteRepository(s, 'team/app', 'push').statBlob(`sha256:${'c'.repeat(64)}`), undefined);
    assert.equal(reg.tokenRequests[0]!.searchParams.get('account'), 'alice');
    assert.deepEqual(reg.tokenRequests[0]!.searchParams.getAll('scope'), ['repository:team/app:pull,push']);
    const host = new URL(url).host;
    assert.deepEqual(await login({ username: 'alice', password: 'secret', serveraddress: host }, { insecureRegistries: [], registryMirrors: [] }), { Status: 'Login Succeeded', IdentityToken: 'refresh-1' });
    await assert.rejects(login({ username: 'alice', password: 'nope', serveraddress: host }, { insecureRegistries: [], registryMirrors: [] }),
      (err: unknown) => err instanceof RegistryError && err.status === 401 && err.message === 'unauthorized: incorrect username or password');
  });
});
