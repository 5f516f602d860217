/**
 * The storage layer's error vocabulary. Every backend translates its own failures into these
 * codes, and the service layer turns them into domain errors; nothing above `src/storage`
 * inspects an S3 or filesystem error directly.
 */
export type StorageErrorCode =
  /** The key does not exist. */
  | 'not-found'
  /** `ifMatch` / `ifNoneMatch` did not hold: someone else wrote first. */
  | 'precondition-failed'
  /** The backend could not be reached or answered 5xx/timeout; the call may be retried. */
  | 'unavailable'
  /** The key is not one this store accepts (escapes the data folder, empty segment, …). */
  | 'invalid-key'
  /** Anything else: misconfiguration, access denied, a bug. Not retried. */
  | 'internal';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}

export const isNotFound = (err: unknown): err is StorageError => isStorageError(err, 'not-found');
export const isPreconditionFailed = (err: unknown): err is StorageError =>
  isStorageError(err, 'precondition-failed');
