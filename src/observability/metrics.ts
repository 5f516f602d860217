/** Prometheus metrics with bounded labels (route templates, not raw paths). */
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CacheStats } from '../storage/immutable-cache.js';
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
  const caches: (() => CacheStats)[] = [];
  new Gauge({
    name: 'fulmar_cache_hits_total',
    help: 'Reads of immutable objects served from the LRU cache',
    registers: [registry],
    collect() {
      this.set(caches.reduce((n, s) => n + s().hits, 0));
    },
  });
  new Gauge({
    name: 'fulmar_cache_misses_total',
    help: 'Reads of immutable objects that went to the bucket',
    registers: [registry],
    collect() {
      this.set(caches.reduce((n, s) => n + s().misses, 0));
    },
  });
  new Gauge({
    name: 'fulmar_cache_bytes',
    help: 'Bytes held by the LRU cache of immutable objects',
    registers: [registry],
    collect() {
      this.set(caches.reduce((n, s) => n + s().bytes, 0));
    },
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
    middleware,
    /** Reports a cache's counters on every scrape. */
    watchCache: (stats: () => CacheStats) => caches.push(stats),
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}
