import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { createObjectStore } from '../../src/storage/create-store.js';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { RetryingStore } from '../../src/storage/retrying-store.js';
import { MeteredStore, type StorageCall } from '../../src/storage/metered-store.js';
import { createStorageMetrics } from '../../src/observability/metrics.js';

const logger = createLogger('silent');

describe('createObjectStore', function () {
  let dataDir: string;
  beforeEach(async function () {
    dataDir = await mkdtemp(join(tmpdir(), 'fulmar-create-store-'));
  });
  afterEach(async function () {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('builds a bare memory store', function () {
    expect(createObjectStore(loadConfig({ FULMAR_STORAGE: 'memory' }), logger)).to.be.instanceOf(MemoryStore);
  });

  it('builds the filesystem store under <dataDir>/objects, behind the retry decorator', async function () {
    const store = createObjectStore(loadConfig({ FULMAR_DATA_DIR: dataDir }), logger);
    expect(store).to.be.instanceOf(RetryingStore);
    expect(store.kind).to.equal('filesystem');
    await store.put('org/p/s/meta.json', Buffer.from('{}'));
    expect(await readFile(join(dataDir, 'objects', 'org', 'p', 's', 'meta.json'), 'utf8')).to.equal('{}');
  });

  it('builds the S3 store from the configuration, behind the retry decorator', async function () {
    const config = loadConfig({
      FULMAR_S3_URL: 'http://ak:sk@127.0.0.1:1/bucket/pre/fix?region=eu-west-1',
      FULMAR_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      FULMAR_STORAGE_RETRIES: '0',
      FULMAR_STORAGE_TIMEOUT_MS: '500',
    });
    const store = createObjectStore(config, logger);
    expect(store).to.be.instanceOf(RetryingStore);
    expect(store.kind).to.equal('s3');
    // Nothing listens on port 1: proves the endpoint is used and failures are mapped.
    try {
      await store.get('x');
      expect.fail('expected unavailable');
    } catch (err) {
      expect((err as { code?: string }).code).to.equal('unavailable');
    }
    await store.close?.();
  });

  it('with a metrics sink, meters the memory store too', async function () {
    const calls: StorageCall[] = [];
    const store = createObjectStore(loadConfig({ FULMAR_STORAGE: 'memory' }), logger, { record: (c) => calls.push(c) });
    expect(store).to.be.instanceOf(MeteredStore);
    await store.put('x', Buffer.from('x'));
    expect(calls.map((c) => [c.operation, c.outcome])).to.deep.equal([['put', 'ok']]);
  });

  it('with a metrics sink, meters the backend inside the retries: each attempt is one request to the bucket', async function () {
    const config = loadConfig({
      FULMAR_S3_URL: 'http://ak:sk@127.0.0.1:1/bucket',
      FULMAR_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      FULMAR_STORAGE_RETRIES: '2',
      FULMAR_STORAGE_TIMEOUT_MS: '500',
    });
    const registry = new Registry();
    const store = createObjectStore(config, logger, createStorageMetrics(registry));
    expect(store).to.be.instanceOf(RetryingStore);
    try {
      await store.head('x');
      expect.fail('expected unavailable');
    } catch (err) {
      expect((err as { code?: string }).code).to.equal('unavailable');
    }
    await store.close?.();
    // Nothing listens on port 1: the first attempt and both retries each failed at the bucket.
    expect(await registry.metrics()).to.contain('fulmar_storage_requests_total{operation="head",condition="none",outcome="unavailable"} 3');
  });
});
