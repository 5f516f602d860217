import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { createStorageMetrics } from '../../src/observability/metrics.js';
import { createObjectStore } from '../../src/storage/create-store.js';
import { S3Store, type S3StoreOptions } from '../../src/storage/s3-store.js';
import { probeConditionalWrites } from '../../src/storage/probe.js';
import { ensureMinioBinary, startMinio, type MinioServer } from '../helpers/minio.js';
import { describeObjectStoreContract, expectStorageError, listAll } from './contract.js';

describe('S3Store against a real MinIO', function () {
  let minio: MinioServer | undefined;
  const stores: S3Store[] = [];
  const storeFor = (bucket: string, extra: Partial<S3StoreOptions> = {}) => {
    const m = minio!;
    const store = new S3Store({ endpoint: m.endpoint, bucket, accessKey: m.accessKey, secretKey: m.secretKey, region: m.region, timeoutMs: 10_000, ...extra });
    stores.push(store);
    return store;
  };

  before(async function () {
    this.timeout(60_000);
    ensureMinioBinary(this);
    minio = await startMinio();
  });
  after(async function () {
    this.timeout(20_000);
    await Promise.all(stores.map((s) => s.close()));
    await minio?.stop();
  });

  // A fresh bucket per test, with a key prefix so that the prefix handling is under test too.
  describeObjectStoreContract('s3 (MinIO, prefix "tenant/")', async () => {
    const store = storeFor(await minio!.createBucket(), { prefix: 'tenant/' });
    return { store, cleanup: () => store.close() };
  });

  describeObjectStoreContract('s3 (MinIO, no prefix)', async () => {
    const store = storeFor(await minio!.createBucket());
    return { store, cleanup: () => store.close() };
  });

  // The pod's own composition, from its configuration: RetryingStore(MeteredStore(S3Store)).
  describeObjectStoreContract('s3 (MinIO) as a pod builds it: RetryingStore(MeteredStore(s3)), prefix "pod/"', async () => {
    const m = minio!;
    const config = loadConfig({
      FULMAR_S3_ENDPOINT: m.endpoint,
      FULMAR_S3_BUCKET: await m.createBucket(),
      FULMAR_S3_ACCESS_KEY: m.accessKey,
      FULMAR_S3_SECRET_KEY: m.secretKey,
      FULMAR_S3_REGION: m.region,
      FULMAR_S3_PREFIX: 'pod/',
      FULMAR_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      FULMAR_STORAGE_TIMEOUT_MS: '10000',
    });
    const store = createObjectStore(config, createLogger('silent'), createStorageMetrics(new Registry()));
    return { store, cleanup: async () => store.close?.() };
  });

  describe('S3Store specifics', function () {
    it('prepends the prefix to every key and strips it from listed keys', async function () {
      const bucket = await minio!.createBucket();
      const raw = storeFor(bucket);
      const tenant = storeFor(bucket, { prefix: 'tenant/' });
      await tenant.put('org/meta.json', Buffer.from('in'));
      await raw.put('elsewhere/x', Buffer.from('out'));
      expect((await raw.get('tenant/org/meta.json')).body.toString()).to.equal('in');
      const pages = await listAll(tenant);
      expect(pages.flatMap((p) => p.objects.map((o) => o.key))).to.deep.equal(['org/meta.json']);
      const top = await tenant.list({ delimiter: '/' });
      expect(top.commonPrefixes).to.deep.equal(['org/']);
      await expectStorageError(tenant.get('elsewhere/x'), 'not-found');
    });

    it('takes storeTime from the response Date header (whole seconds), not the local clock', async function () {
      const store = storeFor(minio!.bucket, { prefix: 'clock/' });
      await store.put('x', Buffer.from('x'));
      const times = [];
      for (let i = 0; i < 3; i++) times.push((await store.get('x')).storeTime);
      // Date headers have a resolution of one second; a local clock would show milliseconds.
      expect(times.map((t) => t.getMilliseconds())).to.deep.equal([0, 0, 0]);
    });

    it('reports a missing bucket as internal, naming the bucket', async function () {
      const store = storeFor('fulmar-no-such-bucket');
      const err = await expectStorageError(store.get('x'), 'internal');
      expect(err.message).to.contain('fulmar-no-such-bucket');
      await expectStorageError(store.put('x', Buffer.from('x')), 'internal');
      await expectStorageError(store.list(), 'internal');
    });

    it('reports wrong credentials as internal (not retried, not not-found)', async function () {
      const store = storeFor(minio!.bucket, { secretKey: 'wrong-secret-key' });
      await expectStorageError(store.get('x'), 'internal');
      await expectStorageError(store.put('x', Buffer.from('x')), 'internal');
    });

    it('reports an endpoint nobody listens on as unavailable', async function () {
      const store = storeFor(minio!.bucket, { endpoint: 'http://127.0.0.1:1' });
      await expectStorageError(store.get('x'), 'unavailable');
      await expectStorageError(store.put('x', Buffer.from('x'), { ifNoneMatch: '*' }), 'unavailable');
    });

    it('refuses a garbage continuation token with invalid-key', async function () {
      const store = storeFor(minio!.bucket, { prefix: 'tok/' });
      await expectStorageError(store.list({ continuationToken: 'not-a-token' }), 'invalid-key');
    });

    it('passes the startup probe of conditional writes (this MinIO enforces both conditions)', async function () {
      const store = storeFor(await minio!.createBucket());
      await probeConditionalWrites(store);
      expect((await store.list()).objects, 'the probe cleans up after itself').to.deep.equal([]);
    });
  });
});
