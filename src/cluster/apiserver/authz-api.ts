/**
 * authorization.k8s.io/v1, answered by the RBAC authorizer and never stored: SubjectAccessReview,
 * LocalSubjectAccessReview, SelfSubjectAccessReview (`kubectl auth can-i VERB RESOURCE`) and
 * SelfSubjectRulesReview (`kubectl auth can-i --list`).
 */
import type { UserInfo } from './authn.js';
import type { Answer } from './authn-api.js';
import { isObj, type Obj } from './object.js';
import type { Json } from './patch.js';
import type { Attributes, PolicyRule, RbacAuthorizer } from './rbac.js';
import { ApiError, badRequest, invalid, methodNotAllowed } from './status.js';

const GROUP = 'authorization.k8s.io';
const REVIEWS: Record<string, string> = {
  subjectaccessreviews: 'SubjectAccessReview', selfsubjectaccessreviews: 'SelfSubjectAccessReview',
  selfsubjectrulesreviews: 'SelfSubjectRulesReview', localsubjectaccessreviews: 'LocalSubjectAccessReview',
};

/** parts: the URL path's segments; undefined when the path is not one of these reviews. */
export async function serveAuthzApi(authz: RbacAuthorizer, method: string, parts: readonly string[], user: UserInfo, body: () => Promise<Obj>): Promise<Answer | undefined> {
  if (parts[0] !== 'apis' || parts[1] !== GROUP || parts[2] !== 'v1') return undefined;
  let namespace: string | undefined;
  let resource: string;
  if (parts.length === 4) resource = parts[3];
  else if (parts.length === 6 && parts[3] === 'namespaces' && parts[5] === 'localsubjectaccessreviews') [namespace, resource] = [parts[4], parts[5]];
  else return undefined;
  const kind = REVIEWS[resource];
  if (kind === undefined || (resource === 'localsubjectaccessreviews') !== (namespace !== undefined)) return undefined;
  if (method !== 'POST') throw methodNotAllowed();
  const req = await body();
  if (req.kind !== undefined && req.kind !== kind) throw badRequest(`the kind in the data (${String(req.kind as string)}) does not match the expected kind (${kind})`);
  const spec = isObj(req.spec) ? req.spec : {};
  const out = (status: Obj): Answer => ({
    status: 201,
    body: { kind, apiVersion: `${GROUP}/v1`, metadata: { ...(isObj(req.metadata) ? req.metadata : {}), creationTimestamp: null }, spec, status },
  });
  if (kind === 'SelfSubjectRulesReview') {
    const ns = typeof spec.namespace === 'string' ? spec.namespace : '';
    const rules = await authz.rulesFor(user, ns);
    return out({
      resourceRules: rules.filter((r) => (r.resources ?? []).length > 0 || (r.apiGroups ?? []).length > 0).map(resourceRuleJson),
      nonResourceRules: rules.filter((r) => (r.nonResourceURLs ?? []).length > 0).map((r) => ({ verbs: [...r.verbs], nonResourceURLs: [...(r.nonResourceURLs ?? [])] })),
      incomplete: false,
    });
  }
  const attrs = attributesOf(kind, spec, namespace);
  let subject = user;
  if (kind !== 'SelfSubjectAccessReview') {
    const name = typeof spec.user === 'string' ? spec.user : '';
    const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [];
    if (name === '' && groups.length === 0) throw invalid({ group: GROUP, kind }, '', [{ reason: 'FieldValueInvalid', message: 'Invalid value: "": at least one of user or group must be specified', field: 'spec.user' }]);
    subject = { name, groups, uid: typeof spec.uid === 'string' ? spec.uid : undefined, extra: extraOf(spec.extra) };
  }
  const d = await authz.authorize(subject, attrs);
  const status: Obj = { allowed: d.allowed };
  if (d.reason !== '') status.reason = d.reason;
  return out(status);
}

function attributesOf(kind: string, spec: Obj, namespace: string | undefined): Attributes {
  const ra = isObj(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const na = isObj(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  if ((ra === undefined) === (na === undefined)) {
    const cause = { reason: 'FieldValueInvalid', message: `Invalid value: ${ra === undefined ? '"null"' : 'resourceAttributes'}: exactly one of nonResourceAttributes or resourceAttributes must be specified`, field: 'spec.resourceAttributes' };
    throw invalid({ group: GROUP, kind }, '', [cause]);
  }
  const s = (v: Json | undefined): string => (typeof v === 'string' ? v : '');
  if (na) return { resourceRequest: false, verb: s(na.verb), path: s(na.path) };
  const r = ra as Obj;
  if (namespace !== undefined && s(r.namespace) !== namespace) {
    throw new ApiError(400, 'BadRequest', `spec.resourceAttributes.namespace must match namespace: ${namespace}`);
  }
  return {
    resourceRequest: true, verb: s(r.verb), apiGroup: s(r.group), apiVersion: s(r.version), resource: s(r.resource),
    subresource: s(r.subresource), namespace: s(r.namespace), name: s(r.name),
  };
}

function extraOf(v: Json | undefined): Record<string, string[]> | undefined {
  if (!isObj(v)) return undefined;
  const out: Record<string, string[]> = {};
  for (const [k, x] of Object.entries(v)) if (Array.isArray(x)) out[k] = x.filter((s): s is string => typeof s === 'string');
  return out;
}

function resourceRuleJson(r: PolicyRule): Obj {
  const o: Obj = { verbs: [...r.verbs], apiGroups: [...(r.apiGroups ?? [])], resources: [...(r.resources ?? [])] };
  if ((r.resourceNames ?? []).length > 0) o.resourceNames = [...(r.resourceNames ?? [])];
  return o;
}
