/**
 * The fault proxy against a real MinIO: untouched requests keep their SigV4 signature valid and
 * their conditional semantics, and each fault kind happens as described.
 */
import { expect } from 'chai';
import { S3Store } from '../../src/storage/s3-store.js';
import { isStorageError } from '../../src/storage/storage-error.js';
import { ensureMinioBinary, startMinio, type MinioServer } from '../helpers/minio.js';
import { startFaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.js';

describe('S3 fault proxy (real MinIO behind it)', function () {
  this.timeout(60_000);
  let minio: MinioServer;
  let proxy: FaultProxy;
  let viaProxy: S3Store;
  let direct: S3Store;

  const storeOptions = (endpoint: string) => ({
    endpoint,
    bucket: minio.bucket,
    accessKey: minio.accessKey,
    secretKey: minio.secretKey,
    region: minio.region,
    timeoutMs: 5_000,
  });
  const store = (endpoint: string) => new S3Store(storeOptions(endpoint));

  before(async function () {
    ensureMinioBinary(this);
    minio = await startMinio();
    proxy = await startFaultProxy(minio.endpoint);
    viaProxy = store(proxy.url);
    direct = store(minio.endpoint);
  });
  after(async () => {
    await viaProxy?.close();
    await direct?.close();
    await proxy?.close();
    await minio?.stop();
  });
  afterEach(() => proxy?.setPlan(undefined));

  const failure = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err;
    }
    throw new Error('expected the call to fail');
  };

  it('forwards signed requests untouched: SigV4 passes, create-once and compare-and-swap still answer 412', async () => {
    const { etag } = await viaProxy.put('a/once.json', Buffer.from('{"n":1}'), { ifNoneMatch: '*' });
    expect((await viaProxy.get('a/once.json')).body.toString()).to.equal('{"n":1}');
    const again = await failure(viaProxy.put('a/once.json', Buffer.from('{"n":2}'), { ifNoneMatch: '*' }));
    expect(isStorageError(again, 'precondition-failed'), String(again)).to.equal(true);
    await viaProxy.put('a/once.json', Buffer.from('{"n":3}'), { ifMatch: etag });
    const stale = await failure(viaProxy.put('a/once.json', Buffer.from('{"n":4}'), { ifMatch: etag }));
    expect(isStorageError(stale, 'precondition-failed'), String(stale)).to.equal(true);
    const page = await viaProxy.list({ prefix: 'a/' });
    expect(page.objects.map((o) => o.key)).to.deep.equal(['a/once.json']);
    expect((await viaProxy.head('a/once.json')).size).to.equal(7);
    expect(proxy.counts.forwarded).to.be.greaterThan(5);
  });

  it('rejects a request signed with the wrong secret (so the signature check above is real)', async () => {
    const forged = new S3Store({ ...storeOptions(proxy.url), secretKey: 'not-the-secret' });
    try {
      const err = await failure(forged.get('a/once.json'));
      expect(String(err)).to.match(/403|SignatureDoesNotMatch/);
    } finally {
      await forged.close();
    }
  });

  it('answers 503 SlowDown in S3 XML without forwarding', async () => {
    proxy.setPlan({ seed: 1, slowdown: { probability: 1, methods: ['PUT'] } });
    const before = proxy.counts.slowdown;
    const err = await failure(viaProxy.put('b/slow.json', Buffer.from('x')));
    expect(isStorageError(err, 'unavailable'), String(err)).to.equal(true);
    expect((err as Error).message).to.match(/503 SlowDown/);
    expect(proxy.counts.slowdown).to.equal(before + 1);
    const missing = await failure(direct.get('b/slow.json'));
    expect(isStorageError(missing, 'not-found')).to.equal(true);
    // Other methods pass.
    expect((await viaProxy.list({ prefix: 'b/' })).objects).to.deep.equal([]);
  });

  it('cuts the connection before forwarding: the write never lands', async () => {
    proxy.setPlan({ seed: 2, cutBefore: { probability: 1, methods: ['PUT'] } });
    const err = await failure(viaProxy.put('c/before.json', Buffer.from('x')));
    expect(isStorageError(err, 'unavailable'), String(err)).to.equal(true);
    expect(proxy.counts['cut-before']).to.be.greaterThan(0);
    const missing = await failure(direct.get('c/before.json'));
    expect(isStorageError(missing, 'not-found')).to.equal(true);
  });

  it('cuts the connection after the upstream answered: the write landed, the caller sees a socket error', async () => {
    proxy.setPlan({ seed: 3, cutAfter: { probability: 1, methods: ['PUT', 'DELETE'] } });
    const err = await failure(viaProxy.put('d/after.json', Buffer.from('landed'), { ifNoneMatch: '*' }));
    expect(isStorageError(err, 'unavailable'), String(err)).to.equal(true);
    expect(proxy.counts['cut-after']).to.be.greaterThan(0);
    expect((await direct.get('d/after.json')).body.toString()).to.equal('landed');
    // GETs are not in the plan's methods, so they pass.
    expect((await viaProxy.get('d/after.json')).body.toString()).to.equal('landed');
  });

  it('adds latency, exempts matching paths, and replays the same decisions for the same seed', async () => {
    proxy.setPlan({ seed: 4, latency: { probability: 1, minMs: 200, maxMs: 200 }, exempt: /\/fast\// });
    let t = Date.now();
    await viaProxy.put('e/slow.json', Buffer.from('x'));
    expect(Date.now() - t).to.be.at.least(190);
    t = Date.now();
    await viaProxy.put('e/fast/x.json', Buffer.from('x'));
    expect(Date.now() - t).to.be.below(150);

    const pattern = async () => {
      proxy.setPlan({ seed: 99, slowdown: { probability: 0.5 } });
      const out: boolean[] = [];
      for (let i = 0; i < 12; i++) {
        out.push(await viaProxy.head('e/slow.json').then(() => true, () => false));
      }
      return out;
    };
    const first = await pattern();
    expect(first).to.include(true).and.to.include(false);
    expect(await pattern()).to.deep.equal(first);
  });
});
