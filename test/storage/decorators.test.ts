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
import { ReadOnlyStore } from '../../src/storage/read-only-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { expect } from 'chai';
import { describeObjectStoreContract, expectStorageError } from './contract.js';

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

/**
 * ReadOnlyStore refuses every write, so the contract runs with its writes sent to the store
 * underneath and every read — get, head, list with all its options — through the decorator: what
 * `fulmar adopt-diy` reads of a DIY backend is what the backend holds, page for page.
 */
function readThrough(inner: ObjectStore): ObjectStore {
  const readOnly = new ReadOnlyStore(inner, 'the DIY backend');
  return {
    kind: readOnly.kind,
    get: (key) => readOnly.get(key),
    head: (key) => readOnly.head(key),
    list: (options) => readOnly.list(options),
    put: (key, body, options) => inner.put(key, body, options),
    delete: (key) => inner.delete(key),
  };
}

describeObjectStoreContract('memory read through ReadOnlyStore', async () => ({ store: readThrough(new MemoryStore()), cleanup: nothing }));

describe('ReadOnlyStore', () => {
  it('refuses every write and delete before it reaches the store, naming the store', async () => {
    const inner = new MemoryStore();
    await inner.put('k', Buffer.from('v'));
    const store: ObjectStore = new ReadOnlyStore(inner, 'the DIY backend');
    const put = await expectStorageError(store.put('k', Buffer.from('w')), 'internal');
    expect(put.message).to.equal('the DIY backend is opened read-only: refusing to write k');
    await expectStorageError(store.put('new', Buffer.from('w'), { ifNoneMatch: '*' }), 'internal');
    await expectStorageError(store.delete('k'), 'internal');
    expect((await inner.get('k')).body.toString()).to.equal('v');
    expect((await inner.list()).objects.map((o) => o.key)).to.deep.equal(['k']);
  });
});
