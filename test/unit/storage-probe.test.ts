import { expect } from 'chai';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { BucketCheckError, ensureLayoutMarker, prepareBucket, probeConditionalWrites } from '../../src/storage/probe.js';
import type { ObjectStore, PutOptions } from '../../src/storage/object-store.js';
import { LAYOUT_KEY, LAYOUT_VERSION } from '../../src/storage/layout.js';

/** A bucket that accepts conditional headers but honours only those `keep` lets through. */
function forgetful(keep: (options: PutOptions, exists: boolean) => PutOptions): MemoryStore {
  const store = new MemoryStore();
  const put = store.put.bind(store);
  store.put = async (key, body, options = {}) => {
    const exists = await store.head(key).then(
      () => true,
      () => false,
    );
    return put(key, body, keep(options, exists));
  };
  return store;
}

async function expectCheckFailure(promise: Promise<unknown>, failure: BucketCheckError['failure']): Promise<BucketCheckError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(BucketCheckError);
    expect((err as BucketCheckError).failure).to.equal(failure);
    return err as BucketCheckError;
  }
  expect.fail('expected the bucket check to fail');
}

const allKeys = async (store: ObjectStore) => (await store.list()).objects.map((o) => o.key);

describe('bucket probe', function () {
  it('passes on a store that enforces both conditions, and leaves nothing behind', async function () {
    const store = new MemoryStore();
    await probeConditionalWrites(store);
    expect(await allKeys(store)).to.deep.equal([]);
  });

  it('refuses a bucket that ignores every condition, naming If-None-Match', async function () {
    const store = forgetful(() => ({}));
    const err = await expectCheckFailure(probeConditionalWrites(store), 'create-once');
    expect(err.message).to.contain('does not enforce If-None-Match: * (create-once)');
    expect(err.message).to.contain('Fulmar needs an S3 implementation with conditional writes');
    expect(await allKeys(store), 'the probe object is removed even on failure').to.deep.equal([]);
  });

  it('refuses a bucket that enforces create-once but ignores If-Match', async function () {
    const store = forgetful(({ ifNoneMatch }) => (ifNoneMatch ? { ifNoneMatch } : {}));
    const err = await expectCheckFailure(probeConditionalWrites(store), 'compare-and-swap');
    expect(err.message).to.contain('does not enforce If-Match: <etag> (compare-and-swap)');
    expect(await allKeys(store)).to.deep.equal([]);
  });

  it('refuses a bucket that treats If-Match on a missing key as a plain write', async function () {
    const store = forgetful((options, exists) => (exists ? options : { ...options, ifMatch: undefined }));
    const err = await expectCheckFailure(probeConditionalWrites(store), 'compare-and-swap');
    expect(err.message).to.contain('on a missing object');
    expect(await allKeys(store)).to.deep.equal([]);
  });

  it('refuses a bucket that refuses If-Match even with the current ETag', async function () {
    const store = new MemoryStore();
    const put = store.put.bind(store);
    store.put = async (key, body, options = {}) =>
      put(key, body, options.ifMatch !== undefined ? { ifMatch: '"never"' } : options);
    const err = await expectCheckFailure(probeConditionalWrites(store), 'compare-and-swap');
    expect(err.message).to.contain('refused If-Match with the object');
  });

  it('lets other storage errors through unchanged', async function () {
    const store = new MemoryStore();
    store.put = async () => {
      throw new Error('bucket unreachable');
    };
    try {
      await probeConditionalWrites(store);
      expect.fail('expected an error');
    } catch (err) {
      expect((err as Error).message).to.equal('bucket unreachable');
    }
  });
});

describe('layout marker', function () {
  it('is written once on a new bucket and read back afterwards', async function () {
    const store = new MemoryStore();
    const first = await ensureLayoutMarker(store, new Date('2025-01-02T03:04:05Z'));
    expect(first).to.deep.equal({ layout: LAYOUT_VERSION, createdAt: '2025-01-02T03:04:05.000Z' });
    const again = await ensureLayoutMarker(store, new Date('2030-01-01T00:00:00Z'));
    expect(again).to.deep.equal(first);
    expect(JSON.parse((await store.get(LAYOUT_KEY)).body.toString())).to.deep.equal(first);
  });

  it('refuses a bucket written by a newer layout', async function () {
    const store = new MemoryStore();
    await store.put(LAYOUT_KEY, Buffer.from(JSON.stringify({ layout: LAYOUT_VERSION + 1, createdAt: 'x' })));
    const err = await expectCheckFailure(ensureLayoutMarker(store), 'layout');
    expect(err.message).to.contain(`layout version ${LAYOUT_VERSION + 1}`);
    expect(err.message).to.contain('upgrade Fulmar');
  });

  it('refuses a marker that is not Fulmar’s', async function () {
    const store = new MemoryStore();
    await store.put(LAYOUT_KEY, Buffer.from('not json'));
    const err = await expectCheckFailure(ensureLayoutMarker(store), 'layout');
    expect(err.message).to.contain('not a Fulmar layout marker');
  });

  it('prepareBucket probes, then writes the marker', async function () {
    const store = new MemoryStore();
    expect((await prepareBucket(store)).layout).to.equal(LAYOUT_VERSION);
    expect(await allKeys(store)).to.deep.equal([LAYOUT_KEY]);
    await expectCheckFailure(prepareBucket(forgetful(() => ({}))), 'create-once');
  });
});
