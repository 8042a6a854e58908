/**
 * The OCI Distribution Specification's error codes, each with the HTTP status and the message
 * distribution answers with, and the JSON body every error response carries:
 * `{"errors":[{"code","message","detail"}]}`.
 */

export const ERROR_CODES = {
  BLOB_UNKNOWN: [404, 'blob unknown to registry'],
  BLOB_UPLOAD_INVALID: [400, 'blob upload invalid'],
  BLOB_UPLOAD_UNKNOWN: [404, 'blob upload unknown to registry'],
  DIGEST_INVALID: [400, 'provided digest did not match uploaded content'],
  MANIFEST_BLOB_UNKNOWN: [400, 'manifest references a manifest or blob unknown to registry'],
  MANIFEST_INVALID: [400, 'manifest invalid'],
  MANIFEST_UNKNOWN: [404, 'manifest unknown to registry'],
  NAME_INVALID: [400, 'invalid repository name'],
  NAME_UNKNOWN: [404, 'repository name not known to registry'],
  SIZE_INVALID: [400, 'provided length did not match content length'],
  UNAUTHORIZED: [401, 'authentication required'],
  DENIED: [403, 'requested access to the resource is denied'],
  UNSUPPORTED: [405, 'the operation is unsupported'],
  TOOMANYREQUESTS: [429, 'too many requests'],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error a handler throws; the server answers it with its status and the spec's body. */
export class RegistryError extends Error {
  readonly status: number;
  /** Headers the response carries besides the body (WWW-Authenticate, Range...). */
  readonly headers: Record<string, string>;
  constructor(
    readonly code: ErrorCode,
    readonly detail?: unknown,
    opts: { status?: number; message?: string; headers?: Record<string, string> } = {},
  ) {
    super(opts.message ?? ERROR_CODES[code][1]);
    this.name = 'RegistryError';
    this.status = opts.status ?? ERROR_CODES[code][0];
    this.headers = opts.headers ?? {};
  }

  body(): string {
    const e: { code: string; message: string; detail?: unknown } = { code: this.code, message: this.message };
    if (this.detail !== undefined) e.detail = this.detail;
    return JSON.stringify({ errors: [e] });
  }
}

export const regError = (code: ErrorCode, detail?: unknown, opts?: ConstructorParameters<typeof RegistryError>[2]): RegistryError =>
  new RegistryError(code, detail, opts);
