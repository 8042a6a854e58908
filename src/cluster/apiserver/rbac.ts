/**
 * RBAC authorization (plugin/pkg/auth/authorizer/rbac): the request's attributes are checked
 * against the rules of every ClusterRole bound to the user by a ClusterRoleBinding, and, for a
 * namespaced request, of every Role or ClusterRole bound in that namespace by a RoleBinding.
 * ClusterRoles with an aggregationRule get the rules of the ClusterRoles their selectors match
 * (what the clusterrole-aggregation controller writes), resolved here when evaluated.
 */
import type { UserInfo } from './authn.js';

export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

export interface Subject {
  readonly kind: string;
  readonly apiGroup?: string;
  readonly name: string;
  readonly namespace?: string;
}

export interface RoleRef {
  readonly apiGroup: string;
  readonly kind: string;
  readonly name: string;
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: string; readonly values?: readonly string[] }[];
}

export interface Role {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly rules: readonly PolicyRule[];
  readonly aggregationRule?: { readonly clusterRoleSelectors?: readonly LabelSelector[] };
}

export interface Binding {
  readonly name: string;
  readonly namespace?: string;
  readonly subjects: readonly Subject[];
  readonly roleRef: RoleRef;
}

/** k8s.io/apiserver's authorizer.Attributes. */
export type Attributes =
  | {
    readonly resourceRequest: true;
    readonly verb: string;
    readonly apiGroup: string;
    readonly apiVersion?: string;
    readonly resource: string;
    readonly subresource: string;
    readonly namespace: string;
    readonly name: string;
  }
  | { readonly resourceRequest: false; readonly verb: string; readonly path: string };

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === '*' || g === group);
}

/** `pods`, `pods/log`, `*` and `*‍/scale` (any resource's scale subresource). */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource === '' ? resource : `${resource}/${subresource}`;
  return (rule.resources ?? []).some((r) => r === '*' || r === combined || (subresource !== '' && r === `*/${subresource}`));
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));
}

export function ruleAllows(a: Attributes, rule: PolicyRule): boolean {
  if (a.resourceRequest) {
    return verbMatches(rule, a.verb) && apiGroupMatches(rule, a.apiGroup) && resourceMatches(rule, a.resource, a.subresource) && resourceNameMatches(rule, a.name);
  }
  return verbMatches(rule, a.verb) && nonResourceURLMatches(rule, a.path);
}

/** Whether the subject names this user (a User, one of its Groups, or its ServiceAccount). */
export function appliesTo(user: UserInfo, s: Subject, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User': return s.name === user.name;
    case 'Group': return user.groups.includes(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace === undefined || s.namespace === '' ? bindingNamespace : s.namespace;
      return ns !== '' && user.name === `system:serviceaccount:${ns}:${s.name}`;
    }
    default: return false;
  }
}

