/** Prometheus metrics with bounded labels (route templates, not raw paths). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CacheStats } from '../storage/immutable-cache.js';
import type { ReplayStats } from '../services/journal-replays.js';
import type { PutCondition, StorageMetrics, StorageOperation, StorageOutcome } from '../storage/metered-store.js';
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
  const replays: (() => ReplayStats)[] = [];
  new Gauge({
    name: 'fulmar_journal_entries_replayed_total',
    help: 'Journal entries applied to the pod\'s replays of running updates: ahead (as batches were stored) or on_read (while an export or a commit waited)',
    labelNames: ['when'] as const,
    registers: [registry],
    collect() {
      const sum = (pick: (s: ReplayStats) => number) => replays.reduce((n, s) => n + pick(s()), 0);
      this.set({ when: 'ahead' }, sum((s) => s.ahead));
      this.set({ when: 'on_read' }, sum((s) => s.onRead));
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
    /** The sink of the MeteredStore around the pod's store (src/storage/create-store.ts). */
    storage: createStorageMetrics(registry),
    /** Reports a cache's counters on every scrape. */
    watchCache: (stats: () => CacheStats) => caches.push(stats),
    /** Reports a pod's journal replay counters on every scrape. */
    watchReplays: (stats: () => ReplayStats) => replays.push(stats),
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}

/** From a fast local bucket (~1 ms) to a call near the default storage timeout (15 s). */
const STORAGE_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The series a scrape shows before the first call, so that ratios such as the CAS conflict rate
 * read 0 rather than "no data": every operation and condition with `ok`, and the answers each
 * one can give.
 */
const EXPECTED_CALLS: readonly [StorageOperation, PutCondition, StorageOutcome[]][] = [
  ['get', 'none', ['ok', 'not-found']],
  ['head', 'none', ['ok', 'not-found']],
  ['put', 'none', ['ok']],
  ['put', 'if-match', ['ok', 'precondition-failed']],
  ['put', 'if-none-match', ['ok', 'precondition-failed']],
  ['delete', 'none', ['ok']],
  ['list', 'none', ['ok']],
];

/** The storage series on `registry`, as the sink a MeteredStore records into. */
export function createStorageMetrics(registry: Registry): StorageMetrics {
  const requests = new Counter({
    name: 'fulmar_storage_requests_total',
    help:
      'Requests to the bucket, each retry attempt counted, by operation (get, head, put, delete, list), ' +
      'condition (put only: if-match = compare-and-swap, if-none-match = create-once; else none) and outcome: ' +
      'ok; not-found (get/head of a missing key) and precondition-failed (a conditional put that lost) are answers, not errors; ' +
      'unavailable (5xx, timeout, network), invalid-key and internal are errors',
    labelNames: ['operation', 'condition', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'fulmar_storage_request_duration_seconds',
    help: 'Duration of each request to the bucket (each retry attempt), whatever its outcome, by operation and condition',
    labelNames: ['operation', 'condition'] as const,
    buckets: STORAGE_SECONDS_BUCKETS,
    registers: [registry],
  });
  const readBytes = new Counter({
    name: 'fulmar_storage_read_bytes_total',
    help: 'Object body bytes read from the bucket by successful gets',
    registers: [registry],
  });
  const writtenBytes = new Counter({
    name: 'fulmar_storage_written_bytes_total',
    help: 'Object body bytes written to the bucket by successful puts',
    registers: [registry],
  });
  for (const [operation, condition, outcomes] of EXPECTED_CALLS) {
    duration.zero({ operation, condition });
    for (const outcome of outcomes) requests.inc({ operation, condition, outcome }, 0);
  }
  return {
    record({ operation, condition, outcome, seconds, bytes }) {
      requests.inc({ operation, condition, outcome });
      duration.observe({ operation, condition }, seconds);
      if (operation === 'get') readBytes.inc(bytes);
      else if (operation === 'put') writtenBytes.inc(bytes);
    },
  };
}
