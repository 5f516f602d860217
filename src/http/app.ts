/**
 * The Express app: middleware and routes, no `listen` (src/http/server.ts does that). Routes
 * are thin: parse with zod, call one service, serialize.
 */
import express, { type Express } from 'express';
import compression from 'compression';
import type { Services } from './services.js';
import { requestContext } from './middleware/request-context.js';
import { bodyParser } from './middleware/body.js';
import { requireApiToken } from './middleware/authenticate.js';
import { errorHandler, notFoundHandler } from './middleware/error-handler.js';
import { opsRoutes } from './routes/ops.js';
import { userRoutes } from './routes/user.js';
import { orgRoutes } from './routes/orgs.js';
import { stackRoutes } from './routes/stacks.js';
import { stateRoutes } from './routes/state.js';
import { updateRoutes } from './routes/updates.js';
import { secretsRoutes } from './routes/secrets.js';

/** Update-token routes authenticate inside their handler (protocol §1.3). */
const UPDATE_TOKEN_ROUTE = /\/[^/]+\/[^/]+\/(checkpoint|checkpointverbatim|checkpointdelta|journalentries|events\/batch|renew_lease|complete)$/;

export function createApp(s: Services, options: { trustProxy?: boolean } = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', options.trustProxy ?? false);
  // Pulumi paths are case-sensitive and never percent-encoded (protocol §1.1).
  app.set('case sensitive routing', true);
  app.set('strict routing', false);

  app.use(requestContext(s.logger));
  if (s.metrics?.middleware) app.use(s.metrics.middleware);
  // The CLI decompresses gzip and only gzip (api.go: bodyIntoReader); compression() offers
  // nothing else to a client that asks for gzip alone.
  app.use(compression({ threshold: 1024 }));
  app.use(opsRoutes(s));
  app.use('/api', bodyParser(s.maxBodyBytes));
  app.use('/api', (req, res, next) => {
    if (UPDATE_TOKEN_ROUTE.test(req.path) && req.method !== 'GET') return next();
    return requireApiToken(s.auth)(req, res, next);
  });
  app.use(userRoutes(s));
  app.use(orgRoutes(s));
  app.use(stateRoutes(s));
  app.use(secretsRoutes(s));
  app.use(updateRoutes(s));
  app.use(stackRoutes(s));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
