/**
 * An ObjectStore in a Map: for tests and `FULMAR_STORAGE=memory`. Everything is lost on exit.
 * Calls are synchronous inside, so create-once and compare-and-swap are trivially atomic.
 */
import type { ListOptions, ListPage, ObjectInfo, ObjectStore, PutOptions, PutResult, StoredObject } from './object-store.js';
import { StorageError } from './storage-error.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { compareKeys, etagOf, validateKey } from './object-keys.js';
import { cursorWants, listWithWalker, type ListCursor } from './list-page.js';

interface Entry {
  readonly body: Buffer;
  readonly etag: string;
  readonly lastModified: Date;
}

export class MemoryStore implements ObjectStore {
  readonly kind = 'memory';
  /** The store's own clock (storeTime, lastModified): tests pass a ManualClock to age leases. */
  constructor(private readonly clock: Clock = systemClock) {}
  private readonly objects = new Map<string, Entry>();
  /** Keys in UTF-8 order, so a page costs a binary search plus the page, not a sort. */
  private readonly sorted: string[] = [];

  async get(key: string): Promise<StoredObject> {
    const entry = this.entry(key);
    return { ...this.info(key, entry), body: Buffer.from(entry.body), storeTime: this.clock.now() };
  }

  async head(key: string): Promise<ObjectInfo> {
    return this.info(key, this.entry(key));
  }

  async put(key: string, body: Buffer, options: PutOptions = {}): Promise<PutResult> {
    validateKey(key);
    const current = this.objects.get(key);
    if (options.ifNoneMatch === '*' && current) {
      throw new StorageError('precondition-failed', `${key} already exists`);
    }
    if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) {
      throw new StorageError('precondition-failed', `${key} does not have ETag ${options.ifMatch}`);
    }
    const etag = etagOf(body);
    if (!current) this.sorted.splice(this.indexOf(key), 0, key);
    // Copy: the caller may reuse its buffer.
    this.objects.set(key, { body: Buffer.from(body), etag, lastModified: this.clock.now() });
    return { etag };
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    if (this.objects.delete(key)) this.sorted.splice(this.indexOf(key), 1);
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    return listWithWalker((cursor) => this.walk(cursor), options);
  }

  private *walk(cursor: ListCursor): Generator<ObjectInfo> {
    const from = cursor.after !== '' && compareKeys(cursor.after, cursor.prefix) > 0 ? cursor.after : cursor.prefix;
    for (let i = this.indexOf(from); i < this.sorted.length; i++) {
      const key = this.sorted[i]!;
      if (!key.startsWith(cursor.prefix)) return; // sorted: nothing further can match
      if (cursorWants(cursor, key)) yield this.info(key, this.objects.get(key)!);
    }
  }

  /** The first index whose key is ≥ `key`. */
  private indexOf(key: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.sorted[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private entry(key: string): Entry {
    validateKey(key);
    const entry = this.objects.get(key);
    if (!entry) throw new StorageError('not-found', `${key} not found`);
    return entry;
  }

  private info(key: string, entry: Entry): ObjectInfo {
    return { key, etag: entry.etag, size: entry.body.length, lastModified: entry.lastModified };
  }
}
