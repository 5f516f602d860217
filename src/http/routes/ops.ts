/** Liveness, readiness and metrics — unauthenticated, for load balancers and Prometheus. */
import type { Services } from '../services.js';
import type { Route } from '../route.js';
import { healthResponse, metricsText, readyResponse } from '../../wire/responses.js';

/** Resolves false once `ms` pass, so a hung bucket makes the pod unready instead of the probe hang. */
export function withDeadline(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([check().catch(() => false), late]).finally(() => clearTimeout(timer));
}

export function opsRoutes(s: Services): Route[] {
  const routes: Route[] = [
    {
      method: 'get',
      path: '/healthz',
      auth: 'none',
      body: 'none',
      summary: 'Liveness: 200 while the process runs',
      responses: { 200: healthResponse },
      handler: (_req, res) => {
        res.json({ status: 'ok' });
      },
    },
    {
      method: 'get',
      path: '/readyz',
      auth: 'none',
      body: 'none',
      summary: 'Readiness: 200 while the bucket answers and the pod is not draining, else 503',
      responses: { 200: readyResponse },
      errors: [503],
      handler: async (_req, res) => {
        const ready = await withDeadline(s.ready, s.readyTimeoutMs);
        res.status(ready ? 200 : 503).json(ready ? { status: 'ready' } : { code: 503, message: 'Service Unavailable: not ready' });
      },
    },
  ];
  const metrics = s.metrics;
  if (metrics) {
    routes.push({
      method: 'get',
      path: '/metrics',
      auth: 'none',
      body: 'none',
      summary: 'Prometheus metrics',
      responses: { 200: { contentType: 'text/plain', schema: metricsText } },
      handler: async (_req, res) => {
        res.setHeader('Content-Type', metrics.contentType);
        res.send(await metrics.render());
      },
    });
  }
  return routes;
}
