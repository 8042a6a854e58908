// The cluster storage: what the API server needs from etcd (k8s.io/apiserver/pkg/storage's
// Interface, kine's shape). Values are opaque JSON documents as bytes under keys like
// /registry/<group>/<resource>/<namespace>/<name>; revisions are the store's global, monotonic
// write counter and serve as resourceVersions. Every write is durable before its promise resolves.

export type Revision = number;

export interface KeyValue {
  readonly key: string;
  readonly value: Uint8Array;
  /** The revision of the write that produced this value (its resourceVersion). */
  readonly revision: Revision;
  /** The revision of the write that created the key. */
  readonly createRevision: Revision;
}

export interface ListOptions {
  /** At most this many items; the rest through `continue`. */
  readonly limit?: number;
  /** A token from an earlier page: the list goes on at that page's revision. */
  readonly continue?: string;
  /** The list's revision (0 or absent: the current one). */
  readonly revision?: Revision;
  /** Exact: at `revision` itself; NotOlderThan: at `revision` or anything newer. */
  readonly revisionMatch?: 'Exact' | 'NotOlderThan';
}

export interface ListResult {
  readonly items: readonly KeyValue[];
  /** The revision the list was read at. */
  readonly revision: Revision;
  /** Present when more items follow: pass it back as ListOptions.continue. */
  readonly continue?: string;
}

export interface Preconditions {
  /** The object's metadata.uid must be this. */
  readonly uid?: string;
  /** The object's revision must be this. */
  readonly revision?: Revision;
}

/**
 * The read-modify-write step of guaranteedUpdate: given the current object, the next value.
 * Called again with the new current object when another write won the race.
 */
export type TryUpdate = (current: KeyValue) => Uint8Array | Promise<Uint8Array>;

export interface UpdateOptions {
  readonly preconditions?: Preconditions;
}

export interface DeleteOptions {
  readonly preconditions?: Preconditions;
}

export type WatchEvent =
  | { readonly type: 'ADDED' | 'MODIFIED'; readonly kv: KeyValue }
  /** kv is the last value the key had; kv.revision is the revision of the delete itself. */
  | { readonly type: 'DELETED'; readonly kv: KeyValue }
  /** Every event up to `revision` has been delivered. */
  | { readonly type: 'BOOKMARK'; readonly revision: Revision };

export interface WatchOptions {
  /** Ends the watch: the iterator returns. */
  readonly signal?: AbortSignal;
}

export interface Watch extends AsyncIterable<WatchEvent> {
  /** Asks for a BOOKMARK event once every event up to the store's current revision is sent. */
  requestProgress(): void;
}

/** The read half: what informers and the watch cache need. */
export interface StorageReader {
  /** The latest value of key (NotFoundError when absent). */
  get(key: string): Promise<KeyValue>;
  /** Every key under prefix, in key order, at one revision. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /**
   * The changes under prefix after fromRevision, in revision order. CompactedError (thrown on the
   * first next()) when fromRevision is older than the store's compacted window.
   */
  watch(prefix: string, fromRevision: Revision, options?: WatchOptions): Watch;
  currentRevision(): Promise<Revision>;
}

export interface Storage extends StorageReader {
  /** AlreadyExistsError when the key is present. Resolves to the new revision. */
  create(key: string, value: Uint8Array): Promise<Revision>;
  /**
   * Reads the key, applies tryUpdate and writes the result unless another write came between,
   * in which case it reads again and retries. ConflictError when a precondition fails,
   * NotFoundError when the key is absent.
   */
  guaranteedUpdate(key: string, tryUpdate: TryUpdate, options?: UpdateOptions): Promise<KeyValue>;
  /** Resolves to the last value the key had, with the delete's revision. */
  delete(key: string, options?: DeleteOptions): Promise<KeyValue>;
  /** Forgets superseded values older than revision; reads and watches before it fail with CompactedError. */
  compact(revision: Revision): Promise<void>;
  close(): Promise<void>;
}
