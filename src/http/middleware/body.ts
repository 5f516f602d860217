/**
 * Request bodies as raw bytes, gunzipped when `Content-Encoding: gzip` (the CLI compresses
 * checkpoints, imports, events and batch secrets — protocol §1.4). The size limit applies to
 * the inflated bytes, so a gzip bomb is cut off at the limit (413) without being expanded.
 * State-carrying routes get the large limit; everything else a small one.
 */
import express, { type RequestHandler } from 'express';

const LARGE_BODY_ROUTE =
  /\/(import|checkpoint|checkpointverbatim|checkpointdelta|journalentries|events\/batch|batch-encrypt|batch-decrypt)$/;
export const SMALL_BODY_LIMIT = 4 * 1024 * 1024;

export function bodyParser(maxBodyBytes: number): RequestHandler {
  const accept = () => true; // the CLI always says application/json; curl users may not
  const large = express.raw({ type: accept, limit: maxBodyBytes, inflate: true });
  const small = express.raw({ type: accept, limit: Math.min(SMALL_BODY_LIMIT, maxBodyBytes), inflate: true });
  return (req, res, next) => (LARGE_BODY_ROUTE.test(req.path) ? large : small)(req, res, next);
}
