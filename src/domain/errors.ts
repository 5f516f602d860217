/**
 * The domain's error vocabulary. Services throw these; the HTTP layer maps each kind to one
 * status code in a single error handler (src/http/middleware/error-handler.ts) and renders
 * Pulumi's error shape `{"code": <status>, "message": "<Status Text>: <message>"}`
 * (sdk/go/common/apitype/errors.go — the CLI trusts `code` over the HTTP status).
 */
export type ErrorKind =
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'gone'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'unavailable'
  | 'internal';

export class FulmarError extends Error {
  override readonly name = 'FulmarError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }
}

export const badRequest = (message: string) => new FulmarError('bad-request', message);
export const unauthorized = (message = 'No credentials provided or are invalid.') =>
  new FulmarError('unauthorized', message);
export const forbidden = (message: string) => new FulmarError('forbidden', message);
export const notFound = (message: string) => new FulmarError('not-found', message);
export const conflict = (message: string) => new FulmarError('conflict', message);
/** Something that existed and was removed on purpose (a version pruned by retention). */
export const gone = (message: string) => new FulmarError('gone', message);
export const unavailable = (message: string, retryAfterSeconds = 1, cause?: unknown) =>
  new FulmarError('unavailable', message, { retryAfterSeconds, cause });

export function isFulmarError(err: unknown, kind?: ErrorKind): err is FulmarError {
  return err instanceof FulmarError && (kind === undefined || err.kind === kind);
}
