// Errors that callers of the cluster storage catch and handle. The API server maps them to
// Kubernetes Status objects: NotFound → 404, AlreadyExists → 409 AlreadyExists, Conflict → 409
// Conflict, Compacted → 410 Gone ("too old resource version").

export class StorageError extends Error {
  constructor(message: string, readonly key: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends StorageError {
  constructor(key: string, options?: { cause?: unknown }) {
    super(`key not found: ${key}`, key, options);
  }
}

export class AlreadyExistsError extends StorageError {
  constructor(key: string, options?: { cause?: unknown }) {
    super(`key already exists: ${key}`, key, options);
  }
}

/** A precondition (uid or revision) did not hold for the current object. */
export class ConflictError extends StorageError {
  constructor(key: string, detail: string, options?: { cause?: unknown }) {
    super(`conflict on ${key}: ${detail}`, key, options);
  }
}

/** The revision asked for is older than the store's (or the watch cache's) compacted window. */
export class CompactedError extends StorageError {
  constructor(readonly requested: number, readonly compacted: number, key = '', options?: { cause?: unknown }) {
    super(`too old resource version: ${requested} (${compacted})`, key, options);
  }
}

/** A revision after the store's current one was asked for. */
export class FutureRevisionError extends StorageError {
  constructor(readonly requested: number, readonly current: number, key = '') {
    super(`revision ${requested} is newer than the current revision ${current}`, key);
  }
}

/** A continue token that this store did not issue, or for another prefix. */
export class InvalidContinueError extends StorageError {
  constructor(key: string, detail: string) {
    super(`invalid continue token for ${key}: ${detail}`, key);
  }
}
