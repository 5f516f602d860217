/**
 * An ObjectStore decorator for benchmark 4: counts requests by operation and can add a fixed
 * delay to each, so an in-memory store behaves like a bucket whose every request costs a round
 * trip. Request counts are exact and machine-independent, unlike timings.
 */
import type { ListOptions, ObjectStore, PutOptions } from '../src/storage/object-store.js';

export type Operation = 'get' | 'head' | 'put' | 'delete' | 'list';

export class CountingStore implements ObjectStore {
  readonly kind: string;
  counts: Record<Operation, number> = { get: 0, head: 0, put: 0, delete: 0, list: 0 };
  /** Added before every request once set (0: none). */
  latencyMs = 0;

  constructor(private readonly inner: ObjectStore) {
    this.kind = inner.kind;
  }

  resetCounts(): void {
    this.counts = { get: 0, head: 0, put: 0, delete: 0, list: 0 };
  }

  private async before(op: Operation): Promise<void> {
    this.counts[op] += 1;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }

  async get(key: string) {
    await this.before('get');
    return this.inner.get(key);
  }

  async head(key: string) {
    await this.before('head');
    return this.inner.head(key);
  }

  async put(key: string, body: Buffer, options?: PutOptions) {
    await this.before('put');
    return this.inner.put(key, body, options);
  }

  async delete(key: string) {
    await this.before('delete');
    return this.inner.delete(key);
  }

  async list(options?: ListOptions) {
    await this.before('list');
    return this.inner.list(options);
  }
}
