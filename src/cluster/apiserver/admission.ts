/**
 * Admission of a create or update before it is stored: the ServiceAccount plugin for pods and
 * RBAC's escalation check for roles and bindings, for the user the request acts as.
 */
import type { ResourceTable, ResourceType } from '../types/resources.js';
import { admitServiceAccount } from './admission-serviceaccount.js';
import type { UserInfo } from './authn.js';
import type { Obj } from './object.js';
import { checkEscalation } from './rbac-escalation.js';
import type { RbacAuthorizer } from './rbac.js';
import type { RestStorage } from './rest.js';

export interface AdmissionContext {
  readonly rest: RestStorage;
  readonly types: ResourceTable;
  readonly authz: RbacAuthorizer;
}

export async function admit(ctx: AdmissionContext, user: UserInfo | undefined, op: 'create' | 'update', t: ResourceType, namespace: string | undefined, body: Obj): Promise<Obj> {
  if (t.group === 'rbac.authorization.k8s.io' && user) await checkEscalation(ctx.authz, user, t.resource, namespace, body);
  if (op === 'create') return admitServiceAccount(ctx.rest, ctx.types, t, namespace, body);
  return body;
}
