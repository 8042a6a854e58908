import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withAuthenticated, type UserInfo } from './authn.js';
import { requestAttributes } from './authz.js';
import { BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy.js';
import {
  aggregatedRules, appliesTo, forbiddenMessage, nonResourceURLMatches, RbacAuthorizer, resourceMatches, ruleAllows,
  type Attributes, type Binding, type Role,
} from './rbac.js';

const res = (verb: string, resource: string, o: Partial<{ apiGroup: string; subresource: string; namespace: string; name: string }> = {}): Attributes => ({
  resourceRequest: true, verb, resource, apiGroup: o.apiGroup ?? '', subresource: o.subresource ?? '', namespace: o.namespace ?? '', name: o.name ?? '',
});

describe('RBAC rule matching', () => {
  it('verbs, groups, resources and names', () => {
    const rule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
    assert.ok(ruleAllows(res('get', 'pods'), rule));
    assert.ok(!ruleAllows(res('delete', 'pods'), rule));
    assert.ok(!ruleAllows(res('get', 'pods', { apiGroup: 'apps' }), rule));
    assert.ok(!ruleAllows(res('get', 'deployments'), rule));
    const named = { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['one'] };
    assert.ok(ruleAllows(res('get', 'configmaps', { name: 'one' }), named));
    assert.ok(!ruleAllows(res('get', 'configmaps', { name: 'two' }), named));
    assert.ok(!ruleAllows(res('list', 'configmaps'), { ...named, verbs: ['list'] }), 'a list has no name, so resourceNames never match it');
    assert.ok(ruleAllows(res('patch', 'anything', { apiGroup: 'x.io' }), { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }));
  });

  it('subresources: pods/log is its own resource; */scale matches every scale', () => {
    assert.ok(resourceMatches({ verbs: ['get'], resources: ['pods/log'] }, 'pods', 'log'));
    assert.ok(!resourceMatches({ verbs: ['get'], resources: ['pods'] }, 'pods', 'log'));
    assert.ok(!resourceMatches({ verbs: ['get'], resources: ['pods/log'] }, 'pods', ''));
    assert.ok(resourceMatches({ verbs: ['get'], resources: ['*/scale'] }, 'deployments', 'scale'));
    assert.ok(!resourceMatches({ verbs: ['get'], resources: ['*/scale'] }, 'deployments', ''));
    assert.ok(resourceMatches({ verbs: ['get'], resources: ['*'] }, 'pods', 'exec'));
  });

  it('non-resource URLs: exact, trailing * as a prefix, and * alone', () => {
    const rule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    assert.ok(nonResourceURLMatches(rule, '/healthz'));
    assert.ok(!nonResourceURLMatches(rule, '/healthz/etcd'));
    assert.ok(nonResourceURLMatches(rule, '/apis/apps/v1'));
    assert.ok(!nonResourceURLMatches(rule, '/api'));
    assert.ok(nonResourceURLMatches({ verbs: ['get'], nonResourceURLs: ['*'] }, '/anything'));
    assert.ok(!ruleAllows({ resourceRequest: false, verb: 'post', path: '/healthz' }, rule));
  });

  it('subjects: users, groups, service accounts (namespace from the binding when unset)', () => {
    const sa = withAuthenticated({ name: 'system:serviceaccount:ns1:robot', groups: ['system:serviceaccounts'] });
    assert.ok(appliesTo(sa, { kind: 'ServiceAccount', name: 'robot', namespace: 'ns1' }, ''));
    assert.ok(appliesTo(sa, { kind: 'ServiceAccount', name: 'robot' }, 'ns1'));
    assert.ok(!appliesTo(sa, { kind: 'ServiceAccount', name: 'robot' }, 'ns2'));
    assert.ok(appliesTo(sa, { kind: 'Group', name: 'system:authenticated' }, ''));
    assert.ok(!appliesTo(sa, { kind: 'User', name: 'robot' }, ''));
  });

  it('aggregation: admin gets edit and view rules through the labels, view does not get edit rules', () => {
    const admin = aggregatedRules(BOOTSTRAP_CLUSTER_ROLES.find((r) => r.name === 'admin') as Role, BOOTSTRAP_CLUSTER_ROLES);
    const view = aggregatedRules(BOOTSTRAP_CLUSTER_ROLES.find((r) => r.name === 'view') as Role, BOOTSTRAP_CLUSTER_ROLES);
    assert.ok(admin.some((r) => ruleAllows(res('create', 'rolebindings', { apiGroup: 'rbac.authorization.k8s.io', namespace: 'x' }), r)));
    assert.ok(view.some((r) => ruleAllows(res('get', 'pods', { subresource: 'log' }), r)));
    assert.ok(!view.some((r) => ruleAllows(res('get', 'secrets'), r)));
    assert.ok(!view.some((r) => ruleAllows(res('create', 'pods'), r)));
  });
});

describe('RBAC authorizer', () => {
  const roles: Role[] = [
    { name: 'pod-reader', namespace: 'dev', rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] },
  ];
  const clusterRoles: Role[] = [...BOOTSTRAP_CLUSTER_ROLES];
  const rbs: Binding[] = [
    { name: 'alice-reads', namespace: 'dev', subjects: [{ kind: 'User', name: 'alice' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' } },
    { name: 'devs-view', namespace: 'dev', subjects: [{ kind: 'Group', name: 'devs' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' } },
  ];
  const crbs: Binding[] = [
    { name: 'system:discovery', subjects: [{ kind: 'Group', name: 'system:authenticated' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:discovery' } },
  ];
  const authz = new RbacAuthorizer({
    clusterRoles: () => Promise.resolve(clusterRoles), clusterRoleBindings: () => Promise.resolve(crbs),
    roles: (ns) => Promise.resolve(roles.filter((r) => r.namespace === ns)), roleBindings: (ns) => Promise.resolve(rbs.filter((b) => b.namespace === ns)),
  });
  const alice: UserInfo = withAuthenticated({ name: 'alice', groups: [] });

  it('a RoleBinding grants in its namespace only, with the reason naming the binding', async () => {
    const d = await authz.authorize(alice, res('list', 'pods', { namespace: 'dev' }));
    assert.deepEqual(d, { allowed: true, reason: 'RBAC: allowed by RoleBinding "alice-reads/dev" of Role "pod-reader" to User "alice"' });
    assert.equal((await authz.authorize(alice, res('list', 'pods', { namespace: 'prod' }))).allowed, false);
    assert.equal((await authz.authorize(alice, res('list', 'pods'))).allowed, false, 'not cluster-wide');
    assert.equal((await authz.authorize(alice, res('delete', 'pods', { namespace: 'dev', name: 'p' }))).allowed, false);
  });

  it('a RoleBinding to an aggregated ClusterRole; a group subject; non-resource URLs through ClusterRoleBindings', async () => {
    const bob = withAuthenticated({ name: 'bob', groups: ['devs'] });
    assert.equal((await authz.authorize(bob, res('get', 'deployments', { apiGroup: 'apps', namespace: 'dev', name: 'web' }))).allowed, true);
    assert.equal((await authz.authorize(bob, res('get', 'secrets', { namespace: 'dev' }))).allowed, false);
    assert.equal((await authz.authorize(bob, { resourceRequest: false, verb: 'get', path: '/apis/apps/v1' })).allowed, true);
    assert.equal((await authz.authorize({ name: 'system:anonymous', groups: ['system:unauthenticated'] }, { resourceRequest: false, verb: 'get', path: '/api' })).allowed, false);
  });

  it('system:masters may do anything', async () => {
    assert.equal((await authz.authorize({ name: 'root', groups: ['system:masters'] }, res('delete', 'nodes', { name: 'n' }))).allowed, true);
  });

  it('rulesFor lists the rules in a namespace (can-i --list)', async () => {
    const rules = await authz.rulesFor(alice, 'dev');
    assert.ok(rules.some((r) => r.resources?.includes('pods') && r.verbs.includes('list')));
    assert.ok(rules.some((r) => r.nonResourceURLs?.includes('/api')));
    assert.ok(!(await authz.rulesFor(alice, 'prod')).some((r) => r.resources?.includes('pods')));
  });
});

describe('request attributes and the forbidden message', () => {
  const q = (s = ''): URLSearchParams => new URLSearchParams(s);
  it('reads verbs, groups, namespaces and subresources from the URL', () => {
    assert.deepEqual(requestAttributes('GET', '/api/v1/namespaces/default/pods', q()),
      { resourceRequest: true, verb: 'list', apiGroup: '', apiVersion: 'v1', resource: 'pods', subresource: '', namespace: 'default', name: '' });
    assert.equal((requestAttributes('GET', '/api/v1/namespaces/default/pods', q('watch=true')) as { verb: string }).verb, 'watch');
    assert.deepEqual(requestAttributes('GET', '/api/v1/namespaces/d/pods/p/log', q()),
      { resourceRequest: true, verb: 'get', apiGroup: '', apiVersion: 'v1', resource: 'pods', subresource: 'log', namespace: 'd', name: 'p' });
    assert.deepEqual(requestAttributes('DELETE', '/apis/apps/v1/namespaces/d/deployments', q()),
      { resourceRequest: true, verb: 'deletecollection', apiGroup: 'apps', apiVersion: 'v1', resource: 'deployments', subresource: '', namespace: 'd', name: '' });
    assert.deepEqual(requestAttributes('GET', '/api/v1/namespaces/kube-system', q()),
      { resourceRequest: true, verb: 'get', apiGroup: '', apiVersion: 'v1', resource: 'namespaces', subresource: '', namespace: 'kube-system', name: 'kube-system' });
    assert.deepEqual(requestAttributes('PUT', '/api/v1/namespaces/x/finalize', q()),
      { resourceRequest: true, verb: 'update', apiGroup: '', apiVersion: 'v1', resource: 'namespaces', subresource: 'finalize', namespace: 'x', name: 'x' });
    assert.equal((requestAttributes('GET', '/api/v1/namespaces/d/pods', q('fieldSelector=metadata.name%3Dp')) as { name: string }).name, 'p');
    assert.deepEqual(requestAttributes('GET', '/apis/apps/v1', q()), { resourceRequest: false, verb: 'get', path: '/apis/apps/v1' });
    assert.deepEqual(requestAttributes('GET', '/api/v1', q()), { resourceRequest: false, verb: 'get', path: '/api/v1' });
    assert.deepEqual(requestAttributes('POST', '/healthz', q()), { resourceRequest: false, verb: 'post', path: '/healthz' });
  });

  it('words the refusal as kube-apiserver does', () => {
    const alice = { name: 'alice', groups: [] };
    assert.equal(forbiddenMessage(alice, res('list', 'pods', { namespace: 'default' })), 'User "alice" cannot list resource "pods" in API group "" in the namespace "default"');
    assert.equal(forbiddenMessage(alice, res('get', 'nodes', { name: 'n' })), 'User "alice" cannot get resource "nodes" in API group "" at the cluster scope');
    assert.equal(forbiddenMessage(alice, res('get', 'pods', { subresource: 'log', namespace: 'd' })), 'User "alice" cannot get resource "pods/log" in API group "" in the namespace "d"');
    assert.equal(forbiddenMessage(alice, { resourceRequest: false, verb: 'get', path: '/metrics' }), 'User "alice" cannot get path "/metrics"');
  });
});

describe('escalation: covers', () => {
  it('an owner covers a rule when every atomic permission of it is allowed', async () => {
    const { covers, uncovered } = await import('./rbac-escalation.js');
    const owner = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'] }, { verbs: ['get'], nonResourceURLs: ['/apis/*'] }];
    assert.ok(covers(owner, { verbs: ['get'], apiGroups: [''], resources: ['pods'] }));
    assert.ok(covers(owner, { verbs: ['list'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }));
    assert.ok(covers(owner, { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }));
    assert.ok(covers(owner, { verbs: ['get'], nonResourceURLs: ['/apis/apps'] }));
    assert.ok(!covers(owner, { verbs: ['*'], apiGroups: [''], resources: ['pods'] }), 'a * verb needs a * verb');
    assert.ok(!covers(owner, { verbs: ['get'], apiGroups: [''], resources: ['pods/exec'] }));
    assert.deepEqual(uncovered(owner, [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }]), [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]);
    const named = [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['one'] }];
    assert.ok(covers(named, { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['one'] }));
    assert.ok(!covers(named, { verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }), 'names restrict the owner');
    assert.ok(covers([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], { verbs: ['escalate'], apiGroups: ['x.io'], resources: ['*/scale'] }));
  });
});
