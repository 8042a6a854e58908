/**
 * Errors as metav1.Status, in kube-apiserver's wording (k8s.io/apimachinery/pkg/api/errors):
 * handlers throw ApiError and the server writes its status().
 */
import type { ResourceType } from '../types/resources.js';

export type StatusReason =
  | 'BadRequest' | 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid' | 'MethodNotAllowed' | 'Expired' | 'Gone'
  | 'RequestEntityTooLarge' | 'NotAcceptable' | 'UnsupportedMediaType' | 'Unauthorized' | 'Forbidden' | 'InternalError' | 'Timeout';

export interface StatusCause {
  readonly reason?: string;
  readonly message: string;
  readonly field?: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly causes?: readonly StatusCause[];
}

export interface Status {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure' | 'Success';
  readonly message?: string;
  readonly reason?: StatusReason;
  readonly details?: StatusDetails;
  readonly code: number;
}

export class ApiError extends Error {
  constructor(readonly code: number, readonly reason: StatusReason, message: string, readonly details?: StatusDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
  }

  status(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    return this.details === undefined ? s : { ...s, details: this.details };
  }
}

/** `configmaps` or `deployments.apps`: how kube-apiserver names a group resource in messages. */
export function qualified(t: Pick<ResourceType, 'group' | 'resource'>): string {
  return t.group === '' ? t.resource : `${t.resource}.${t.group}`;
}

function resourceDetails(t: Pick<ResourceType, 'group' | 'resource'>, name: string): StatusDetails {
  return t.group === '' ? { name, kind: t.resource } : { name, group: t.group, kind: t.resource };
}

export function notFound(t: Pick<ResourceType, 'group' | 'resource'>, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(t)} "${name}" not found`, resourceDetails(t, name));
}

export function alreadyExists(t: Pick<ResourceType, 'group' | 'resource'>, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(t)} "${name}" already exists`, resourceDetails(t, name));
}

export function conflict(t: Pick<ResourceType, 'group' | 'resource'>, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${name}": ${why}`, resourceDetails(t, name));
}

export function invalid(t: Pick<ResourceType, 'group' | 'kind'>, name: string, causes: readonly StatusCause[]): ApiError {
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  const details: StatusDetails = t.group === '' ? { name, kind: t.kind, causes } : { name, group: t.group, kind: t.kind, causes };
  return new ApiError(422, 'Invalid', `${t.kind} "${name}" is invalid: ${summary}`, details);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}
