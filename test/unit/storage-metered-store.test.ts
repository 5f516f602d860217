import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createStorageMetrics } from '../../src/observability/metrics.js';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { MeteredStore, type StorageCall } from '../../src/storage/metered-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { RetryingStore } from '../../src/storage/retrying-store.js';
import { StorageError } from '../../src/storage/storage-error.js';
import { HookStore } from '../helpers/hook-store.js';
import { expectStorageError } from '../storage/contract.js';

const text = (s: string) => Buffer.from(s, 'utf8');

/** Reads one sample of a series (0 when the registry has no such labels). */
async function sample(registry: Registry, name: string, labels: Record<string, string> = {}, series = name): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const match = values.find(
    // Histograms list their _bucket, _sum and _count samples under one metric, each named.
    (v) => ((v as { metricName?: string }).metricName ?? name) === series && Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return match?.value ?? 0;
}

const requests = (registry: Registry, operation: string, condition: string, outcome: string) =>
  sample(registry, 'fulmar_storage_requests_total', { operation, condition, outcome });

describe('MeteredStore', function () {
  let registry: Registry;
  let clockMs: number;
  let hooked: HookStore;
  let store: MeteredStore;
  beforeEach(function () {
    registry = new Registry();
    clockMs = 0;
    hooked = new HookStore(new MemoryStore());
    store = new MeteredStore(hooked, createStorageMetrics(registry), () => clockMs);
  });

  it('counts each call by operation, put condition and outcome, answers apart from errors', async function () {
    const v1 = await store.put('s/meta.json', text('v1'));
    await store.put('s/meta.json', text('v2'), { ifMatch: v1.etag });
    await expectStorageError(store.put('s/meta.json', text('v3'), { ifMatch: v1.etag }), 'precondition-failed');
    await store.put('c/once', text('1'), { ifNoneMatch: '*' });
    await expectStorageError(store.put('c/once', text('2'), { ifNoneMatch: '*' }), 'precondition-failed');
    expect((await store.get('s/meta.json')).body.toString()).to.equal('v2');
    await expectStorageError(store.get('missing'), 'not-found');
    await expectStorageError(store.head('missing'), 'not-found');
    await store.list({ prefix: 's/' });
    await store.delete('c/once');
    await expectStorageError(store.put('a//b', text('x')), 'invalid-key');

    expect({
      putOk: await requests(registry, 'put', 'none', 'ok'),
      putInvalid: await requests(registry, 'put', 'none', 'invalid-key'),
      casOk: await requests(registry, 'put', 'if-match', 'ok'),
      casLost: await requests(registry, 'put', 'if-match', 'precondition-failed'),
      createOk: await requests(registry, 'put', 'if-none-match', 'ok'),
      createLost: await requests(registry, 'put', 'if-none-match', 'precondition-failed'),
      getOk: await requests(registry, 'get', 'none', 'ok'),
      getMissing: await requests(registry, 'get', 'none', 'not-found'),
      headMissing: await requests(registry, 'head', 'none', 'not-found'),
      listOk: await requests(registry, 'list', 'none', 'ok'),
      deleteOk: await requests(registry, 'delete', 'none', 'ok'),
    }).to.deep.equal({
      putOk: 1,
      putInvalid: 1,
      casOk: 1,
      casLost: 1,
      createOk: 1,
      createLost: 1,
      getOk: 1,
      getMissing: 1,
      headMissing: 1,
      listOk: 1,
      deleteOk: 1,
    });
  });

  it('times each call into the duration histogram, by operation and condition, whatever the outcome', async function () {
    await store.put('k', text('x'));
    hooked.before('get', (key) => key === 'k', async () => {
      clockMs += 2_000;
    });
    await store.get('k');
    hooked.before('put', () => true, async () => {
      clockMs += 30;
    });
    await expectStorageError(store.put('k', text('y'), { ifNoneMatch: '*' }), 'precondition-failed');

    const histogram = 'fulmar_storage_request_duration_seconds';
    const bucket = (operation: string, condition: string, le: string) =>
      sample(registry, histogram, { operation, condition, le }, `${histogram}_bucket`);
    expect(await bucket('get', 'none', '1')).to.equal(0);
    expect(await bucket('get', 'none', '2.5')).to.equal(1);
    expect(await sample(registry, histogram, { operation: 'get', condition: 'none' }, `${histogram}_sum`)).to.equal(2);
    expect(await bucket('put', 'if-none-match', '0.025')).to.equal(0);
    expect(await bucket('put', 'if-none-match', '0.05')).to.equal(1);
    expect(await sample(registry, histogram, { operation: 'put', condition: 'none' }, `${histogram}_count`)).to.equal(1);
    expect(await bucket('put', 'none', '0.001')).to.equal(1);
  });

  it('counts the body bytes of successful gets and puts only', async function () {
    await store.put('b/one', text('12345'));
    await store.get('b/one');
    await expectStorageError(store.put('b/one', text('xyz'), { ifNoneMatch: '*' }), 'precondition-failed');
    await expectStorageError(store.get('b/missing'), 'not-found');
    expect(await sample(registry, 'fulmar_storage_written_bytes_total')).to.equal(5);
    expect(await sample(registry, 'fulmar_storage_read_bytes_total')).to.equal(5);
  });

  it('passes results and errors through unchanged, counting a thrown non-StorageError as internal', async function () {
    const calls: StorageCall[] = [];
    const bug = new TypeError('a bug in a backend');
    const broken: ObjectStore = {
      kind: 'broken',
      get: async () => {
        throw bug;
      },
      head: (key) => Promise.reject(new StorageError('unavailable', `head ${key}: timeout`)),
      put: async () => ({ etag: '"e"' }),
      delete: async () => {},
      list: async () => ({ objects: [], commonPrefixes: [] }),
    };
    const metered = new MeteredStore(broken, { record: (call) => calls.push(call) }, () => 0);
    expect(metered.kind).to.equal('broken');
    try {
      await metered.get('x');
      expect.fail('expected the bug to surface');
    } catch (err) {
      expect(err).to.equal(bug);
    }
    await expectStorageError(metered.head('x'), 'unavailable');
    expect(await metered.put('x', text('ab'), { ifMatch: '"d"' })).to.deep.equal({ etag: '"e"' });
    expect(calls).to.deep.equal([
      { operation: 'get', condition: 'none', outcome: 'internal', seconds: 0, bytes: 0 },
      { operation: 'head', condition: 'none', outcome: 'unavailable', seconds: 0, bytes: 0 },
      { operation: 'put', condition: 'if-match', outcome: 'ok', seconds: 0, bytes: 2 },
    ]);
  });

  it('shows the answer series at 0 before any call, so a conflict rate reads 0 rather than no data', async function () {
    const scraped = await registry.metrics();
    expect(scraped).to.contain('fulmar_storage_requests_total{operation="put",condition="if-match",outcome="precondition-failed"} 0');
    expect(scraped).to.contain('fulmar_storage_requests_total{operation="get",condition="none",outcome="not-found"} 0');
    expect(scraped).to.contain('fulmar_storage_request_duration_seconds_count{operation="list",condition="none"} 0');
  });

  it('behind the retry decorator, as the pod composes them, counts every attempt to the bucket', async function () {
    const blip = async () => {
      throw new StorageError('unavailable', 'injected 503');
    };
    hooked.before('get', () => true, blip);
    hooked.before('get', () => true, blip);
    await store.put('r/x', text('x'));
    const pod = new RetryingStore(store, { retries: 3, minDelayMs: 1, maxDelayMs: 1 });
    expect((await pod.get('r/x')).body.toString()).to.equal('x');
    expect(await requests(registry, 'get', 'none', 'unavailable')).to.equal(2);
    expect(await requests(registry, 'get', 'none', 'ok')).to.equal(1);
  });
});
