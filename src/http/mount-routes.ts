/**
 * Mounts the route table. Every request goes through the same three steps, in this order:
 * the declared credential, from the headers only; then the body, read and inflated up to the
 * declared limit; then the handler. A request without valid credentials therefore costs one
 * token lookup — its body is never buffered nor inflated (src/http/middleware/unread-body.ts
 * discards it).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Express, RequestHandler } from 'express';
import type { AuthService } from '../services/auth-service.js';
import { authenticate } from './middleware/authenticate.js';
import type { BodyReader } from './middleware/body.js';
import type { Auth, Route, RouteOf } from './route.js';
import type { StackRef } from '../storage/layout.js';
import { stackRefOf } from './routes/stack-ref.js';

export interface MountDeps {
  auth: AuthService;
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

function handle(route: RouteOf<Auth>, deps: MountDeps): RequestHandler {
  return async (req, res) => {
    const credential = await authenticate(deps.auth, route.auth, req.headers);
    // An update token is checked against its update before any body byte is read, like an API token.
    if ('updateToken' in credential) await deps.verifyUpdateToken(stackRefOf(req), req.params.updateId as string, credential.updateToken);
    if (route.auth !== 'none') deps.noteHost?.(req.headers);
    if (route.body !== 'none') await deps.readBody(req, res, route.body);
    await route.handler(req, res, credential);
  };
}
