/**
 * Builds the configured ObjectStore: memory, filesystem (`<dataDir>/objects`) or S3. Real
 * backends are wrapped in the retry decorator; the memory store cannot fail transiently.
 */
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import type { ObjectStore } from './object-store.js';
import { MemoryStore } from './memory-store.js';
import { FilesystemStore } from './filesystem-store.js';
import { S3Store } from './s3-store.js';
import { RetryingStore } from './retrying-store.js';

export function createObjectStore(config: Config, logger: Logger): ObjectStore {
  const storage = config.storage;
  if (storage.kind === 'memory') return new MemoryStore();
  const inner =
    storage.kind === 'filesystem'
      ? new FilesystemStore(join(storage.dataDir, 'objects'))
      : new S3Store({
          endpoint: storage.endpoint,
          bucket: storage.bucket,
          accessKey: storage.accessKey,
          secretKey: storage.secretKey,
          region: storage.region,
          prefix: storage.prefix,
          pathStyle: storage.pathStyle,
          timeoutMs: config.storageTimeoutMs,
        });
  return new RetryingStore(inner, {
    retries: config.storageRetries,
    onRetry: ({ operation, attempt, error }) =>
      logger.warn({ store: inner.kind, operation, attempt, err: error.message }, 'storage call failed transiently; retrying'),
  });
}
