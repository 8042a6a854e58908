// Authentication against minke's API server with the real kubectl: client certificates,
// static tokens, service-account tokens from `kubectl create token`, TokenReview, whoami, OIDC.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runKubectl, startTestApiServer, type Run, type TestApiServer } from './apiserver-harness.js';

let s: TestApiServer;
let tokenDir: string;

before(async () => {
  tokenDir = await mkdtemp(join(tmpdir(), 'minke-auth-'));
  const file = join(tokenDir, 'tokens.csv');
  await writeFile(file, '# static tokens\nalice-token,alice,1001,"devs,qa"\nbob-token,bob,1002\n');
  s = await startTestApiServer({ tokenAuthFile: file });
});

after(async () => {
  await s?.close();
  if (tokenDir) await rm(tokenDir, { recursive: true, force: true });
});

/** kubectl as the holder of a bearer token (a kubeconfig with `token:`). */
async function asToken(token: string, args: string[]): Promise<Run> {
  const path = join(tokenDir, `kc-${Math.random().toString(36).slice(2)}.yaml`);
  const ca = Buffer.from(s.server.caCert).toString('base64');
  await writeFile(path, [
    'apiVersion: v1', 'kind: Config',
    'clusters:', `- cluster: {certificate-authority-data: ${ca}, server: "${s.server.url}"}`, '  name: c',
    'contexts:', '- context: {cluster: c, user: u}', '  name: c',
    'current-context: c',
    'users:', '- name: u', `  user: {token: "${token}"}`, '',
  ].join('\n'), { mode: 0o600 });
  try {
    return await runKubectl(path, args);
  } finally {
    await rm(path, { force: true });
  }
}

