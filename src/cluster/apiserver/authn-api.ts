/**
 * The authentication API the server answers itself (nothing stored): the TokenRequest
 * subresource of ServiceAccounts (`kubectl create token`), authentication.k8s.io/v1
 * TokenReview and SelfSubjectReview (`kubectl auth whoami`), and the OIDC discovery documents.
 */
import type { ResourceTable } from '../types/resources.js';
import { ANONYMOUS, type Authenticator, type ObjectUids, type UserInfo } from './authn.js';
import { isObj, meta, timestamp, type Obj } from './object.js';
import type { RestStorage } from './rest.js';
import type { BoundObject } from './serviceaccount-token.js';
import { ApiError, badRequest, invalid, methodNotAllowed } from './status.js';

export interface AuthnApiContext {
  readonly types: ResourceTable;
  readonly rest: RestStorage;
  readonly authn: Authenticator;
}

export interface Answer {
  readonly status: number;
  readonly body: Obj;
}

const AUTHN_GV = 'authentication.k8s.io/v1';

/** Paths served whatever the RBAC rules say about storage (the authorizer still decides who). */
export async function serveAuthnApi(ctx: AuthnApiContext, method: string, parts: readonly string[], user: UserInfo, body: () => Promise<Obj>): Promise<Answer | undefined> {
  const path = parts.join('/');
  if (path === '.well-known/openid-configuration') return get(method, ctx.authn.signer.openIdConfiguration());
  if (path === 'openid/v1/jwks') return get(method, ctx.authn.signer.jwks());
  if (parts.length === 7 && parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'namespaces' && parts[4] === 'serviceaccounts' && parts[6] === 'token') {
    if (method !== 'POST') throw methodNotAllowed();
    return { status: 201, body: await tokenRequest(ctx, parts[3], parts[5], await body()) };
  }
  if (parts[0] === 'apis' && parts[1] === 'authentication.k8s.io' && parts[2] === 'v1' && parts.length === 4) {
    if (parts[3] === 'tokenreviews') {
      if (method !== 'POST') throw methodNotAllowed();
      return { status: 201, body: await tokenReview(ctx, await body()) };
    }
    if (parts[3] === 'selfsubjectreviews') {
      if (method !== 'POST') throw methodNotAllowed();
      await body();
      return { status: 201, body: { kind: 'SelfSubjectReview', apiVersion: AUTHN_GV, metadata: { creationTimestamp: null }, status: { userInfo: userInfoJson(user) } } };
    }
  }
  return undefined;
}

function get(method: string, body: Obj): Answer {
  if (method !== 'GET') throw methodNotAllowed();
  return { status: 200, body };
}

export function userInfoJson(u: UserInfo): Obj {
  const o: Obj = { username: u.name };
  if (u.uid !== undefined && u.uid !== '') o.uid = u.uid;
  if (u.groups.length > 0) o.groups = [...u.groups];
  if (u.extra && Object.keys(u.extra).length > 0) o.extra = Object.fromEntries(Object.entries(u.extra).map(([k, v]) => [k, [...v]]));
  return o;
}

const TOKEN_REQUEST = { group: 'authentication.k8s.io', kind: 'TokenRequest' };

