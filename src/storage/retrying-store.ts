/**
 * Retries storage calls that failed transiently (StorageError `unavailable`: 5xx, timeouts,
 * network errors) with jittered exponential backoff and a small budget — and only calls whose
 * repetition cannot change the outcome:
 *
 *  - get, head, list, delete, and unconditional puts: repeating them is harmless;
 *  - create-once puts: retried, but a first attempt may have succeeded with its answer lost, so a
 *    retry that meets "already exists" reads the object: if it holds exactly our bytes the write
 *    was ours (or an identical one) and counts as done;
 *  - compare-and-swap puts are never retried: after a lost success the retry would be refused
 *    with our own new ETag, and a refusal there means "re-read and decide" — the caller's job.
 *
 * Only `unavailable` is retried; precondition-failed, not-found, invalid-key and internal are
 * answers, not accidents.
 */
import pRetry from 'p-retry';
import type { ListOptions, ListPage, ObjectInfo, ObjectStore, PutOptions, PutResult, StoredObject } from './object-store.js';
import { isPreconditionFailed, isStorageError } from './storage-error.js';

export interface RetryPolicy {
  /** Retries after the first attempt (0 = none). */
  retries: number;
  /** First backoff; doubled per retry, randomised ×1–2. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Told about each failed attempt that will be retried (for logs and metrics). */
  onRetry?: (event: { operation: string; attempt: number; error: Error }) => void;
}

export class RetryingStore implements ObjectStore {
  readonly kind: string;

  constructor(
    private readonly inner: ObjectStore,
    private readonly policy: RetryPolicy,
  ) {
    this.kind = inner.kind;
  }

  get(key: string): Promise<StoredObject> {
    return this.retry(`get ${key}`, () => this.inner.get(key));
  }

  head(key: string): Promise<ObjectInfo> {
    return this.retry(`head ${key}`, () => this.inner.head(key));
  }

  list(options?: ListOptions): Promise<ListPage> {
    return this.retry(`list ${options?.prefix ?? ''}`, () => this.inner.list(options));
  }

  delete(key: string): Promise<void> {
    return this.retry(`delete ${key}`, () => this.inner.delete(key));
  }

  put(key: string, body: Buffer, options: PutOptions = {}): Promise<PutResult> {
    if (options.ifMatch !== undefined) return this.inner.put(key, body, options);
    if (options.ifNoneMatch !== '*') return this.retry(`put ${key}`, () => this.inner.put(key, body, options));
    let attempt = 0;
    return this.retry(`create ${key}`, async () => {
      attempt += 1;
      try {
        return await this.inner.put(key, body, options);
      } catch (err) {
        if (attempt === 1 || !isPreconditionFailed(err)) throw err;
        const existing = await this.inner.get(key).catch((readErr: unknown) => {
          if (isStorageError(readErr, 'not-found')) return undefined;
          throw readErr; // unavailable: this attempt fails and may be retried as a whole
        });
        if (existing?.body.equals(body)) return { etag: existing.etag };
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  private retry<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.policy.retries <= 0) return fn();
    return pRetry(fn, {
      retries: this.policy.retries,
      minTimeout: this.policy.minDelayMs ?? 50,
      maxTimeout: this.policy.maxDelayMs ?? 1_000,
      factor: 2,
      randomize: true,
      shouldRetry: ({ error }) => isStorageError(error, 'unavailable'),
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft > 0 && isStorageError(error, 'unavailable')) {
          this.policy.onRetry?.({ operation, attempt: attemptNumber, error });
        }
      },
    });
  }
}
