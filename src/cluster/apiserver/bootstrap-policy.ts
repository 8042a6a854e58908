/**
 * The ClusterRoles and ClusterRoleBindings kube-apiserver 1.32 makes at start
 * (plugin/pkg/auth/authorizer/rbac/bootstrappolicy), those that matter to a cluster with no
 * separate controller-manager or scheduler, reconciled as its RBAC post-start hook does: absent
 * ones created, those with `rbac.authorization.kubernetes.io/autoupdate: "true"` given back any
 * rule or subject they lost; an aggregated role's rules are those of the roles it selects.
 */
import type { ResourceTable } from '../types/resources.js';
import { isObj, meta, type Obj } from './object.js';
import type { Json } from './patch.js';
import { aggregatedRules, type PolicyRule, type Role } from './rbac.js';
import type { RestStorage } from './rest.js';
import { ApiError } from './status.js';

const RBAC = 'rbac.authorization.k8s.io';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const rule = (verbs: readonly string[], apiGroups: readonly string[], resources: readonly string[]): PolicyRule => ({ verbs, apiGroups, resources });
const urls = (verbs: readonly string[], nonResourceURLs: readonly string[]): PolicyRule => ({ verbs, nonResourceURLs });
const aggregateTo = (role: string): Record<string, string> => ({ [`${RBAC}/aggregate-to-${role}`]: 'true' });
const aggregation = (role: string): Role['aggregationRule'] => ({ clusterRoleSelectors: [{ matchLabels: aggregateTo(role) }] });