async function tokenRequest(ctx: AuthnApiContext, namespace: string, name: string, req: Obj): Promise<Obj> {
  const saType = ctx.types.find('', 'v1', 'serviceaccounts');
  if (!saType) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const sa = await ctx.rest.get(saType, namespace, name);
  if (req.kind !== undefined && req.kind !== 'TokenRequest') throw badRequest(`the kind in the data (${String(req.kind as string)}) does not match the expected kind (TokenRequest)`);
  const spec = isObj(req.spec) ? req.spec : {};
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.filter((a): a is string => typeof a === 'string') : [...ctx.authn.audiences];
  const seconds = spec.expirationSeconds === undefined || spec.expirationSeconds === null ? 3600 : spec.expirationSeconds;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds)) {
    throw invalid(TOKEN_REQUEST, name, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(seconds)}: must be an integer`, field: 'spec.expirationSeconds' }]);
  }
  if (seconds < 600) throw invalid(TOKEN_REQUEST, name, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${seconds}: may not specify a duration less than 10 minutes`, field: 'spec.expirationSeconds' }]);
  if (seconds > 2 ** 32) throw invalid(TOKEN_REQUEST, name, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${seconds}: may not specify a duration larger than 2^32 seconds`, field: 'spec.expirationSeconds' }]);
  let bound: BoundObject | undefined;
  if (isObj(spec.boundObjectRef)) bound = await boundObject(ctx, namespace, name, spec.boundObjectRef);
  const m = meta(sa);
  const { token, claims } = ctx.authn.signer.issue({ namespace, name, uid: m.uid ?? '' }, audiences, seconds, bound);
  const outSpec: Obj = { audiences, expirationSeconds: seconds, boundObjectRef: isObj(spec.boundObjectRef) ? spec.boundObjectRef : null };
  return {
    kind: 'TokenRequest', apiVersion: AUTHN_GV, metadata: { name, namespace, creationTimestamp: null },
    spec: outSpec, status: { token, expirationTimestamp: timestamp(new Date(claims.exp * 1000)) },
  };
}

async function boundObject(ctx: AuthnApiContext, namespace: string, name: string, ref: Obj): Promise<BoundObject> {
  const kind = ref.kind;
  const refName = typeof ref.name === 'string' ? ref.name : '';
  const bad = (message: string, field = 'spec.boundObjectRef.kind'): ApiError => invalid(TOKEN_REQUEST, name, [{ reason: 'FieldValueInvalid', message, field }]);
  if (kind !== 'Pod' && kind !== 'Secret' && kind !== 'Node') throw bad(`Unsupported value: ${JSON.stringify(kind ?? '')}: supported values: "Pod", "Secret", "Node"`);
  const t = ctx.types.find('', 'v1', kind === 'Pod' ? 'pods' : kind === 'Secret' ? 'secrets' : 'nodes');
  if (!t) throw bad(`Unsupported value: "${kind}"`);
  const o = await ctx.rest.get(t, kind === 'Node' ? undefined : namespace, refName);
  const uid = meta(o).uid ?? '';
  if (typeof ref.uid === 'string' && ref.uid !== '' && ref.uid !== uid) {
    throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${t.resource} "${refName}": the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  }
  return { kind, name: refName, uid };
}

async function tokenReview(ctx: AuthnApiContext, req: Obj): Promise<Obj> {
  const spec = isObj(req.spec) ? req.spec : {};
  const token = typeof spec.token === 'string' ? spec.token : '';
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.filter((a): a is string => typeof a === 'string') : undefined;
  const out: Obj = { kind: 'TokenReview', apiVersion: AUTHN_GV, metadata: { creationTimestamp: null }, spec };
  if (token === '') {
    out.status = { user: {}, error: 'token is required' };
    return out;
  }
  const user = await ctx.authn.token(token, audiences ?? ctx.authn.audiences);
  if (!user || user.name === ANONYMOUS.name) {
    out.status = { user: {}, error: '[invalid bearer token, service account token has been invalidated]' };
    return out;
  }
  out.status = { authenticated: true, user: userInfoJson(user), audiences: user.audiences ?? audiences ?? [...ctx.authn.audiences] };
  return out;
}

/** The uids the authenticator checks bound tokens against, read through the REST storage. */
export function objectUids(rest: RestStorage, types: ResourceTable): ObjectUids {
  const uid = async (resource: string, namespace: string, name: string): Promise<string | undefined> => {
    const t = types.find('', 'v1', resource);
    if (!t) return undefined;
    try {
      return meta(await rest.get(t, namespace, name)).uid;
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'NotFound') return undefined;
      throw err;
    }
  };
  return {
    serviceAccountUid: (ns, name) => uid('serviceaccounts', ns, name),
    podUid: (ns, name) => uid('pods', ns, name),
    secretUid: (ns, name) => uid('secrets', ns, name),
  };
}
