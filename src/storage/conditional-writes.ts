/**
 * The bucket idioms, in one place (docs/design.md, "Conditional writes"): every coordination
 * between pods is one of these, so a fencing rule is right once.
 *
 *  - `getOrUndefined`: a read where "absent" is an answer, not an error;
 *  - `createOnce`: `If-None-Match: *` — true when this call created the object, false when
 *    something was already there;
 *  - `compareAndSwap`: read → decide → write with `If-Match` (or `If-None-Match: *` when the key
 *    is absent); a 412 means another writer won, so the decision is made again from a fresh read,
 *    a bounded number of times with growing jitter.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectStore, StoredObject } from './object-store.js';
import { isNotFound, isPreconditionFailed, isStorageError } from './storage-error.js';

export async function getOrUndefined(store: ObjectStore, key: string): Promise<StoredObject | undefined> {
  try {
    return await store.get(key);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function createOnce(store: ObjectStore, key: string, body: Buffer, contentType = 'application/json'): Promise<boolean> {
  try {
    await store.put(key, body, { ifNoneMatch: '*', contentType });
    return true;
  } catch (err) {
    if (isPreconditionFailed(err)) return false;
    throw err;
  }
}

/** What `decide` answers: bytes to write (or none: nothing to change) and the caller's result. */
export interface CasDecision<T> {
  write?: Buffer;
  result: T;
}

export interface CasOptions {
  /** Attempts before giving up (each after a lost race). */
  attempts?: number;
  /** The error thrown when every attempt lost its race. */
  exhausted: () => Error;
  /** Base of the jitter between attempts, in ms (attempt n waits up to base × n). */
  jitterMs?: number;
}

export const CAS_ATTEMPTS = 8;

/**
 * Runs `decide` on the current object (undefined when absent) and writes its answer
 * conditionally on exactly what was read. `decide` may run several times and must be safe to
 * repeat: it may write create-once objects, never anything another decision could contradict.
 *
 * A write whose answer was lost (connection cut after the bucket applied it) is recognised by
 * reading the object back: the bytes are ours (every register write carries a fresh nonce) →
 * done. Anything else is reported as the transient error it was, so the caller answers 503 and
 * the client knows the outcome is unknown — never a guess.
 */
export async function compareAndSwap<T>(
  store: ObjectStore,
  key: string,
  decide: (current: StoredObject | undefined) => Promise<CasDecision<T>> | CasDecision<T>,
  options: CasOptions,
): Promise<T> {
  const attempts = options.attempts ?? CAS_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    const current = await getOrUndefined(store, key);
    const { write, result } = await decide(current);
    if (!write) return result;
    try {
      await store.put(key, write, current ? { ifMatch: current.etag, contentType: 'application/json' } : { ifNoneMatch: '*', contentType: 'application/json' });
      return result;
    } catch (err) {
      if (isStorageError(err, 'unavailable')) {
        const after = await getOrUndefined(store, key).catch(() => undefined);
        if (after?.body.equals(write)) return result;
        throw err;
      }
      if (!isPreconditionFailed(err)) throw err;
      if (attempt >= attempts) throw options.exhausted();
      await sleep(Math.random() * (options.jitterMs ?? 20) * attempt);
    }
  }
}
