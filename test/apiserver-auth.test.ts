// Authentication against minke's API server with the real kubectl: client certificates,
// static tokens, service-account tokens from `kubectl create token`, TokenReview, whoami, OIDC.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runKubectl, startTestApiServer, waitFor, type Run, type TestApiServer } from './apiserver-harness.js';

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

describe('authorization (RBAC)', () => {
  it('bootstrap roles exist: cluster-admin, admin/edit/view aggregated, system:*', async () => {
    const r = await s.kubectl(['get', 'clusterroles', '-o', 'name']);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['cluster-admin', 'admin', 'edit', 'view', 'system:discovery', 'system:basic-user', 'system:public-info-viewer', 'system:aggregate-to-view']) {
      assert.ok(r.stdout.split('\n').includes(`clusterrole.rbac.authorization.k8s.io/${name}`), name);
    }
    const view = JSON.parse((await s.kubectl(['get', 'clusterrole', 'view', '-o', 'json'])).stdout) as { rules: { resources?: string[] }[]; aggregationRule: unknown; metadata: { labels: Record<string, string> } };
    assert.deepEqual(view.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }] });
    assert.equal(view.metadata.labels['rbac.authorization.k8s.io/aggregate-to-edit'], 'true');
    assert.ok(view.rules.some((x) => x.resources?.includes('pods/log')));
    const crb = JSON.parse((await s.kubectl(['get', 'clusterrolebinding', 'cluster-admin', '-o', 'json'])).stdout) as { subjects: unknown[] };
    assert.deepEqual(crb.subjects, [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:masters' }]);
  });

  it('kubectl auth can-i as alice before and after a RoleBinding; the admin can do anything', async () => {
    assert.equal((await s.kubectl(['auth', 'can-i', '*', '*'])).stdout.trim(), 'yes');
    const before = await s.kubectl(['auth', 'can-i', 'list', 'pods', '--as', 'alice']);
    assert.equal(before.code, 1);
    assert.equal(before.stdout.trim(), 'no');
    const rb = await s.kubectl(['create', 'rolebinding', 'alice-view', '--clusterrole=view', '--user=alice', '-n', 'default']);
    assert.equal(rb.code, 0, rb.stderr);
    const after = await s.kubectl(['auth', 'can-i', 'list', 'pods', '--as', 'alice']);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(after.stdout.trim(), 'yes');
    assert.equal((await s.kubectl(['auth', 'can-i', 'get', 'pods', '--subresource=log', '--as', 'alice'])).stdout.trim(), 'yes');
    assert.equal((await s.kubectl(['auth', 'can-i', 'list', 'pods', '--as', 'alice', '-n', 'kube-system'])).stdout.trim(), 'no');
    assert.equal((await s.kubectl(['auth', 'can-i', 'create', 'pods', '--as', 'alice'])).stdout.trim(), 'no');
    assert.equal((await s.kubectl(['auth', 'can-i', 'list', 'secrets', '--as', 'alice'])).stdout.trim(), 'no');
    // Through a group: bob is not in devs, alice is (from the token file), but --as does not carry groups.
    assert.equal((await s.kubectl(['auth', 'can-i', 'list', 'pods', '--as', 'carol', '--as-group', 'qa'])).stdout.trim(), 'no');
    assert.equal((await s.kubectl(['create', 'rolebinding', 'qa-edit', '--clusterrole=edit', '--group=qa', '-n', 'default'])).code, 0);
    assert.equal((await s.kubectl(['auth', 'can-i', 'create', 'deployments.apps', '--as', 'carol', '--as-group', 'qa'])).stdout.trim(), 'yes');
    // The static-token user itself (its groups from the file): qa lets it create pods.
    const own = await asToken('alice-token', ['auth', 'can-i', 'create', 'pods']);
    assert.equal(own.stdout.trim(), 'yes', own.stderr);
  });

  it('a refused request is 403 with kube-apiserver\'s message', async () => {
    const r = await asToken('bob-token', ['get', 'pods']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error from server \(Forbidden\): pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"$/m);
    const one = await asToken('bob-token', ['get', 'deployment', 'web', '-n', 'kube-system']);
    assert.match(one.stderr, /Error from server \(Forbidden\): deployments\.apps "web" is forbidden: User "bob" cannot get resource "deployments" in API group "apps" in the namespace "kube-system"/);
    const node = await asToken('bob-token', ['get', 'nodes']);
    assert.match(node.stderr, /nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope/);
    // Discovery and whoami are everyone's.
    assert.equal((await asToken('bob-token', ['api-versions'])).code, 0);
    assert.equal((await asToken('bob-token', ['auth', 'whoami'])).code, 0);
  });

  it('kubectl auth can-i --list shows the rules in the namespace', async () => {
    const r = await s.kubectl(['auth', 'can-i', '--list', '--as', 'alice']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/m);
    assert.match(r.stdout, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    assert.match(r.stdout, /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    assert.match(r.stdout, /^\s+\[\/api\/\*\]\s+\[\]\s+\[get\]$/m);
    const admin = await s.kubectl(['auth', 'can-i', '--list']);
    assert.match(admin.stdout, /^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
  });

  it('impersonation needs the impersonate verb', async () => {
    const denied = await asToken('bob-token', ['get', 'pods', '--as', 'alice']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope/);
    await s.kubectl(['create', 'clusterrole', 'impersonator', '--verb=impersonate', '--resource=users']);
    assert.equal((await s.kubectl(['create', 'clusterrolebinding', 'bob-impersonates', '--clusterrole=impersonator', '--user=bob'])).code, 0);
    const ok = await asToken('bob-token', ['get', 'pods', '--as', 'alice']);
    assert.equal(ok.code, 0, ok.stderr);
    const who = await asToken('bob-token', ['auth', 'whoami', '--as', 'alice', '-o', 'json']);
    assert.deepEqual((JSON.parse(who.stdout) as { status: { userInfo: unknown } }).status.userInfo, { username: 'alice', groups: ['system:authenticated'] });
    const group = await asToken('bob-token', ['get', 'pods', '--as', 'alice', '--as-group', 'qa']);
    assert.match(group.stderr, /groups "qa" is forbidden: User "bob" cannot impersonate resource "groups"/);
  });

  it('privilege escalation: roles and bindings grant only what their author holds, unless escalate/bind', async () => {
    const as = ['--as', 'dave', '-n', 'default'];
    assert.equal((await s.kubectl(['create', 'role', 'role-writer', '--verb=create,update,get', '--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io'])).code, 0);
    assert.equal((await s.kubectl(['create', 'rolebinding', 'dave-writes', '--role=role-writer', '--user=dave'])).code, 0);
    const big = await s.kubectl(['create', 'role', 'big', '--verb=get', '--resource=nodes', ...as]);
    assert.equal(big.code, 1);
    assert.match(big.stderr, /roles\.rbac\.authorization\.k8s\.io "big" is forbidden: user "dave" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["nodes"\], Verbs:\["get"\]\}/);
    const small = await s.kubectl(['create', 'role', 'small', '--verb=create', '--resource=roles.rbac.authorization.k8s.io', ...as]);
    assert.equal(small.code, 0, small.stderr);
    const bind = await s.kubectl(['create', 'rolebinding', 'dave-admin', '--clusterrole=admin', '--user=dave', ...as]);
    assert.equal(bind.code, 1);
    assert.match(bind.stderr, /rolebindings\.rbac\.authorization\.k8s\.io "dave-admin" is forbidden: user "dave" .* is attempting to grant RBAC permissions not currently held/);
    assert.equal((await s.kubectl(['create', 'rolebinding', 'eve-small', '--role=small', '--user=eve', ...as])).code, 0);
    // With bind on the admin ClusterRole, dave may bind it without holding it.
    assert.equal((await s.kubectl(['create', 'role', 'binder', '--verb=bind', '--resource=clusterroles.rbac.authorization.k8s.io', '--resource-name=admin'])).code, 0);
    assert.equal((await s.kubectl(['create', 'rolebinding', 'dave-binds', '--role=binder', '--user=dave'])).code, 0);
    const bound = await s.kubectl(['create', 'rolebinding', 'eve-admin', '--clusterrole=admin', '--user=eve', ...as]);
    assert.equal(bound.code, 0, bound.stderr);
  });

  it('SubjectAccessReview and LocalSubjectAccessReview answer for another user', async () => {
    const sar = await s.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: JSON.stringify({ kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', spec: { user: 'alice', resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } } }),
    });
    assert.equal(sar.status, 201, sar.body);
    assert.deepEqual(sar.json<{ status: unknown }>().status, { allowed: true, reason: 'RBAC: allowed by RoleBinding "alice-view/default" of ClusterRole "view" to User "alice"' });
    const lsar = await s.request('POST', '/apis/authorization.k8s.io/v1/namespaces/kube-system/localsubjectaccessreviews', {
      body: JSON.stringify({ kind: 'LocalSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', spec: { user: 'alice', resourceAttributes: { namespace: 'kube-system', verb: 'get', resource: 'pods' } } }),
    });
    assert.equal(lsar.status, 201, lsar.body);
    assert.equal(lsar.json<{ status: { allowed: boolean } }>().status.allowed, false);
    const none = await s.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { body: JSON.stringify({ spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } }) });
    assert.equal(none.status, 422);
  });
});

