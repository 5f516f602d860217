/** Prometheus metrics with bounded labels (route templates, not raw paths). */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestHandler } from 'express';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Histogram({
    name: 'fulmar_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status class',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [registry],
  });
  const cacheEvents = new Counter({
    name: 'fulmar_cache_events_total',
    help: 'LRU cache hits and misses of immutable objects',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  const middleware: RequestHandler = (req, res, next) => {
    const end = requests.startTimer();
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      end({ method: req.method, route, status: `${Math.floor(res.statusCode / 100)}xx` });
    });
    next();
  };
  return {
    registry,
    cacheEvents,
    middleware,
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}
