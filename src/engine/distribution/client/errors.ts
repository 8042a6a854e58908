/**
 * What a registry or the way to it answers when something fails, in the words docker's
 * distribution client and dockerd use: the spec's error codes as `errcode` prints them
 * ("manifest unknown: manifest unknown"), network failures as Go's net/http prints them
 * (`Get "http://h:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused`), and the
 * wrapping dockerd adds on a pull ("manifest for x:tag not found: ...").
 */
import { EngineError } from '../../../core/errors.js';

/** One entry of the spec's error body `{"errors":[{"code","message","detail"}]}`. */
export interface ErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/**
 * A registry's error answer. The status is the HTTP status the registry gave (dockerd answers
 * with the status of the error code, as its statusCodeFromDistributionError).
 */
export class RegistryError extends EngineError {
  readonly status: number;
  constructor(readonly httpStatus: number, readonly errors: ErrorEntry[], message?: string) {
    super(message ?? (errors.map(errcodeText).join('; ') || 'unknown error'));
    this.status = statusFor(httpStatus);
  }

  /** The first error's code (MANIFEST_UNKNOWN, NAME_UNKNOWN, DENIED, UNAUTHORIZED...). */
  get code(): string {
    return this.errors[0]?.code ?? '';
  }
}

/** The registry (or the road to it) failed: the message says which and how, as Go does. */
export class TransportError extends EngineError {
  readonly status = 500;
}

/**
 * A registry wants Basic credentials and none were given: a 500 as from dockerd (a 401 would
 * make the docker CLI prompt for a login on a pull).
 */
export class NoCredentials extends EngineError {
  readonly status = 500;
}

/** A blob or manifest whose bytes do not hash to the digest asked for: nothing of it is kept. */
export class DigestMismatch extends EngineError {
  readonly status = 500;
}

function statusFor(httpStatus: number): number {
  if (httpStatus === 401 || httpStatus === 403 || httpStatus === 404 || httpStatus === 429) return httpStatus;
  if (httpStatus >= 400 && httpStatus < 500) return 400;
  return 500;
}

/** errcode.Error's text: the code in lower case with spaces, then the message. */
export function errcodeText(e: ErrorEntry): string {
  const code = e.code.toLowerCase().replace(/_/g, ' ');
  return e.message ? `${code}: ${e.message}` : code;
}

const HTTP_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 416: 'Requested Range Not Satisfiable', 429: 'Too Many Requests', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function statusText(status: number): string {
  return `${status} ${HTTP_TEXT[status] ?? ''}`.trim();
}

/** The default message of the spec's codes (what a client says when the body has none). */
const CODE_MESSAGES: Record<string, string> = {
  UNAUTHORIZED: 'authentication required',
  DENIED: 'requested access to the resource is denied',
  MANIFEST_UNKNOWN: 'manifest unknown',
  NAME_UNKNOWN: 'repository name not known to registry',
  BLOB_UNKNOWN: 'blob unknown to registry',
  TOOMANYREQUESTS: 'too many requests',
};

/**
 * The error of a 4xx/5xx answer, as distribution's HandleErrorResponse makes it: a bearer
 * challenge's `error` first (invalid_token, insufficient_scope), then the JSON body's errors,
 * `{"details": ...}` of token servers, else the status.
 */
export function errorFromResponse(status: number, body: Buffer, wwwAuthenticate?: string): RegistryError {
  const entries: ErrorEntry[] = [];
  if (wwwAuthenticate && /^bearer /i.test(wwwAuthenticate)) {
    const err = /error="([^"]*)"/.exec(wwwAuthenticate)?.[1];
    const desc = /error_description="([^"]*)"/.exec(wwwAuthenticate)?.[1];
    const code = err === 'invalid_token' ? 'UNAUTHORIZED' : err === 'insufficient_scope' ? 'DENIED' : undefined;
    if (code) entries.push({ code, message: desc || CODE_MESSAGES[code]! });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const obj = typeof parsed === 'object' && parsed !== null ? parsed as Record<string, unknown> : undefined;
  const list = Array.isArray(obj?.['errors']) ? obj['errors'] as unknown[] : [];
  for (const e of list) {
    if (typeof e !== 'object' || e === null) continue;
    const r = e as Record<string, unknown>;
    const code = typeof r['code'] === 'string' ? r['code'] : 'UNKNOWN';
    entries.push({ code, message: typeof r['message'] === 'string' ? r['message'] : CODE_MESSAGES[code] ?? '', detail: r['detail'] });
  }
  if (entries.length === 0 && status === 401) {
    const details = typeof obj?.['details'] === 'string' ? obj['details'] : undefined;
    entries.push({ code: 'UNAUTHORIZED', message: details ?? CODE_MESSAGES['UNAUTHORIZED']! });
  }
  if (entries.length === 0) {
    if (status >= 500 || body.length === 0) return new RegistryError(status, [], `received unexpected HTTP status: ${statusText(status)}`);
    const text = body.toString('utf8').trim().slice(0, 200);
    return new RegistryError(status, [], `error parsing HTTP ${status} response body: invalid character looking for beginning of value: ${JSON.stringify(text)}`);
  }
  return new RegistryError(status, entries);
}

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connect: connection refused',
  ECONNRESET: 'read: connection reset by peer',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  ETIMEDOUT: 'i/o timeout',
  EPIPE: 'write: broken pipe',
};

/**
 * A failed request in Go's words: `Get "URL": dial tcp ADDR: connect: connection refused`,
 * `... dial tcp: lookup HOST: no such host`, `http: server gave HTTP response to HTTPS client`.
 */
export function transportError(method: string, url: string, err: unknown): TransportError {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  const verb = method.charAt(0) + method.slice(1).toLowerCase();
  const addr = e.address ? (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`) : '';
  let what: string;
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') what = `dial tcp: lookup ${e.hostname ?? new URL(url).hostname}: no such host`;
  else if (e.code && ERRNO_TEXT[e.code] && e.syscall === 'connect') what = `dial tcp ${addr}: ${ERRNO_TEXT[e.code]}`;
  else if (e.code && ERRNO_TEXT[e.code]) what = ERRNO_TEXT[e.code]!;
  else if (e.code === 'EPROTO' || /wrong version number|packet length too long/i.test(e.message ?? '')) what = 'http: server gave HTTP response to HTTPS client';
  else if (e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || e.code === 'SELF_SIGNED_CERT_IN_CHAIN' || e.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') what = 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  else if (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID') what = `tls: failed to verify certificate: x509: ${e.message}`;
  else if (e.name === 'AbortError') what = 'context canceled';
  else what = e.message ?? String(err);
  return new TransportError(`${verb} "${url}": ${what}`, { cause: err });
}

/** Whether a pull or push may try the registry's next endpoint (https → http, mirror → origin). */
export function mayFallBack(err: unknown): boolean {
  return err instanceof TransportError;
}
