/**
 * The API suite on a real MinIO bucket shared by two app instances — two "pods", each with its
 * own S3 client — with requests alternating between them.
 */
import { S3Store } from '../../src/storage/s3-store.js';
import { RetryingStore } from '../../src/storage/retrying-store.js';
import { ensureMinioBinary, startMinio } from '../helpers/minio.js';
import { makeApi } from '../helpers/api.js';
import { describeApiSuite } from './api-suite.js';

describeApiSuite('a real MinIO bucket shared by two pods', async (ctx) => {
  ensureMinioBinary(ctx);
  const minio = await startMinio();
  const stores = [0, 1].map(
    () =>
      new S3Store({
        endpoint: minio.endpoint,
        bucket: minio.bucket,
        accessKey: minio.accessKey,
        secretKey: minio.secretKey,
        region: minio.region,
        timeoutMs: 15_000,
      }),
  );
  return {
    apps: stores.map((s) => makeApi(new RetryingStore(s, { retries: 2 })).app),
    cleanup: async () => {
      await Promise.all(stores.map((s) => s.close()));
      await minio.stop();
    },
  };
});