export const BOOTSTRAP_CLUSTER_ROLES: readonly Role[] = [
  { name: 'cluster-admin', rules: [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])] },
  { name: 'admin', rules: [], aggregationRule: aggregation('admin') },
  { name: 'edit', labels: aggregateTo('admin'), rules: [], aggregationRule: aggregation('edit') },
  { name: 'view', labels: aggregateTo('edit'), rules: [], aggregationRule: aggregation('view') },
  {
    name: 'system:aggregate-to-admin', labels: aggregateTo('admin'), rules: [
      rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
      rule([...WRITE, ...READ], [RBAC], ['rolebindings', 'roles']),
    ],
  },
  {
    name: 'system:aggregate-to-edit', labels: aggregateTo('edit'), rules: [
      rule(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
      rule(['impersonate'], [''], ['serviceaccounts']),
      rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
      rule(['create'], [''], ['pods/eviction']),
      rule(WRITE, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
      rule(['create'], [''], ['serviceaccounts/token']),
      rule(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale']),
      rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
      rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
      rule(WRITE, ['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale']),
      rule(WRITE, ['policy'], ['poddisruptionbudgets']),
      rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
      rule(WRITE, ['coordination.k8s.io'], ['leases']),
    ],
  },
  {
    name: 'system:aggregate-to-view', labels: aggregateTo('view'), rules: [
      rule(READ, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status']),
      rule(READ, [''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status']),
      rule(READ, [''], ['namespaces']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(READ, ['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status']),
      rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
      rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
      rule(READ, ['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale']),
      rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
      rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
      rule(READ, ['coordination.k8s.io'], ['leases']),
    ],
  },
  {
    name: 'system:discovery', rules: [
      urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/']),
    ],
  },
  { name: 'system:public-info-viewer', rules: [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])] },
  {
    name: 'system:basic-user', rules: [
      rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ],
  },
  { name: 'system:monitoring', rules: [urls(['get'], ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*'])] },
  {
    name: 'system:service-account-issuer-discovery', rules: [
      urls(['get'], ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/']),
    ],
  },
  {
    name: 'system:auth-delegator', rules: [
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    ],
  },
  {
    name: 'system:node-proxier', rules: [
      rule(['list', 'watch'], [''], ['endpoints', 'services']),
      rule(['get', 'list', 'watch'], [''], ['nodes']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
      rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
    ],
  },
];

interface BootstrapBinding {
  readonly name: string;
  readonly role: string;
  readonly subjects: readonly { readonly kind: 'Group' | 'User'; readonly name: string }[];
}

export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly BootstrapBinding[] = [
  { name: 'cluster-admin', role: 'cluster-admin', subjects: [{ kind: 'Group', name: 'system:masters' }] },
  { name: 'system:discovery', role: 'system:discovery', subjects: [{ kind: 'Group', name: 'system:authenticated' }] },
  { name: 'system:basic-user', role: 'system:basic-user', subjects: [{ kind: 'Group', name: 'system:authenticated' }] },
  { name: 'system:public-info-viewer', role: 'system:public-info-viewer', subjects: [{ kind: 'Group', name: 'system:authenticated' }, { kind: 'Group', name: 'system:unauthenticated' }] },
  { name: 'system:monitoring', role: 'system:monitoring', subjects: [{ kind: 'Group', name: 'system:monitoring' }] },
  { name: 'system:service-account-issuer-discovery', role: 'system:service-account-issuer-discovery', subjects: [{ kind: 'Group', name: 'system:serviceaccounts' }] },
  { name: 'system:node-proxier', role: 'system:node-proxier', subjects: [{ kind: 'User', name: 'system:kube-proxy' }] },
];

const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';

/** Creates or reconciles the bootstrap ClusterRoles and ClusterRoleBindings. */
export async function reconcileBootstrapPolicy(rest: RestStorage, types: ResourceTable): Promise<void> {
  const roleType = types.find(RBAC, 'v1', 'clusterroles');
  const bindingType = types.find(RBAC, 'v1', 'clusterrolebindings');
  if (!roleType || !bindingType) return;
  const resolved = BOOTSTRAP_CLUSTER_ROLES.map((r) => ({ ...r, rules: aggregatedRules(r, BOOTSTRAP_CLUSTER_ROLES) }));
  for (const r of resolved) {
    const want: Obj = {
      metadata: { name: r.name, labels: { ...BOOTSTRAP_LABELS, ...r.labels }, annotations: { [AUTOUPDATE]: 'true' } },
      rules: r.rules.map(ruleJson),
    };
    if (r.aggregationRule) want.aggregationRule = r.aggregationRule as unknown as Json;
    await ensure(rest, roleType, r.name, want, (current) => {
      const have = Array.isArray(current.rules) ? current.rules : [];
      const keys = new Set(have.map((x) => JSON.stringify(x)));
      const missing = (want.rules as Json[]).filter((x) => !keys.has(JSON.stringify(x)));
      if (missing.length === 0) return undefined;
      return { ...current, rules: [...have, ...missing] };
    });
  }
  for (const b of BOOTSTRAP_CLUSTER_ROLE_BINDINGS) {
    const subjects = b.subjects.map((s) => ({ kind: s.kind, apiGroup: RBAC, name: s.name }));
    const want: Obj = {
      metadata: { name: b.name, labels: { ...BOOTSTRAP_LABELS }, annotations: { [AUTOUPDATE]: 'true' } },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: b.role }, subjects,
    };
    await ensure(rest, bindingType, b.name, want, (current) => {
      const have = Array.isArray(current.subjects) ? current.subjects : [];
      const keys = new Set(have.map((x) => (isObj(x) ? `${String(x.kind as string)}/${String(x.name as string)}` : '')));
      const missing = subjects.filter((s) => !keys.has(`${s.kind}/${s.name}`));
      if (missing.length === 0) return undefined;
      return { ...current, subjects: [...have, ...missing] };
    });
  }
}

function ruleJson(r: PolicyRule): Obj {
  const o: Obj = { verbs: [...r.verbs] };
  if (r.apiGroups) o.apiGroups = [...r.apiGroups];
  if (r.resources) o.resources = [...r.resources];
  if (r.resourceNames) o.resourceNames = [...r.resourceNames];
  if (r.nonResourceURLs) o.nonResourceURLs = [...r.nonResourceURLs];
  return o;
}

/** Creates want, or applies fix to the current object when it may be auto-updated. */
async function ensure(rest: RestStorage, t: NonNullable<ReturnType<ResourceTable['find']>>, name: string, want: Obj, fix: (current: Obj) => Obj | undefined): Promise<void> {
  let current: Obj;
  try {
    current = await rest.get(t, undefined, name);
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
    try {
      await rest.create(t, undefined, want, false);
      return;
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'AlreadyExists') return;
      throw e;
    }
  }
  if (meta(current).annotations?.[AUTOUPDATE] === 'false') return;
  const next = fix(current);
  if (next) await rest.update(t, undefined, name, next, false);
}
