/**
 * Builds the configured ObjectStore: memory, filesystem (`<dataDir>/objects`) or S3. Real
 * backends are wrapped in the retry decorator; the memory store cannot fail transiently. Given a
 * metrics sink, every backend, memory included, is metered: with metrics on, /metrics always
 * shows the store's calls, whatever the backend.
 *
 * The order is RetryingStore(MeteredStore(backend)): the meter sits next to the bucket, so it
 * counts and times each attempt — the requests the bucket really served, the unavailable ones
 * that were retried included — rather than one logical call per retried sequence, whose duration
 * would be mostly backoff and whose transient failures would vanish from the counts.
 */
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import type { ObjectStore } from './object-store.js';
import { MemoryStore } from './memory-store.js';
import { backendAt } from './store-location.js';
import { RetryingStore } from './retrying-store.js';
import { MeteredStore, type StorageMetrics } from './metered-store.js';

export function createObjectStore(config: Config, logger: Logger, metrics?: StorageMetrics): ObjectStore {
  const storage = config.storage;
  const metered = (store: ObjectStore) => (metrics ? new MeteredStore(store, metrics) : store);
  if (storage.kind === 'memory') return metered(new MemoryStore());
  const backend = backendAt(storage.kind === 'filesystem' ? { kind: 'folder', root: join(storage.dataDir, 'objects') } : storage, config.storageTimeoutMs);
  return new RetryingStore(metered(backend), {
    retries: config.storageRetries,
    onRetry: ({ operation, attempt, error }) =>
      logger.warn({ store: backend.kind, operation, attempt, err: error.message }, 'storage call failed transiently; retrying'),
  });
}
