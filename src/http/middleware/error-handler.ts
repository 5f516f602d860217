/**
 * The one place errors become HTTP: domain errors by kind, storage errors by code, body-parser
 * errors by status, anything else 500. Every body is `{"code": <status>, "message": "…"}` —
 * the CLI trusts `code` over the HTTP status (sdk/go/common/apitype/errors.go).
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { FulmarError, type ErrorKind } from '../../domain/errors.js';
import { StorageError } from '../../storage/storage-error.js';

const STATUS: Record<ErrorKind, number> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  gone: 410,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  unavailable: 503,
  internal: 500,
};

export function errorBody(status: number, message: string) {
  return { code: status, message: `${STATUS_CODES[status] ?? 'Error'}: ${message}` };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json(errorBody(404, `no route for ${req.method} ${req.path}`));
};

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  let status = 500;
  let message = 'internal error';
  let retryAfter: number | undefined;
  if (err instanceof FulmarError) {
    status = STATUS[err.kind];
    message = err.message;
    retryAfter = err.details.retryAfterSeconds;
  } else if (err instanceof StorageError) {
    if (err.code === 'unavailable') {
      status = 503;
      message = 'the storage backend is unavailable; please retry';
      retryAfter = 1;
    } else if (err.code === 'invalid-key') {
      status = 400;
      message = err.message;
    }
  } else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
    // body-parser: entity.too.large (413), encoding.unsupported (415), request.aborted (400)…
    status = err.status;
    message =
      err.type === 'entity.too.large'
        ? `request body larger than ${err.limit} bytes (after decompression)`
        : (err.message ?? 'bad request');
  }
  if (status >= 500) req.log?.error({ err }, 'request failed');
  if (res.headersSent) return;
  if (retryAfter !== undefined && status >= 500) res.setHeader('Retry-After', String(retryAfter));
  res.status(status).json(errorBody(status, message));
};
