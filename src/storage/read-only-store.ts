/**
 * A store opened only to be read: reads and listings pass through, every write is refused before
 * it reaches the backend. `fulmar adopt-diy` reads the pulumi CLI's own DIY backend this way —
 * that backend belongs to the CLI (its stacks may still be in use there), so nothing Fulmar does
 * may change a byte of it, whatever a bug elsewhere would ask.
 */
import type { ListOptions, ListPage, ObjectInfo, ObjectStore, PutResult, StoredObject } from './object-store.js';
import { StorageError } from './storage-error.js';

export class ReadOnlyStore implements ObjectStore {
  readonly kind: string;

  constructor(
    private readonly inner: ObjectStore,
    /** Names the store in the refusal. */
    private readonly label: string,
  ) {
    this.kind = inner.kind;
  }

  get(key: string): Promise<StoredObject> {
    return this.inner.get(key);
  }

  head(key: string): Promise<ObjectInfo> {
    return this.inner.head(key);
  }

  list(options?: ListOptions): Promise<ListPage> {
    return this.inner.list(options);
  }

  put(key: string): Promise<PutResult> {
    return Promise.reject(this.refused('write', key));
  }

  delete(key: string): Promise<void> {
    return Promise.reject(this.refused('delete', key));
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }

  private refused(what: string, key: string): StorageError {
    return new StorageError('internal', `${this.label} is opened read-only: refusing to ${what} ${key}`);
  }
}
