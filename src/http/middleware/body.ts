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

export type BodyReader = (req: Request, res: Response, limit: Exclude<BodyLimit, 'none'>, options?: { keepGzip?: boolean }) => Promise<void>;

/** The bytes of each request sent with `Content-Encoding: gzip`, as they came (see sentGzip). */
const gzipSent = new WeakMap<Request, Buffer>();

/**
 * The body exactly as the client sent it when it came gzip-compressed (the CLI compresses
 * journal batches: pkg/backend/httpstate/client/client.go, SaveJournalEntries), so a route that
 * keeps bodies compressed can store these bytes instead of compressing the inflated ones again.
 * They inflate to rawBody(req): the same zlib inflated them on the way in. Undefined for any
 * other encoding, for routes that do not declare `keepsSentGzip` (src/http/route.ts), or when
 * the compressed bytes alone passed the route's limit.
 */
export const sentGzip = (req: Request): Buffer | undefined => gzipSent.get(req);

/**
 * Keeps the compressed chunks beside body-parser's inflation. body-parser pipes the request into
 * its gunzip stream synchronously when called (body-parser/lib/read.js), right after this
 * listener is added, so both see every chunk.
 */
function keepGzip(req: Request, limit: number): void {
  if ((req.headers['content-encoding'] ?? '').trim().toLowerCase() !== 'gzip') return;
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      // Many empty gzip members inflate to nothing: the compressed side needs its own bound.
      chunks.length = 0;
      req.off('data', onData);
      return;
    }
    chunks.push(chunk);
  };
  req.on('data', onData);
  req.once('end', () => {
    if (size <= limit) gzipSent.set(req, Buffer.concat(chunks, size));
  });
}

export function bodyReader(maxBodyBytes: number): BodyReader {
  const accept = () => true; // the CLI always says application/json; curl users may not
  const limits = { large: maxBodyBytes, small: Math.min(SMALL_BODY_LIMIT, maxBodyBytes) };
  const parsers = {
    large: express.raw({ type: accept, limit: limits.large, inflate: true }),
    small: express.raw({ type: accept, limit: limits.small, inflate: true }),
  };
  return (req, res, limit, options) => {
    // A client waiting for `100 Continue` (curl on large uploads) is told to send only now,
    // after authentication.
    if (awaitingContinue.delete(res) && !res.headersSent) {
      res.removeHeader('Connection');
      res.writeContinue();
    }
    if (options?.keepGzip) keepGzip(req, limits[limit]);
    return new Promise((resolve, reject) => parsers[limit](req, res, (err?: unknown) => (err ? reject(err) : resolve())));
  };
}