function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('authentication', () => {
  it('the admin kubeconfig is system:admin in system:masters (kubectl auth whoami)', async () => {
    const r = await s.kubectl(['auth', 'whoami', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const u = (JSON.parse(r.stdout) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
    assert.equal(u.username, 'system:admin');
    assert.deepEqual(u.groups, ['system:masters', 'system:authenticated']);
  });

  it('a static token from --token-auth-file is its user, with its groups', async () => {
    const r = await asToken('alice-token', ['auth', 'whoami']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Username\s+alice$/m);
    assert.match(r.stdout, /^UID\s+1001$/m);
    assert.match(r.stdout, /^Groups\s+\[devs qa system:authenticated\]$/m);
    const bad = await asToken('not-a-token', ['get', 'ns']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /error: You must be logged in to the server/);
  });

  it('anonymous requests: health and version only', async () => {
    assert.equal((await s.request('GET', '/version', { cert: false })).status, 200);
    assert.equal((await s.request('GET', '/healthz', { cert: false })).status, 200);
    for (const path of ['/api', '/api/v1/namespaces', '/openid/v1/jwks', '/apis/authentication.k8s.io/v1/selfsubjectreviews']) {
      const r = await s.request('GET', path, { cert: false });
      assert.equal(r.status, 401, path);
      assert.equal(r.json<{ reason: string }>().reason, 'Unauthorized');
    }
  });

  it('kubectl create token: a bound service-account JWT that authenticates as the service account', async () => {
    assert.equal((await s.kubectl(['create', 'serviceaccount', 'robot'])).code, 0);
    const r = await s.kubectl(['create', 'token', 'robot', '--duration', '2h']);
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    const claims = jwtClaims(token);
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as { alg: string; kid: string };
    assert.equal(header.alg, 'RS256');
    assert.equal(claims.iss, 'https://kubernetes.default.svc.cluster.local');
    assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local']);
    assert.equal(claims.sub, 'system:serviceaccount:default:robot');
    assert.equal((claims.exp as number) - (claims.iat as number), 7200);
    assert.equal(claims.nbf, claims.iat);
    const sa = JSON.parse((await s.kubectl(['get', 'sa', 'robot', '-o', 'json'])).stdout) as { metadata: { uid: string } };
    assert.deepEqual(claims['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'robot', uid: sa.metadata.uid } });
    const who = await asToken(token, ['auth', 'whoami', '-o', 'json']);
    assert.equal(who.code, 0, who.stderr);
    const u = (JSON.parse(who.stdout) as { status: { userInfo: { username: string; uid: string; groups: string[] } } }).status.userInfo;
    assert.equal(u.username, 'system:serviceaccount:default:robot');
    assert.equal(u.uid, sa.metadata.uid);
    assert.deepEqual(u.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    // A token for another audience is not for the API server.
    const other = await s.kubectl(['create', 'token', 'robot', '--audience', 'vault']);
    assert.equal(other.code, 0, other.stderr);
    assert.equal((await asToken(other.stdout.trim(), ['auth', 'whoami'])).code, 1);
    // Deleting the service account invalidates its tokens.
    assert.equal((await s.kubectl(['delete', 'sa', 'robot'])).code, 0);
    const gone = await asToken(token, ['auth', 'whoami']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Unauthorized/);
  });

  it('TokenRequest: too short a duration is Invalid; an unknown service account is NotFound', async () => {
    assert.equal((await s.kubectl(['create', 'sa', 'short'])).code, 0);
    const r = await s.kubectl(['create', 'token', 'short', '--duration', '5m']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /spec\.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes/);
    const nf = await s.kubectl(['create', 'token', 'nobody']);
    assert.equal(nf.code, 1);
    assert.match(nf.stderr, /serviceaccounts "nobody" not found/);
  });

  it('TokenReview answers for service-account and static tokens, and refuses others', async () => {
    assert.equal((await s.kubectl(['create', 'sa', 'reviewed'])).code, 0);
    const token = (await s.kubectl(['create', 'token', 'reviewed'])).stdout.trim();
    const review = async (t: string): Promise<{ authenticated?: boolean; user: { username?: string; groups?: string[]; extra?: Record<string, string[]> }; audiences?: string[]; error?: string }> => {
      const r = await s.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
        body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: t } }),
      });
      assert.equal(r.status, 201, r.body);
      return r.json<{ status: { authenticated?: boolean; user: { username?: string }; error?: string } }>().status;
    };
    const ok = await review(token);
    assert.equal(ok.authenticated, true);
    assert.equal(ok.user.username, 'system:serviceaccount:default:reviewed');
    assert.match(ok.user.extra?.['authentication.kubernetes.io/credential-id']?.[0] ?? '', /^JTI=[0-9a-f-]{36}$/);
    assert.deepEqual(ok.audiences, ['https://kubernetes.default.svc.cluster.local']);
    assert.equal((await review('bob-token')).user.username, 'bob');
    const tampered = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const no = await review(tampered);
    assert.equal(no.authenticated, undefined);
    assert.ok(no.error);
  });

  it('OIDC discovery: the issuer and the JWKS that verifies the tokens', async () => {
    const cfg = (await s.request('GET', '/.well-known/openid-configuration')).json<{ issuer: string; jwks_uri: string; id_token_signing_alg_values_supported: string[] }>();
    assert.equal(cfg.issuer, 'https://kubernetes.default.svc.cluster.local');
    assert.equal(cfg.jwks_uri, 'https://kubernetes.default.svc.cluster.local/openid/v1/jwks');
    assert.deepEqual(cfg.id_token_signing_alg_values_supported, ['RS256']);
    const jwks = (await s.request('GET', '/openid/v1/jwks')).json<{ keys: { kid: string; kty: string; n: string; e: string }[] }>();
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0].kty, 'RSA');
    assert.equal((await s.kubectl(['create', 'sa', 'oidc'])).code, 0);
    const token = (await s.kubectl(['create', 'token', 'oidc'])).stdout.trim();
    const { createPublicKey, verify } = await import('node:crypto');
    const key = createPublicKey({ key: { kty: 'RSA', n: jwks.keys[0].n, e: jwks.keys[0].e }, format: 'jwk' });
    const [h, p, sig] = token.split('.');
    assert.ok(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url')));
    assert.equal((JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string }).kid, jwks.keys[0].kid);
  });
});
