/** Bulk operations over every object of a stack (delete, move); bounded parallelism. */
import type { ObjectStore } from '../storage/object-store.js';
import { listAllKeys } from './json-objects.js';

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

/** Deletes every key under `prefix` except those in `keep`. Safe to repeat. */
export async function deletePrefix(store: ObjectStore, prefix: string, keep: readonly string[] = []): Promise<number> {
  const keys = (await listAllKeys(store, prefix)).filter((k) => !keep.includes(k));
  await mapLimit(keys, 16, (k) => store.delete(k));
  return keys.length;
}
