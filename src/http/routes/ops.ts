/** Liveness, readiness and metrics — unauthenticated, for load balancers and Prometheus. */
import { Router } from 'express';
import type { Services } from '../services.js';

export function opsRoutes(s: Services): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const ready = await s.ready().catch(() => false);
    res.status(ready ? 200 : 503).json(ready ? { status: 'ready' } : { code: 503, message: 'Service Unavailable: not ready' });
  });
  if (s.metrics) {
    const metrics = s.metrics;
    r.get('/metrics', async (_req, res) => {
      res.setHeader('Content-Type', metrics.contentType);
      res.send(await metrics.render());
    });
  }
  return r;
}
