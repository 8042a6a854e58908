/**
 * Authorization of a request (k8s.io/apiserver's WithAuthorization and WithImpersonation
 * filters): its attributes as RequestInfoFactory reads them from the URL, impersonation headers
 * checked with the `impersonate` verb, and RBAC's decision, refused with kube-apiserver's 403.
 */
import type { IncomingMessage } from 'node:http';
import type { ResourceTable } from '../types/resources.js';
import { withAuthenticated, type UserInfo } from './authn.js';
import { isObj, meta, stringMap, type Obj } from './object.js';
import { forbiddenMessage, type Attributes, type Binding, type PolicyRule, type PolicySource, type RbacAuthorizer, type Role } from './rbac.js';
import type { RestStorage } from './rest.js';
import { ApiError, qualified, type StatusDetails } from './status.js';

const NAMESPACE_SUBRESOURCES = ['status', 'finalize'];

/** The attributes of a request (method, raw URL path, query), as kube-apiserver's RequestInfo. */
export function requestAttributes(method: string, path: string, q: URLSearchParams): Attributes {
  const nonResource: Attributes = { resourceRequest: false, verb: method.toLowerCase(), path };
  let parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return nonResource;
  const prefix = parts[0];
  parts = parts.slice(1);
  let apiGroup = '';
  if (prefix === 'apis') {
    if (parts.length < 3) return nonResource;
    apiGroup = parts[0];
    parts = parts.slice(1);
  }
  const apiVersion = parts[0];
  parts = parts.slice(1);
  let verb: string;
  if (parts[0] === 'watch' || parts[0] === 'proxy') {
    verb = parts[0];
    parts = parts.slice(1);
  } else {
    verb = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? '';
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1];
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.includes(parts[2])) parts = parts.slice(2);
  }
  const resource = parts[0] ?? '';
  let name = parts[1] ?? '';
  const subresource = parts.length >= 3 ? parts[2] : '';
  if (name === '' && verb === 'get') verb = q.get('watch') === 'true' || q.get('watch') === '1' ? 'watch' : 'list';
  if (name === '' && verb === 'delete') verb = 'deletecollection';
  if (name === '' && (verb === 'list' || verb === 'watch')) {
    // A list or watch of one name (kubectl get pod NAME -w) is authorized as that name.
    const m = /(?:^|,)\s*metadata\.name\s*==?\s*([^,\s]+)/.exec(q.get('fieldSelector') ?? '');
    if (m) name = m[1];
  }
  return { resourceRequest: true, verb, apiGroup, apiVersion, resource, subresource, namespace, name };
}

/** kube-apiserver's 403 for a refused request (apierrors.NewForbidden). */
export function forbidden(user: UserInfo, a: Attributes, reason = ''): ApiError {
  const why = forbiddenMessage(user, a) + (reason === '' ? '' : `: ${reason}`);
  if (!a.resourceRequest) return new ApiError(403, 'Forbidden', `forbidden: ${why}`, {});
  const gr = { group: a.apiGroup, resource: a.resource };
  const details: StatusDetails = a.apiGroup === '' ? { name: a.name, kind: a.resource } : { name: a.name, group: a.apiGroup, kind: a.resource };
  const message = a.name === '' ? `${qualified(gr)} is forbidden: ${why}` : `${qualified(gr)} ${JSON.stringify(a.name)} is forbidden: ${why}`;
  return new ApiError(403, 'Forbidden', message, details);
}

/**
 * The user the request acts as: the authenticated one, or the one the Impersonate-* headers
 * name when the authenticated user may impersonate it (users, groups, uids, userextras).
 */
