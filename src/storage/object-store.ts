/**
 * The one storage interface every part of Fulmar talks to. It is deliberately narrow — the
 * operations an S3 bucket offers with conditional writes — so that memory, filesystem and S3
 * backends can all honour the same contract (test/storage/contract.ts).
 *
 * Coordination between pods relies on two conditional writes only:
 *  - `ifNoneMatch: '*'` creates an object once; a second writer gets PreconditionFailed;
 *  - `ifMatch: etag` replaces an object only if it still has that ETag (compare-and-swap).
 */

export interface ObjectInfo {
  readonly key: string;
  /** Opaque entity tag, quoted as S3 returns it (e.g. `"9b2cf5…"`). Compare as strings. */
  readonly etag: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface StoredObject extends ObjectInfo {
  readonly body: Buffer;
  /**
   * The store's own clock when it answered (the HTTP `Date` of an S3 response). Lease expiry is
   * judged against this, never against a pod's clock, so pods need not agree on the time.
   */
  readonly storeTime: Date;
}

export interface PutOptions {
  /** Replace only if the current object has exactly this ETag (compare-and-swap). */
  readonly ifMatch?: string;
  /** `'*'`: create only if no object exists at the key (create-once). */
  readonly ifNoneMatch?: '*';
  readonly contentType?: string;
}

export interface PutResult {
  readonly etag: string;
}

export interface ListOptions {
  readonly prefix?: string;
  /** Return keys strictly after this one (S3 `start-after`). */
  readonly startAfter?: string;
  /** Group keys sharing a prefix up to the delimiter into `commonPrefixes` (S3 semantics). */
  readonly delimiter?: string;
  /** At most this many entries (objects + common prefixes) in the page; 1..1000, default 1000. */
  readonly maxKeys?: number;
  /** Opaque token from a previous page's `nextContinuationToken`. */
  readonly continuationToken?: string;
}

export interface ListPage {
  /** Objects in ascending key order (UTF-8 binary order, as S3). */
  readonly objects: readonly ObjectInfo[];
  /** With a delimiter: the grouped prefixes, ascending, each ending with the delimiter. */
  readonly commonPrefixes: readonly string[];
  /** Present when more entries follow. */
  readonly nextContinuationToken?: string;
}

export interface ObjectStore {
  /** A short name for logs and errors: `memory`, `filesystem`, `s3`. */
  readonly kind: string;
  /** Throws StorageError `not-found` when the key does not exist — never returns an empty body. */
  get(key: string): Promise<StoredObject>;
  /** Throws StorageError `not-found` when the key does not exist. */
  head(key: string): Promise<ObjectInfo>;
  /** Throws StorageError `precondition-failed` when ifMatch/ifNoneMatch does not hold. */
  put(key: string, body: Buffer, options?: PutOptions): Promise<PutResult>;
  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  list(options?: ListOptions): Promise<ListPage>;
  /** Releases sockets/handles; the store is unusable afterwards. */
  close?(): Promise<void>;
}

export const MAX_LIST_KEYS = 1000;
