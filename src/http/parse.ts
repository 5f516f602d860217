/**
 * Turning request bytes into validated values; every failure is a 400 in Pulumi's shape. Routes
 * parse through the schemas they declare (src/http/mount-routes.ts binds them).
 */
import type { Request } from 'express';
import type { z } from 'zod';
import { badRequest } from '../domain/errors.js';

/** The raw request body (already gunzipped by the body middleware); empty when none was sent. */
export function rawBody(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

export { sentGzip } from './middleware/body.js';

export function parseJsonBody(req: Request): unknown {
  const body = rawBody(req);
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`malformed JSON body: ${(err as Error).message}`);
  }
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = result.error.issues
      .slice(0, 5)
      .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
      .join('; ');
    throw badRequest(`invalid ${what}: ${details}`);
  }
  return result.data;
}
