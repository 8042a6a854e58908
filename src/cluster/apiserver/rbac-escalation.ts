/**
 * RBAC's privilege-escalation prevention (pkg/registry/rbac): a Role or ClusterRole may be
 * written only by a user who holds every permission in it, or may `escalate` roles; a binding
 * only by one who holds every permission of the role it references, or may `bind` that role.
 */
import type { UserInfo } from './authn.js';
import { isObj, meta, type Obj } from './object.js';
import {
  apiGroupMatches, nonResourceURLMatches, resourceMatches, resourceNameMatches, verbMatches,
  type PolicyRule, type RbacAuthorizer,
} from './rbac.js';
import { ApiError } from './status.js';

const RBAC = 'rbac.authorization.k8s.io';

/** Whether the owner's rules cover every atomic permission of rule (kube's validation.Covers). */
export function covers(owner: readonly PolicyRule[], rule: PolicyRule): boolean {
  return uncovered(owner, [rule]).length === 0;
}

/** The requested rules broken into the atomic ones that no owner rule allows. */
export function uncovered(owner: readonly PolicyRule[], requested: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const r of requested) {
    for (const verb of r.verbs) {
      for (const url of r.nonResourceURLs ?? []) {
        if (!owner.some((o) => verbMatches(o, verb) && nonResourceURLMatches(o, url))) missing.push({ verbs: [verb], nonResourceURLs: [url] });
      }
      for (const group of r.apiGroups ?? []) {
        for (const resource of r.resources ?? []) {
          const slash = resource.indexOf('/');
          const [res, sub] = slash < 0 || resource.startsWith('*/') ? [resource, ''] : [resource.slice(0, slash), resource.slice(slash + 1)];
          const names = (r.resourceNames ?? []).length > 0 ? (r.resourceNames ?? []) : [undefined];
          for (const name of names) {
            const ok = owner.some((o) => verbMatches(o, verb) && apiGroupMatches(o, group) && resourceMatches(o, res, sub)
              && (name === undefined ? (o.resourceNames ?? []).length === 0 : resourceNameMatches(o, name)));
            if (!ok) missing.push({ verbs: [verb], apiGroups: [group], resources: [resource], ...(name === undefined ? {} : { resourceNames: [name] }) });
          }
        }
      }
    }
  }
  return missing;
}

function rulesOf(o: Obj): PolicyRule[] {
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return (Array.isArray(o.rules) ? o.rules : []).filter(isObj).map((r) => ({
    verbs: strings(r.verbs), apiGroups: strings(r.apiGroups), resources: strings(r.resources),
    resourceNames: strings(r.resourceNames), nonResourceURLs: strings(r.nonResourceURLs),
  }));
}

function describeRule(r: PolicyRule): string {
  const q = (xs: readonly string[] | undefined): string => `[${(xs ?? []).map((x) => JSON.stringify(x)).join(' ')}]`;
  const parts: string[] = [];
  if (r.apiGroups) parts.push(`APIGroups:${q(r.apiGroups)}`);
  if (r.resources) parts.push(`Resources:${q(r.resources)}`);
  if (r.resourceNames) parts.push(`ResourceNames:${q(r.resourceNames)}`);
  if (r.nonResourceURLs) parts.push(`NonResourceURLs:${q(r.nonResourceURLs)}`);
  parts.push(`Verbs:${q(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

function escalationError(resource: string, name: string, user: UserInfo, missing: readonly PolicyRule[]): ApiError {
  const why = `user ${JSON.stringify(user.name)} (groups=[${user.groups.map((g) => JSON.stringify(g)).join(' ')}]) is attempting to grant RBAC permissions not currently held:\n${missing.map(describeRule).join('\n')}`;
  return new ApiError(403, 'Forbidden', `${resource}.${RBAC} ${JSON.stringify(name)} is forbidden: ${why}`, { name, group: RBAC, kind: resource });
}

/**
 * Refuses (403) a create or update of an RBAC object that would grant the user more than it
 * holds.
 */
export async function checkEscalation(authz: RbacAuthorizer, user: UserInfo, resource: string, namespace: string | undefined, body: Obj): Promise<void> {
  if (!['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'].includes(resource)) return;
  if (user.groups.includes('system:masters')) return;
  const ns = namespace ?? '';
  const name = meta(body).name ?? '';
  const allowedTo = async (verb: string, res: string, n: string): Promise<boolean> =>
    (await authz.authorize(user, { resourceRequest: true, verb, apiGroup: RBAC, resource: res, subresource: '', namespace: ns, name: n })).allowed;
  if (resource === 'roles' || resource === 'clusterroles') {
    // An aggregated ClusterRole's rules are the controller's to write.
    if (resource === 'clusterroles' && isObj(body.aggregationRule)) {
      if (await allowedTo('escalate', resource, name)) return;
      const missing = uncovered(await authz.rulesFor(user, ''), [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);
      if (missing.length > 0) throw escalationError(resource, name, user, missing);
      return;
    }
    const missing = uncovered(await authz.rulesFor(user, ns), rulesOf(body));
    if (missing.length === 0 || await allowedTo('escalate', resource, name)) return;
    throw escalationError(resource, name, user, missing);
  }
  const ref = isObj(body.roleRef) ? body.roleRef : {};
  const kind = typeof ref.kind === 'string' ? ref.kind : '';
  const roleName = typeof ref.name === 'string' ? ref.name : '';
  if (await allowedTo('bind', kind === 'Role' ? 'roles' : 'clusterroles', roleName)) return;
  const rules = await authz.roleRules(kind, roleName, ns);
  if (!rules) {
    const what = `${kind === 'Role' ? 'roles' : 'clusterroles'}.${RBAC} ${JSON.stringify(roleName)} not found`;
    throw new ApiError(403, 'Forbidden', `${resource}.${RBAC} ${JSON.stringify(name)} is forbidden: ${what}`, { name, group: RBAC, kind: resource });
  }
  const missing = uncovered(await authz.rulesFor(user, ns), rules);
  if (missing.length > 0) throw escalationError(resource, name, user, missing);
}
