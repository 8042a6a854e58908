/**
 * Server-side apply (PATCH application/apply-patch+yaml), as structured-merge-diff's Updater.Apply:
 * the configuration is merged into the live object; fields it changes that another manager owns
 * are conflicts (409, one FieldManagerConflict cause each) unless forced, when they change owner;
 * the applier then owns exactly the fields of its configuration, and fields it applied before and
 * no longer does are removed unless another manager owns them.
 */
import { apiVersionOf, type ResourceType } from '../types/resources.js';
import { applyMerge, pathString, removeFields, type PathKey } from './fieldset.js';
import { compare, decodeManaged, identity, ownedValues, setManaged, type Manager } from './managed-fields.js';
import { isObj, meta, timestamp, type Obj } from './object.js';
import type { Json } from './patch.js';
import { ApiError, badRequest, type StatusCause } from './status.js';

export const APPLY_PATCH_TYPE = 'application/apply-patch+yaml';

export interface ApplyRequest {
  readonly manager: string;
  readonly force: boolean;
}

/** The apply parameters of a PATCH's query: fieldManager is required; force takes fields from their owners. */
export function applyRequest(q: URLSearchParams): ApplyRequest {
  const manager = q.get('fieldManager') ?? '';
  if (manager === '') throw badRequest('fieldManager is required for apply requests');
  if (manager.length > 128) throw badRequest(`fieldManager: Too long: may not be more than 128 bytes`);
  const force = q.get('force');
  if (force !== null && !['true', 'false', '1', '0', ''].includes(force)) throw badRequest(`invalid force: ${force}`);
  return { manager, force: force === 'true' || force === '1' };
}

/** The applied configuration, checked as kube-apiserver checks it before merging. */
export function applyConfiguration(t: ResourceType, body: Json, name: string): Obj {
  if (!isObj(body)) throw badRequest('error decoding patch: the apply configuration is not an object');
  const apiVersion = apiVersionOf(t);
  if (typeof body.kind !== 'string' || body.kind === '') throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
  if (body.apiVersion !== apiVersion || body.kind !== t.kind) {
    throw badRequest(`the apply configuration's apiVersion and kind (${String(body.apiVersion as string)}, ${body.kind}) do not match the expected (${apiVersion}, ${t.kind})`);
  }
  const m = meta(body);
  if (m.name !== undefined && m.name !== name) throw badRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
  if (m.managedFields !== undefined) throw badRequest('metadata.managedFields must be nil');
  return body;
}

/**
 * The object after applying config to current (undefined: the object does not exist yet), with
 * its managedFields. Throws the Conflict Status when another manager owns a changed field.
 */
export function applyToObject(t: ResourceType, current: Obj | undefined, config: Obj, req: ApplyRequest, now = new Date()): Obj {
  const apiVersion = apiVersionOf(t);
  const live: Obj = current ? structuredClone(current) : { apiVersion, kind: t.kind, metadata: {} };
  const managers = decodeManaged(live);
  delete meta(live).managedFields;
  if (current !== undefined && managers.length === 0) {
    // An object no one manages yet: what is there belongs to "before-first-apply".
    const fields = new Set(ownedValues(t, live).keys());
    if (fields.size > 0) managers.push({ manager: 'before-first-apply', operation: 'Update', apiVersion, subresource: '', time: timestamp(now), fields });
  }
  const mine = { manager: req.manager, operation: 'Apply' as const, subresource: '' };
  const previous = managers.find((m) => identity(m) === identity(mine));
  const lastSet = previous?.fields ?? new Set<PathKey>();
  const configSet = new Set(ownedValues(t, config).keys());
  const merged = applyMerge(live, config) as Obj;
  const { changed, removed } = compare(ownedValues(t, live), ownedValues(t, merged));
  const conflicts: { m: Manager; path: PathKey }[] = [];
  for (const m of managers) {
    if (m === previous) continue;
    for (const k of m.fields) if (changed.has(k)) conflicts.push({ m, path: k });
  }
  if (conflicts.length > 0 && !req.force && !takesOverClientSideApply(t, live, req, conflicts)) throw conflictError(conflicts);
  for (const { m, path } of conflicts) m.fields.delete(path);
  for (const m of managers) for (const k of removed) m.fields.delete(k);
  const others = managers.filter((m) => m !== previous);
  const ownedByOthers = new Set(others.flatMap((m) => [...m.fields]));
  const owned = new Set([...ownedByOthers, ...configSet]);
  removeFields(merged, [...lastSet].filter((k) => !configSet.has(k) && !ownedByOthers.has(k)), owned);
  const after = ownedValues(t, merged);
  for (const m of others) for (const k of [...m.fields]) if (!after.has(k)) m.fields.delete(k);
  const unchanged = previous !== undefined && sameSet(previous.fields, configSet) && compare(ownedValues(t, live), after).changed.size === 0 && compare(ownedValues(t, live), after).removed.size === 0;
  const entry: Manager = { ...mine, apiVersion, time: unchanged && previous ? previous.time : timestamp(now), fields: configSet };
  setManaged(merged, [...others, entry]);
  if (req.manager === KUBECTL && meta(live).annotations?.[LAST_APPLIED] !== undefined) {
    // lastAppliedUpdater: kubectl's client-side apply, if used again, starts from this configuration.
    const c = structuredClone(config);
    delete meta(c).managedFields;
    meta(merged).annotations = { ...meta(merged).annotations, [LAST_APPLIED]: JSON.stringify(c) };
  }
  return merged;
}

const KUBECTL = 'kubectl';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * lastAppliedManager: kubectl's server-side apply takes over from its client-side apply the
 * fields whose live value is still the last-applied one, without a conflict.
 */
function takesOverClientSideApply(t: ResourceType, live: Obj, req: ApplyRequest, conflicts: readonly { path: PathKey }[]): boolean {
  const annotation = meta(live).annotations?.[LAST_APPLIED];
  if (req.manager !== KUBECTL || annotation === undefined) return false;
  let lastApplied: Json;
  try {
    lastApplied = JSON.parse(annotation) as Json;
  } catch {
    return false;
  }
  if (!isObj(lastApplied)) return false;
  const liveValues = ownedValues(t, live);
  const allowed = new Set([...ownedValues(t, lastApplied)].filter(([k, v]) => liveValues.get(k) === v).map(([k]) => k));
  return conflicts.every((c) => allowed.has(c.path));
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

/** printManager: an Update manager is named with its apiVersion (and subresource). */
function describe(m: Manager): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource !== '') s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

function conflictError(conflicts: readonly { m: Manager; path: PathKey }[]): ApiError {
  const causes: StatusCause[] = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describe(c.m)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describe(conflicts[0].m)}: ${pathString(conflicts[0].path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const d = describe(c.m);
      byManager.set(d, [...byManager.get(d) ?? [], pathString(c.path)]);
    }
    const lines = [...byManager.keys()].sort().flatMap((d) => [`conflicts with ${d}:`, ...(byManager.get(d) ?? []).map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}
