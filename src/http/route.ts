/**
 * What a route declares about itself: its method and path, the credential it needs, how large a
 * body it may read, and — for the API document (src/http/openapi.ts, docs/openapi.json) — a
 * summary and the zod schemas of what it takes and answers. Nothing is decided from the path at
 * request time — a stack named `complete` is just a stack (src/http/mount-routes.ts reads these
 * declarations).
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Principal } from '../domain/roles.js';

/** `all`: every method gets the same answer (the features Fulmar does not provide). */
export type Method = 'get' | 'head' | 'post' | 'put' | 'patch' | 'delete' | 'all';

/**
 * `api-token`: `Authorization: token …`, resolved to a principal before anything else runs.
 * `update-token`: `Authorization: update-token …` (docs/protocol.md#authentication); only its
 * presence and scheme are checked up front — the update service verifies it against the lease.
 * `none`: probes, metrics, the API document, and the answers about features Fulmar does not
 * provide.
 * `session`: the console's session cookie (docs/console.md#sessions). `console`: no credential,
 * for the console's sign-in calls. With either — and with a session cookie in place of an API
 * token — a request other than GET or HEAD must carry `X-Fulmar-Console: 1`, which a cross-site
 * form cannot send (docs/console.md#csrf).
 */
export type Auth = 'api-token' | 'update-token' | 'session' | 'console' | 'none';

/**
 * `none`: the body is never read. `small`: JSON requests (a few MiB). `large`: bodies that
 * carry state or batches, up to FULMAR_MAX_BODY_BYTES after gzip inflation.
 */
export type BodyLimit = 'none' | 'small' | 'large';

export interface Credentials {
  'api-token': { principal: Principal };
  'update-token': { updateToken: string };
  session: { principal: Principal };
  console: Record<string, never>;
  none: Record<string, never>;
}

type Schema = z.ZodType;

/**
 * The declared schemas, bound to this request: the handler parses with exactly the schema the
 * document shows. Parsing is on demand, so a handler may first check the raw bytes (depth, shape)
 * and only then parse; a failure is a 400 naming `what` (src/http/parse.ts).
 */
export interface Input<Q extends Schema | undefined, B extends Schema | undefined> {
  query: Q extends Schema ? () => z.output<Q> : never;
  body: B extends Schema ? (what?: string) => z.output<B> : never;
}

/**
 * A success response: the schema of its JSON body, `null` for none (204, HEAD), or another
 * media type with the schema of its text.
 */
export type Reply = Schema | null | { contentType: string; schema: Schema };

/**
 * Error statuses a route answers beyond those its declaration implies: 400 for any input, 401
 * for a credential (and 503: the token is looked up in the bucket), 413 and 415 for a body
 * (src/http/openapi.ts: impliedErrors). Each is `{code, message}` (docs/protocol.md#errors).
 */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 503;

export interface RouteSpec<A extends Auth, Q extends Schema | undefined = undefined, B extends Schema | undefined = undefined> {
  method: Method;
  path: string;
  auth: A;
  body: BodyLimit;
  /**
   * The handler may store the body exactly as a gzip client sent it (sentGzip in
   * src/http/middleware/body.ts); other routes do not pay for keeping the compressed bytes.
   */
  keepsSentGzip?: true;
  /** One line for the API document. */
  summary: string;
  /** The query string, as Express parses it. */
  query?: Q;
  /** The JSON request body. */
  request?: B;
  /** Success statuses and their bodies. */
  /** Success statuses and their bodies; a 302 (the console's sign-in hops) has none. */
  responses: Readonly<Partial<Record<200 | 201 | 204 | 302, Reply>>>;
  errors?: readonly ErrorStatus[];
  handler(req: Request, res: Response, credential: Credentials[A], input: Input<Q, B>): Promise<void> | void;
}

/** One row of the route table; `auth` picks the credential the handler receives. */
export type Route = { [A in Auth]: RouteSpec<A, Schema | undefined, Schema | undefined> }[Auth];

/**
 * Declares a route whose handler reads its query or body: `input` is then typed from the schemas
 * the route declares. (Routes that read neither can be written as plain objects.)
 */
export function defineRoute<A extends Auth, Q extends Schema | undefined = undefined, B extends Schema | undefined = undefined>(
  spec: RouteSpec<A, Q, B>,
): Route {
  return spec as unknown as Route;
}
