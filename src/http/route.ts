/**
 * What a route declares about itself: its method and path, the credential it needs and how
 * large a body it may read. Nothing is decided from the path at request time — a stack named
 * `complete` is just a stack (src/http/mount-routes.ts reads these declarations).
 */
import type { Request, Response } from 'express';
import type { Principal } from '../domain/roles.js';

/** `all`: every method gets the same answer (the features Fulmar does not provide). */
export type Method = 'get' | 'head' | 'post' | 'put' | 'patch' | 'delete' | 'all';

/**
 * `api-token`: `Authorization: token …`, resolved to a principal before anything else runs.
 * `update-token`: `Authorization: update-token …` (docs/protocol.md#authentication); only its
 * presence and scheme are checked up front — the update service verifies it against the lease.
 * `none`: probes, metrics, and the answers about features Fulmar does not provide.
 */
export type Auth = 'api-token' | 'update-token' | 'none';

/**
 * `none`: the body is never read. `small`: JSON requests (a few MiB). `large`: bodies that
 * carry state or batches, up to FULMAR_MAX_BODY_BYTES after gzip inflation.
 */
export type BodyLimit = 'none' | 'small' | 'large';

export interface Credentials {
  'api-token': { principal: Principal };
  'update-token': { updateToken: string };
  none: Record<string, never>;
}

export interface RouteOf<A extends Auth> {
  method: Method;
  path: string;
  auth: A;
  body: BodyLimit;
  handler(req: Request, res: Response, credential: Credentials[A]): Promise<void> | void;
}

/** One row of the route table; `auth` picks the credential the handler receives. */
export type Route = RouteOf<'api-token'> | RouteOf<'update-token'> | RouteOf<'none'>;
