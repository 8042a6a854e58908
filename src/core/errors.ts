/**
 * Errors that callers catch and turn into API responses. Each carries the HTTP status the Docker
 * Engine API uses for it; the message is what the user sees, in docker's wording.
 */
export abstract class EngineError extends Error {
  abstract readonly status: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 400: the request names an invalid option or value. */
export class InvalidArgument extends EngineError {
  readonly status = 400;
}

/** 403: the operation is not allowed on this object (a predefined network, an active endpoint). */
export class Forbidden extends EngineError {
  readonly status = 403;
}

/** 404: no such image, container, volume... */
export class NotFound extends EngineError {
  readonly status = 404;
}

/** 409: a name in use, a container in the wrong state, an image still used. */
export class Conflict extends EngineError {
  readonly status = 409;
}

/** 304: the operation had nothing to do (start of a running container, stop of a stopped one). */
export class NotModified extends EngineError {
  readonly status = 304;
}

/** 503: the service is not available in this engine's state (swarm endpoints outside a swarm). */
export class Unavailable extends EngineError {
  readonly status = 503;
}

/** 501: a feature this engine does not have. */
export class NotImplemented extends EngineError {
  readonly status = 501;
}

/** 500 with a message: the engine or the runtime failed. */
export class SystemError extends EngineError {
  readonly status = 500;
}

export function statusOf(err: unknown): number {
  return err instanceof EngineError ? err.status : 500;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** True for a Node system error with the given code (ENOENT, EEXIST...). */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
