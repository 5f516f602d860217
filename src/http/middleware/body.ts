/**
 * Request bodies as raw bytes, gunzipped when `Content-Encoding: gzip` (the CLI compresses
 * checkpoints, imports, events and batch secrets — docs/protocol.md#compression). The size limit
 * applies to the inflated bytes, so a gzip bomb is cut off at the limit (413) without being
 * expanded. Which limit a request gets is its route's declaration (src/http/route.ts); the body is
 * read only after the credential was accepted.
 */
import express, { type Request, type Response } from 'express';
import type { BodyLimit } from '../route.js';

export const SMALL_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * Responses whose client sent `Expect: 100-continue` and still waits for permission to send
 * the body (src/http/server.ts adds them). Until the body is asked for, the answer closes the
 * connection: the client will not send a body we refused, so none is left to drain.
 */
const awaitingContinue = new WeakSet<Response>();

export function markAwaitingContinue(res: Response | import('node:http').ServerResponse): void {
  awaitingContinue.add(res as Response);
  res.setHeader('Connection', 'close');
}

export type BodyReader = (req: Request, res: Response, limit: Exclude<BodyLimit, 'none'>) => Promise<void>;

export function bodyReader(maxBodyBytes: number): BodyReader {
  const accept = () => true; // the CLI always says application/json; curl users may not
  const parsers = {
    large: express.raw({ type: accept, limit: maxBodyBytes, inflate: true }),
    small: express.raw({ type: accept, limit: Math.min(SMALL_BODY_LIMIT, maxBodyBytes), inflate: true }),
  };
  return (req, res, limit) => {
    // A client waiting for `100 Continue` (curl on large uploads) is told to send only now,
    // after authentication.
    if (awaitingContinue.delete(res) && !res.headersSent) {
      res.removeHeader('Connection');
      res.writeContinue();
    }
    return new Promise((resolve, reject) => parsers[limit](req, res, (err?: unknown) => (err ? reject(err) : resolve())));
  };
}
