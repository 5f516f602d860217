/**
 * Mounts the route table. Every request goes through the same three steps, in this order:
 * the declared credential, from the headers only; then the body, read and inflated up to the
 * declared limit; then the handler, given parsers bound to the schemas the route declared. A request without valid credentials therefore costs one
 * token lookup — its body is never buffered nor inflated (src/http/middleware/unread-body.ts
 * discards it).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Express, Request, RequestHandler } from 'express';
import type { z } from 'zod';
import type { AuthService } from '../services/auth-service.js';
import type { ConsoleSessions } from '../services/console-session.js';
import { authenticate } from './middleware/authenticate.js';
import type { BodyReader } from './middleware/body.js';
import type { Auth, Input, Route, RouteSpec } from './route.js';
import type { StackRef } from '../storage/layout.js';
import { stackRefOf } from './routes/stack-ref.js';
import { parseJsonBody, parseWith } from './parse.js';

export interface MountDeps {
  auth: AuthService;
  /** Console sessions (docs/console.md#sessions); without them only tokens are accepted. */
  sessions?: ConsoleSessions;
  readBody: BodyReader;
  /** Checks an update token against the update it names (throws 403), before the body is read. */
  verifyUpdateToken: (ref: StackRef, updateId: string, token: string) => Promise<void>;
  /** Sees the headers of each request whose credential was accepted (src/http/host-watch.ts). */
  noteHost?: (headers: IncomingHttpHeaders) => void;
}

export function mountRoutes(app: Express, routes: readonly Route[], deps: MountDeps): void {
  const seen = new Set<string>();
  for (const route of routes) {
    const id = `${route.method.toUpperCase()} ${route.path}`;
    // A second declaration would never run (Express takes the first match): refuse it at boot.
    if (seen.has(id)) throw new Error(`route declared twice: ${id}`);
    seen.add(id);
    app[route.method](route.path, handle(route, deps));
  }
}

function handle(route: Route, deps: MountDeps): RequestHandler {
  const spec = route as RouteSpec<Auth, z.ZodType, z.ZodType>;
  return async (req, res) => {
    const credential = await authenticate(deps.auth, route.auth, req, deps.sessions);
    // An update token is checked against its update before any body byte is read, like an API token.
    if ('updateToken' in credential) await deps.verifyUpdateToken(stackRefOf(req), req.params.updateId as string, credential.updateToken);
    // The CLI's requests only: the console's browser is expected on the console's host.
    if (route.auth !== 'none' && req.headers.authorization) deps.noteHost?.(req.headers);
    if (route.body !== 'none') await deps.readBody(req, res, route.body, { keepGzip: route.keepsSentGzip === true });
    await spec.handler(req, res, credential, inputOf(route, req));
  };
}

/** Parsers bound to the route's own schemas; a schema it did not declare cannot be asked for. */
function inputOf(route: Route, req: Request): Input<z.ZodType, z.ZodType> {
  const undeclared = (what: string) => (): never => {
    throw new Error(`${route.method.toUpperCase()} ${route.path} reads a ${what} it does not declare`);
  };
  const { query, request } = route;
  return {
    query: query ? () => parseWith(query, req.query, 'query') : undeclared('query'),
    body: request ? (what?: string) => parseWith(request, parseJsonBody(req), what) : undeclared('request body'),
  };
}