export function labelsMatch(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const values = e.values ?? [];
    if (e.operator === 'In' && !(has && values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** The roles and bindings in force (the REST storage in the server; fixed lists in tests). */
export interface PolicySource {
  clusterRoles(): Promise<readonly Role[]>;
  clusterRoleBindings(): Promise<readonly Binding[]>;
  roles(namespace: string): Promise<readonly Role[]>;
  roleBindings(namespace: string): Promise<readonly Binding[]>;
}

/** A ClusterRole's rules with aggregation resolved (its own rules when it has no aggregationRule). */
export function aggregatedRules(role: Role, all: readonly Role[]): PolicyRule[] {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (selectors === undefined) return [...role.rules];
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  for (const r of all) {
    if (r.name === role.name || !selectors.some((s) => labelsMatch(s, r.labels ?? {}))) continue;
    for (const rule of r.rules) {
      const key = JSON.stringify(rule);
      if (!seen.has(key)) {
        seen.add(key);
        out.push(rule);
      }
    }
  }
  return out;
}

export interface Decision {
  readonly allowed: boolean;
  readonly reason: string;
}

/** Groups whose members may do anything, before any rule is read (kube-apiserver's privileged groups). */
const PRIVILEGED_GROUPS = ['system:masters'];

export class RbacAuthorizer {
  constructor(private readonly source: PolicySource) {}

  async authorize(user: UserInfo, a: Attributes): Promise<Decision> {
    if (user.groups.some((g) => PRIVILEGED_GROUPS.includes(g))) return { allowed: true, reason: '' };
    let reason = '';
    const allowed = await this.visitRules(user, a.resourceRequest ? a.namespace : '', (source, rule) => {
      if (!ruleAllows(a, rule)) return false;
      reason = `RBAC: allowed by ${source}`;
      return true;
    });
    return { allowed, reason };
  }

  /** Every rule that applies to the user in the namespace ('' for cluster-wide only). */
  async rulesFor(user: UserInfo, namespace: string): Promise<PolicyRule[]> {
    const rules: PolicyRule[] = [];
    await this.visitRules(user, namespace, (_s, rule) => {
      rules.push(rule);
      return false;
    });
    return rules;
  }

  /** The rules of a Role in namespace or a ClusterRole (aggregation resolved); undefined when absent. */
  async roleRules(kind: string, name: string, namespace: string): Promise<PolicyRule[] | undefined> {
    if (kind === 'Role') return (await this.source.roles(namespace)).find((r) => r.name === name)?.rules.slice();
    if (kind !== 'ClusterRole') return undefined;
    const all = await this.source.clusterRoles();
    const r = all.find((x) => x.name === name);
    return r && aggregatedRules(r, all);
  }

  /** Calls visit for each rule bound to the user, until it returns true; returns whether it did. */
  private async visitRules(user: UserInfo, namespace: string, visit: (source: string, rule: PolicyRule) => boolean): Promise<boolean> {
    const clusterRoles = await this.source.clusterRoles();
    const clusterRole = (name: string): PolicyRule[] | undefined => {
      const r = clusterRoles.find((x) => x.name === name);
      return r && aggregatedRules(r, clusterRoles);
    };
    for (const b of await this.source.clusterRoleBindings()) {
      if (b.roleRef.kind !== 'ClusterRole') continue;
      const subject = b.subjects.find((s) => appliesTo(user, s, ''));
      if (!subject) continue;
      const source = `ClusterRoleBinding ${JSON.stringify(b.name)} of ClusterRole ${JSON.stringify(b.roleRef.name)} to ${describeSubject(subject, '')}`;
      for (const rule of clusterRole(b.roleRef.name) ?? []) if (visit(source, rule)) return true;
    }
    if (namespace === '') return false;
    const bindings = await this.source.roleBindings(namespace);
    if (bindings.length === 0) return false;
    const roles = await this.source.roles(namespace);
    for (const b of bindings) {
      const subject = b.subjects.find((s) => appliesTo(user, s, namespace));
      if (!subject) continue;
      const rules = b.roleRef.kind === 'ClusterRole' ? clusterRole(b.roleRef.name) : b.roleRef.kind === 'Role' ? roles.find((r) => r.name === b.roleRef.name)?.rules : undefined;
      const source = `RoleBinding ${JSON.stringify(`${b.name}/${namespace}`)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(subject, namespace)}`;
      for (const rule of rules ?? []) if (visit(source, rule)) return true;
    }
    return false;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') {
    const ns = s.namespace === undefined || s.namespace === '' ? bindingNamespace : s.namespace;
    return `${s.kind} ${JSON.stringify(`${s.name}/${ns}`)}`;
  }
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

/**
 * kube-apiserver's forbidden message: `User "alice" cannot list resource "pods" in API group ""
 * in the namespace "default"` (the Status message prefixes the resource and name).
 */
export function forbiddenMessage(user: UserInfo, a: Attributes): string {
  if (!a.resourceRequest) return `User ${JSON.stringify(user.name)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
  const where = a.namespace !== '' ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `User ${JSON.stringify(user.name)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${where}`;
}