export async function impersonate(authz: RbacAuthorizer, req: IncomingMessage, user: UserInfo): Promise<UserInfo> {
  const h = req.headersDistinct;
  const asUser = h['impersonate-user']?.[0];
  const groups = h['impersonate-group'] ?? [];
  const uid = h['impersonate-uid']?.[0];
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith('impersonate-extra-') && v) extra[decodeURIComponent(k.slice('impersonate-extra-'.length))] = v;
  }
  if (asUser === undefined) {
    if (groups.length > 0 || uid !== undefined || Object.keys(extra).length > 0) {
      throw new ApiError(403, 'Forbidden', `Impersonate-Group, Impersonate-Extra and Impersonate-Uid need Impersonate-User`, {});
    }
    return user;
  }
  const checks: Attributes[] = [];
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(asUser);
  const target = (resource: string, name: string, apiGroup = '', namespace = '', subresource = ''): Attributes =>
    ({ resourceRequest: true, verb: 'impersonate', apiGroup, resource, subresource, namespace, name });
  checks.push(sa ? target('serviceaccounts', sa[2], '', sa[1]) : target('users', asUser));
  for (const g of groups) checks.push(target('groups', g));
  if (uid !== undefined) checks.push(target('uids', uid, 'authentication.k8s.io'));
  for (const [k, vs] of Object.entries(extra)) for (const v of vs) checks.push(target('userextras', v, 'authentication.k8s.io', '', k));
  for (const a of checks) {
    const d = await authz.authorize(user, a);
    if (!d.allowed) throw forbidden(user, a, d.reason);
  }
  const allGroups = [...groups];
  if (sa) allGroups.push('system:serviceaccounts', `system:serviceaccounts:${sa[1]}`);
  const out: UserInfo = { name: asUser, uid, groups: allGroups, extra: Object.keys(extra).length > 0 ? extra : undefined };
  if (asUser === 'system:anonymous') return { ...out, groups: allGroups.includes('system:unauthenticated') ? allGroups : [...allGroups, 'system:unauthenticated'] };
  return withAuthenticated(out);
}

/** The roles and bindings as the REST storage has them now (the watch cache keeps this in memory). */
export function storagePolicy(rest: RestStorage, types: ResourceTable): PolicySource {
  const t = (resource: string): NonNullable<ReturnType<ResourceTable['find']>> => {
    const found = types.find('rbac.authorization.k8s.io', 'v1', resource);
    if (!found) throw new Error(`no ${resource} type`);
    return found;
  };
  const all = async (resource: string, namespace?: string): Promise<Obj[]> => (await rest.list(t(resource), namespace, { labelSelector: null, fieldSelector: null })).items;
  return {
    clusterRoles: async () => (await all('clusterroles')).map(toRole),
    clusterRoleBindings: async () => (await all('clusterrolebindings')).map(toBinding),
    roles: async (ns) => (await all('roles', ns)).map(toRole),
    roleBindings: async (ns) => (await all('rolebindings', ns)).map(toBinding),
  };
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function toRule(o: unknown): PolicyRule {
  const r = isObj(o as Obj) ? (o as Obj) : {};
  return { verbs: strings(r.verbs), apiGroups: strings(r.apiGroups), resources: strings(r.resources), resourceNames: strings(r.resourceNames), nonResourceURLs: strings(r.nonResourceURLs) };
}

function toRole(o: Obj): Role {
  const m = meta(o);
  const agg = isObj(o.aggregationRule) ? o.aggregationRule : undefined;
  return {
    name: m.name ?? '', namespace: m.namespace, labels: stringMap(m.labels),
    rules: Array.isArray(o.rules) ? o.rules.map(toRule) : [],
    aggregationRule: agg && {
      clusterRoleSelectors: (Array.isArray(agg.clusterRoleSelectors) ? agg.clusterRoleSelectors : []).filter(isObj).map((s) => ({
        matchLabels: stringMap(s.matchLabels),
        matchExpressions: (Array.isArray(s.matchExpressions) ? s.matchExpressions : []).filter(isObj).map((e) => ({
          key: String(e.key as string), operator: String(e.operator as string), values: strings(e.values),
        })),
      })),
    },
  };
}

function toBinding(o: Obj): Binding {
  const m = meta(o);
  const ref = isObj(o.roleRef) ? o.roleRef : {};
  return {
    name: m.name ?? '', namespace: m.namespace,
    subjects: (Array.isArray(o.subjects) ? o.subjects : []).filter(isObj).map((s) => ({
      kind: String(s.kind as string), apiGroup: typeof s.apiGroup === 'string' ? s.apiGroup : undefined, name: String(s.name as string),
      namespace: typeof s.namespace === 'string' ? s.namespace : undefined,
    })),
    roleRef: { apiGroup: String(ref.apiGroup as string), kind: String(ref.kind as string), name: String(ref.name as string) },
  };
}
