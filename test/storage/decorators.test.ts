/**
 * The contract through every decorator, around the memory store: each one alone, and both as
 * createObjectStore composes them for a pod (the same composition over the filesystem store and
 * MinIO runs in filesystem.test.ts and s3.test.ts). A decorator that bent a guarantee — a
 * retried compare-and-swap, a swallowed not-found — would fail here.
 */
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { createStorageMetrics } from '../../src/observability/metrics.js';
import { createObjectStore } from '../../src/storage/create-store.js';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { MeteredStore } from '../../src/storage/metered-store.js';
import { RetryingStore } from '../../src/storage/retrying-store.js';
import { describeObjectStoreContract } from './contract.js';

const nothing = async () => {};
const sink = () => createStorageMetrics(new Registry());

describeObjectStoreContract('memory behind RetryingStore', async () => ({
  store: new RetryingStore(new MemoryStore(), { retries: 3, minDelayMs: 1 }),
  cleanup: nothing,
}));

describeObjectStoreContract('memory behind MeteredStore', async () => ({
  store: new MeteredStore(new MemoryStore(), sink()),
  cleanup: nothing,
}));

describeObjectStoreContract('memory behind RetryingStore(MeteredStore), the order a pod uses', async () => ({
  store: new RetryingStore(new MeteredStore(new MemoryStore(), sink()), { retries: 3, minDelayMs: 1 }),
  cleanup: nothing,
}));

describeObjectStoreContract('memory as createObjectStore builds it with metrics on', async () => ({
  store: createObjectStore(loadConfig({ FULMAR_STORAGE: 'memory' }), createLogger('silent'), sink()),
  cleanup: nothing,
}));