describe('service accounts', () => {
  const podYaml = (name: string, extra = ''): string =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n${extra}  containers:\n  - name: c\n    image: busybox\n  initContainers:\n  - name: i\n    image: busybox\n`;

  it('every namespace gets a default ServiceAccount and the kube-root-ca.crt ConfigMap, made again when deleted', async () => {
    assert.equal((await s.kubectl(['create', 'ns', 'team'])).code, 0);
    await waitFor('default sa in team', async () => ((await s.kubectl(['get', 'sa', 'default', '-n', 'team'])).code === 0 ? true : undefined), 30_000);
    const cm = await waitFor('kube-root-ca.crt in team', async () => {
      const r = await s.kubectl(['get', 'cm', 'kube-root-ca.crt', '-n', 'team', '-o', 'json']);
      return r.code === 0 ? JSON.parse(r.stdout) as { data: Record<string, string> } : undefined;
    }, 30_000);
    assert.equal(cm.data['ca.crt'], s.server.caCert);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await waitFor(`default sa in ${ns}`, async () => ((await s.kubectl(['get', 'sa', 'default', '-n', ns])).code === 0 ? true : undefined), 30_000);
    }
    const before = JSON.parse((await s.kubectl(['get', 'sa', 'default', '-n', 'team', '-o', 'json'])).stdout) as { metadata: { uid: string } };
    assert.equal((await s.kubectl(['delete', 'sa', 'default', '-n', 'team'])).code, 0);
    await waitFor('default sa made again', async () => {
      const r = await s.kubectl(['get', 'sa', 'default', '-n', 'team', '-o', 'json']);
      return r.code === 0 && (JSON.parse(r.stdout) as { metadata: { uid: string } }).metadata.uid !== before.metadata.uid ? true : undefined;
    }, 30_000);
    assert.equal((await s.kubectl(['patch', 'cm', 'kube-root-ca.crt', '-n', 'team', '--type=merge', '-p', '{"data":{"ca.crt":"tampered"}}'])).code, 0);
    await waitFor('ca.crt put back', async () => {
      const r = await s.kubectl(['get', 'cm', 'kube-root-ca.crt', '-n', 'team', '-o', 'json']);
      return r.code === 0 && (JSON.parse(r.stdout) as { data: Record<string, string> }).data['ca.crt'] === s.server.caCert ? true : undefined;
    }, 30_000);
  });

  it('pods get serviceAccountName default and the kube-api-access projected volume in every container', async () => {
    await waitFor('default sa in default', async () => ((await s.kubectl(['get', 'sa', 'default'])).code === 0 ? true : undefined), 30_000);
    const c = await s.kubectl(['create', '-f', '-'], { input: podYaml('p1') });
    assert.equal(c.code, 0, c.stderr);
    const pod = JSON.parse((await s.kubectl(['get', 'pod', 'p1', '-o', 'json'])).stdout) as {
      spec: { serviceAccountName: string; serviceAccount: string; volumes: { name: string; projected: { defaultMode: number; sources: unknown[] } }[];
        containers: { volumeMounts: unknown[] }[]; initContainers: { volumeMounts: unknown[] }[] };
    };
    assert.equal(pod.spec.serviceAccountName, 'default');
    assert.equal(pod.spec.serviceAccount, 'default');
    assert.equal(pod.spec.volumes.length, 1);
    const v = pod.spec.volumes[0];
    assert.match(v.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(v.projected.defaultMode, 420);
    assert.deepEqual(v.projected.sources, [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ]);
    const mount = { name: v.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' };
    assert.deepEqual(pod.spec.containers[0].volumeMounts, [mount]);
    assert.deepEqual(pod.spec.initContainers[0].volumeMounts, [mount]);
  });

  it('automountServiceAccountToken: false (pod or service account) mounts nothing; an unknown service account is refused', async () => {
    const off = await s.kubectl(['create', '-f', '-'], { input: podYaml('p2', '  automountServiceAccountToken: false\n') });
    assert.equal(off.code, 0, off.stderr);
    const p2 = JSON.parse((await s.kubectl(['get', 'pod', 'p2', '-o', 'json'])).stdout) as { spec: { volumes?: unknown[]; containers: { volumeMounts?: unknown[] }[] } };
    assert.equal(p2.spec.volumes, undefined);
    assert.equal(p2.spec.containers[0].volumeMounts, undefined);
    assert.equal((await s.kubectl(['create', '-f', '-'], { input: 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: quiet\nautomountServiceAccountToken: false\n' })).code, 0);
    assert.equal((await s.kubectl(['create', '-f', '-'], { input: podYaml('p3', '  serviceAccountName: quiet\n') })).code, 0);
    const p3 = JSON.parse((await s.kubectl(['get', 'pod', 'p3', '-o', 'json'])).stdout) as { spec: { serviceAccountName: string; volumes?: unknown[] } };
    assert.equal(p3.spec.serviceAccountName, 'quiet');
    assert.equal(p3.spec.volumes, undefined);
    const bad = await s.kubectl(['create', '-f', '-'], { input: podYaml('p4', '  serviceAccountName: ghost\n') });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Error from server \(Forbidden\).*pods "p4" is forbidden: error looking up service account default\/ghost: serviceaccount "ghost" not found/);
  });

  it('a token bound to a pod names the pod and dies with it', async () => {
    assert.equal((await s.kubectl(['create', 'sa', 'worker'])).code, 0);
    assert.equal((await s.kubectl(['create', '-f', '-'], { input: podYaml('bound', '  serviceAccountName: worker\n') })).code, 0);
    const r = await s.kubectl(['create', 'token', 'worker', '--bound-object-kind', 'Pod', '--bound-object-name', 'bound']);
    assert.equal(r.code, 0, r.stderr);
    const claims = jwtClaims(r.stdout.trim()) as { 'kubernetes.io': { pod: { name: string; uid: string } } };
    const pod = JSON.parse((await s.kubectl(['get', 'pod', 'bound', '-o', 'json'])).stdout) as { metadata: { uid: string } };
    assert.deepEqual(claims['kubernetes.io'].pod, { name: 'bound', uid: pod.metadata.uid });
    const who = await asToken(r.stdout.trim(), ['auth', 'whoami', '-o', 'json']);
    assert.equal(who.code, 0, who.stderr);
    const extra = (JSON.parse(who.stdout) as { status: { userInfo: { extra: Record<string, string[]> } } }).status.userInfo.extra;
    assert.deepEqual(extra['authentication.kubernetes.io/pod-name'], ['bound']);
    assert.equal((await s.kubectl(['delete', 'pod', 'bound'])).code, 0);
    assert.equal((await asToken(r.stdout.trim(), ['auth', 'whoami'])).code, 1);
  });
});
