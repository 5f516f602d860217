/**
 * The Express app: middleware and the route table, no `listen` (src/http/server.ts does that).
 * Each route declares its credential and body limit (src/http/route.ts); routes are thin:
 * parse with zod, call one service, serialize.
 */
import express, { type Express } from 'express';
import compression from 'compression';
import type { Services } from './services.js';
import type { Route } from './route.js';
import { requestContext } from './middleware/request-context.js';
import { bodyReader } from './middleware/body.js';
import { discardUnreadBodies } from './middleware/unread-body.js';
import { errorHandler, notFoundHandler } from './middleware/error-handler.js';
import { mountRoutes } from './mount-routes.js';
import type { HostWatch } from './host-watch.js';
import { opsRoutes } from './routes/ops.js';
import { notProvidedRoutes } from './routes/not-provided.js';
import { userRoutes } from './routes/user.js';
import { orgRoutes } from './routes/orgs.js';
import { stackRoutes } from './routes/stacks.js';
import { stateRoutes } from './routes/state.js';
import { updateRoutes } from './routes/updates.js';
import { secretsRoutes } from './routes/secrets.js';
import { openApiRoutes } from './routes/openapi.js';
import { consoleRoutes } from './routes/console.js';
import { consolePages } from './console-static.js';

/** Every route the pod serves, in matching order; the API document describes exactly these. */
export function routeTable(s: Services): Route[] {
  const table: Route[] = [
    ...opsRoutes(s),
    ...notProvidedRoutes(),
    ...openApiRoutes(() => table),
    ...consoleRoutes(s),
    ...userRoutes(s),
    ...orgRoutes(s),
    ...stateRoutes(s),
    ...secretsRoutes(s),
    ...updateRoutes(s),
    ...stackRoutes(s),
  ];
  return table;
}

export interface AppOptions {
  trustProxy?: boolean;
  /** Warns about requests for hosts other than FULMAR_PUBLIC_URL's (README.md#one-url). */
  hostWatch?: HostWatch;
  /** The built console (docs/console.md); default `dist/console/` of this package. */
  consoleDir?: string;
}

export function createApp(s: Services, options: AppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', options.trustProxy ?? false);
  // Pulumi paths are case-sensitive and never percent-encoded (docs/protocol.md#paths-and-routing).
  app.set('case sensitive routing', true);
  app.set('strict routing', false);

  app.use(requestContext(s.logger));
  app.use(discardUnreadBodies());
  if (s.metrics?.middleware) app.use(s.metrics.middleware);
  // The CLI decompresses gzip and only gzip (api.go: bodyIntoReader); compression() offers
  // nothing else to a client that asks for gzip alone.
  app.use(compression({ threshold: 1024 }));
  mountRoutes(app, routeTable(s), {
    auth: s.auth,
    readBody: bodyReader(s.maxBodyBytes),
    verifyUpdateToken: (ref, updateId, token) => s.updates.verifyToken(ref, updateId, token),
    noteHost: options.hostWatch && ((headers) => options.hostWatch?.note(headers)),
    sessions: s.console.sessions,
  });
  app.use(consolePages(options.consoleDir));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
