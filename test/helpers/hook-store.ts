/**
 * A store decorator for deterministic race tests: runs a function once, just before or just after
 * the first call that matches, so another request can be interleaved at exactly that step — or
 * fails that call once, as a pod dying there would leave the bucket.
 */
import type { ListOptions, ObjectStore, PutOptions } from '../../src/storage/object-store.js';
import { StorageError } from '../../src/storage/storage-error.js';

export type Op = 'get' | 'head' | 'put' | 'delete' | 'list';
/** `key` is the object key, or the prefix of a list. */
export type Match = (key: string, options?: PutOptions) => boolean;

interface Hook {
  op: Op;
  match: Match;
  when: 'before' | 'after';
  run: () => Promise<void>;
}

export class HookStore implements ObjectStore {
  readonly kind = 'hooked';
  private hooks: Hook[] = [];
  private counters: { op: Op; match: Match; counter: { calls: number } }[] = [];

  constructor(readonly inner: ObjectStore) {}

  /** Runs `fn` once, before the first matching call reaches the store. */
  before(op: Op, match: Match, fn: () => Promise<void>): void {
    this.hooks.push({ op, match, when: 'before', run: fn });
  }

  /** Runs `fn` once, after the first matching call has reached the store (its result held back). */
  after(op: Op, match: Match, fn: () => Promise<void>): void {
    this.hooks.push({ op, match, when: 'after', run: fn });
  }

  /** The first matching call fails: before it reaches the store, or after (it landed, the caller never hears). */
  failOnce(op: Op, match: Match, when: 'before' | 'after' = 'before'): void {
    this.hooks.push({
      op,
      match,
      when,
      run: async () => {
        throw new StorageError('internal', `injected failure ${when} ${op}`);
      },
    });
  }

  /** Counts the calls that match, from now on (the count is read from the returned object). */
  count(op: Op, match: Match): { calls: number } {
    const counter = { calls: 0 };
    this.counters.push({ op, match, counter });
    return counter;
  }

  get pending(): number {
    return this.hooks.length;
  }

  get = (key: string) => this.call('get', key, undefined, () => this.inner.get(key));
  head = (key: string) => this.call('head', key, undefined, () => this.inner.head(key));
  put = (key: string, body: Buffer, options?: PutOptions) => this.call('put', key, options, () => this.inner.put(key, body, options));
  delete = (key: string) => this.call('delete', key, undefined, () => this.inner.delete(key));
  list = (options: ListOptions = {}) => this.call('list', options.prefix ?? '', undefined, () => this.inner.list(options));

  private async call<T>(op: Op, key: string, options: PutOptions | undefined, fn: () => Promise<T>): Promise<T> {
    for (const c of this.counters) if (c.op === op && c.match(key, options)) c.counter.calls++;
    const before = this.take(op, key, options, 'before');
    if (before) await before.run();
    const result = await fn();
    const after = this.take(op, key, options, 'after');
    if (after) await after.run();
    return result;
  }

  private take(op: Op, key: string, options: PutOptions | undefined, when: Hook['when']): Hook | undefined {
    const i = this.hooks.findIndex((h) => h.op === op && h.when === when && h.match(key, options));
    if (i < 0) return undefined;
    return this.hooks.splice(i, 1)[0];
  }
}
