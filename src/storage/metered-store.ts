/**
 * Measures every call to the store it wraps — operation, put condition, outcome, duration and
 * body bytes — and hands each measurement to a small sink (src/observability/metrics.ts turns
 * them into Prometheus series). It knows nothing of Prometheus or Express, and changes nothing
 * about the call: results and errors pass through untouched.
 *
 * Labels stay bounded: five operations, three conditions, and as outcome `ok` or one of the
 * StorageError codes. A `not-found` get/head and a `precondition-failed` put are answers the
 * callers ask for (a missing key, a lost compare-and-swap), not failures; only `unavailable`,
 * `invalid-key` and `internal` are errors. Anything thrown that is not a StorageError counts as
 * `internal`, as storage-error.ts defines it.
 */
import type { ListOptions, ListPage, ObjectInfo, ObjectStore, PutOptions, PutResult, StoredObject } from './object-store.js';
import { isStorageError, type StorageErrorCode } from './storage-error.js';

export type StorageOperation = 'get' | 'head' | 'put' | 'delete' | 'list';
/** Which conditional write a put was: compare-and-swap contention shows as `if-match` refusals. */
export type PutCondition = 'none' | 'if-match' | 'if-none-match';
export type StorageOutcome = 'ok' | StorageErrorCode;

export interface StorageCall {
  readonly operation: StorageOperation;
  /** `none` for every operation but a conditional put. */
  readonly condition: PutCondition;
  readonly outcome: StorageOutcome;
  readonly seconds: number;
  /** Body bytes a successful get read or a successful put wrote; 0 otherwise. */
  readonly bytes: number;
}

export interface StorageMetrics {
  /** Told about each finished call; must not throw. */
  record(call: StorageCall): void;
}

export function putCondition(options?: PutOptions): PutCondition {
  if (options?.ifMatch !== undefined) return 'if-match';
  if (options?.ifNoneMatch === '*') return 'if-none-match';
  return 'none';
}

export class MeteredStore implements ObjectStore {
  readonly kind: string;

  constructor(
    private readonly inner: ObjectStore,
    private readonly metrics: StorageMetrics,
    /** Milliseconds from an arbitrary origin (tests pass a fake clock). */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.kind = inner.kind;
  }

  get(key: string): Promise<StoredObject> {
    return this.measure('get', 'none', () => this.inner.get(key), (got) => got.body.length);
  }

  head(key: string): Promise<ObjectInfo> {
    return this.measure('head', 'none', () => this.inner.head(key));
  }

  put(key: string, body: Buffer, options?: PutOptions): Promise<PutResult> {
    const size = body.length;
    return this.measure('put', putCondition(options), () => this.inner.put(key, body, options), () => size);
  }

  delete(key: string): Promise<void> {
    return this.measure('delete', 'none', () => this.inner.delete(key));
  }

  list(options?: ListOptions): Promise<ListPage> {
    return this.measure('list', 'none', () => this.inner.list(options));
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  private async measure<T>(
    operation: StorageOperation,
    condition: PutCondition,
    call: () => Promise<T>,
    bytesOf?: (result: T) => number,
  ): Promise<T> {
    const start = this.now();
    let outcome: StorageOutcome = 'internal';
    let bytes = 0;
    try {
      const result = await call();
      outcome = 'ok';
      bytes = bytesOf?.(result) ?? 0;
      return result;
    } catch (err) {
      if (isStorageError(err)) outcome = err.code;
      throw err;
    } finally {
      this.metrics.record({ operation, condition, outcome, seconds: (this.now() - start) / 1000, bytes });
    }
  }
}
