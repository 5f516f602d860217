import { expect } from 'chai';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { RetryingStore } from '../../src/storage/retrying-store.js';
import type { ListOptions, ObjectStore, PutOptions } from '../../src/storage/object-store.js';
import { StorageError, type StorageErrorCode } from '../../src/storage/storage-error.js';
import { expectStorageError } from '../storage/contract.js';

type Op = 'get' | 'head' | 'put' | 'delete' | 'list';
interface Fault {
  code: StorageErrorCode;
  /** The call reaches the store, then its answer is "lost" (as a timeout after the write). */
  afterEffect?: boolean;
}

/** A MemoryStore whose next calls fail as scripted, counting every call. */
class FaultyStore implements ObjectStore {
  readonly kind = 'faulty';
  readonly inner = new MemoryStore();
  readonly calls: Record<Op, number> = { get: 0, head: 0, put: 0, delete: 0, list: 0 };
  private readonly faults: Record<Op, Fault[]> = { get: [], head: [], put: [], delete: [], list: [] };

  fail(op: Op, times: number, fault: Fault): this {
    for (let i = 0; i < times; i++) this.faults[op].push(fault);
    return this;
  }

  private async run<T>(op: Op, fn: () => Promise<T>): Promise<T> {
    this.calls[op] += 1;
    const fault = this.faults[op].shift();
    if (!fault) return fn();
    if (fault.afterEffect) await fn();
    throw new StorageError(fault.code, `injected ${fault.code} on ${op}`);
  }

  get(key: string) {
    return this.run('get', () => this.inner.get(key));
  }
  head(key: string) {
    return this.run('head', () => this.inner.head(key));
  }
  put(key: string, body: Buffer, options?: PutOptions) {
    return this.run('put', () => this.inner.put(key, body, options));
  }
  delete(key: string) {
    return this.run('delete', () => this.inner.delete(key));
  }
  list(options?: ListOptions) {
    return this.run('list', () => this.inner.list(options));
  }
}

describe('RetryingStore', function () {
  let faulty: FaultyStore;
  let store: RetryingStore;
  let retried: { operation: string; attempt: number }[];
  beforeEach(function () {
    faulty = new FaultyStore();
    retried = [];
    store = new RetryingStore(faulty, {
      retries: 3,
      minDelayMs: 1,
      maxDelayMs: 5,
      onRetry: ({ operation, attempt }) => retried.push({ operation, attempt }),
    });
  });
  const body = Buffer.from('body');

  it('retries reads that fail as unavailable, and reports each retry', async function () {
    await faulty.inner.put('k', body);
    faulty.fail('get', 2, { code: 'unavailable' });
    expect((await store.get('k')).body.toString()).to.equal('body');
    expect(faulty.calls.get).to.equal(3);
    expect(retried).to.deep.equal([
      { operation: 'get k', attempt: 1 },
      { operation: 'get k', attempt: 2 },
    ]);
  });

  it('gives up after the budget: retries + 1 attempts, then the last error', async function () {
    faulty.fail('head', 10, { code: 'unavailable' });
    await expectStorageError(store.head('k'), 'unavailable');
    expect(faulty.calls.head).to.equal(4);
  });

  it('does not retry answers: not-found, precondition-failed, invalid-key, internal', async function () {
    await expectStorageError(store.get('missing'), 'not-found');
    expect(faulty.calls.get).to.equal(1);
    faulty.fail('list', 1, { code: 'internal' });
    await expectStorageError(store.list(), 'internal');
    expect(faulty.calls.list).to.equal(1);
    faulty.fail('delete', 1, { code: 'invalid-key' });
    await expectStorageError(store.delete('k'), 'invalid-key');
    expect(faulty.calls.delete).to.equal(1);
    await faulty.inner.put('exists', body);
    await expectStorageError(store.put('exists', body, { ifNoneMatch: '*' }), 'precondition-failed');
    expect(faulty.calls.put).to.equal(1);
  });

  it('retries list, delete and unconditional puts', async function () {
    faulty.fail('list', 1, { code: 'unavailable' }).fail('delete', 1, { code: 'unavailable' }).fail('put', 1, { code: 'unavailable', afterEffect: true });
    await store.put('k', body);
    await store.list();
    await store.delete('k');
    expect(faulty.calls).to.include({ list: 2, delete: 2, put: 2 });
    await expectStorageError(faulty.inner.get('k'), 'not-found');
  });

  it('never retries a compare-and-swap', async function () {
    const { etag } = await faulty.inner.put('meta', body);
    faulty.fail('put', 1, { code: 'unavailable' });
    await expectStorageError(store.put('meta', Buffer.from('v2'), { ifMatch: etag }), 'unavailable');
    expect(faulty.calls.put).to.equal(1);
    expect(retried).to.deep.equal([]);
  });

  it('treats a create-once whose lost first attempt wrote our bytes as success', async function () {
    faulty.fail('put', 1, { code: 'unavailable', afterEffect: true });
    const result = await store.put('cp/1', body, { ifNoneMatch: '*' });
    expect(faulty.calls.put).to.equal(2);
    const stored = await faulty.inner.get('cp/1');
    expect(result.etag).to.equal(stored.etag);
    expect(stored.body.toString()).to.equal('body');
  });

  it('still refuses a retried create-once when someone else’s bytes are there', async function () {
    faulty.fail('put', 1, { code: 'unavailable' });
    // Another writer creates the key between our failed attempt and the retry.
    const original = faulty.put.bind(faulty);
    let first = true;
    faulty.put = async (key, b, options) => {
      if (!first) await faulty.inner.put(key, Buffer.from('theirs')).catch(() => undefined);
      first = false;
      return original(key, b, options);
    };
    await expectStorageError(store.put('cp/2', body, { ifNoneMatch: '*' }), 'precondition-failed');
    expect((await faulty.inner.get('cp/2')).body.toString()).to.equal('theirs');
  });

  it('does not retry at all with a budget of 0', async function () {
    const noRetry = new RetryingStore(faulty, { retries: 0 });
    faulty.fail('get', 1, { code: 'unavailable' });
    await expectStorageError(noRetry.get('k'), 'unavailable');
    expect(faulty.calls.get).to.equal(1);
  });

  it('keeps the backoff within its bounds', async function () {
    const slow = new RetryingStore(faulty, { retries: 2, minDelayMs: 40, maxDelayMs: 60 });
    faulty.fail('get', 2, { code: 'unavailable' });
    await faulty.inner.put('k', body);
    const started = Date.now();
    await slow.get('k');
    const elapsed = Date.now() - started;
    // Two waits, each randomised within [min, max]: at least 80 ms, at most 120 ms (+ slack).
    expect(elapsed).to.be.within(75, 400);
  });
});
