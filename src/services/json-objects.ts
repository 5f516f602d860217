/**
 * JSON bodies in the bucket: pretty-printed (people read them with `mc cat`), parsed with a
 * clear error when something else wrote the key.
 */
import type { ObjectStore, PutOptions } from '../storage/object-store.js';
import { getOrUndefined } from '../storage/conditional-writes.js';
import { FulmarError } from '../domain/errors.js';

export const encodeJson = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

export function decodeJson<T>(key: string, body: Buffer): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch (err) {
    throw new FulmarError('internal', `object ${key} in the bucket is not valid JSON`, { cause: err });
  }
}

export interface JsonObject<T> {
  value: T;
  etag: string;
  storeTime: Date;
}

export async function readJson<T>(store: ObjectStore, key: string): Promise<JsonObject<T> | undefined> {
  const obj = await getOrUndefined(store, key);
  return obj && { value: decodeJson<T>(key, obj.body), etag: obj.etag, storeTime: obj.storeTime };
}

export async function writeJson(store: ObjectStore, key: string, value: unknown, options: PutOptions = {}) {
  return store.put(key, encodeJson(value), { contentType: 'application/json', ...options });
}

/** Lists every key under a prefix, page by page (bounded by `limit`). */
export async function listAllKeys(store: ObjectStore, prefix: string, limit = 100_000): Promise<string[]> {
  const keys: string[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.list({ prefix, continuationToken });
    for (const o of page.objects) keys.push(o.key);
    continuationToken = page.nextContinuationToken;
  } while (continuationToken && keys.length < limit);
  return keys;
}

/** The last key under a prefix in lexical order, or undefined (one LIST per 1000 keys). */
export async function lastKey(store: ObjectStore, prefix: string): Promise<string | undefined> {
  let last: string | undefined;
  let continuationToken: string | undefined;
  do {
    const page = await store.list({ prefix, continuationToken });
    const tail = page.objects[page.objects.length - 1];
    if (tail) last = tail.key;
    continuationToken = page.nextContinuationToken;
  } while (continuationToken);
  return last;
}
