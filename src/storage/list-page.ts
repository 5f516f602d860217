/**
 * S3 ListObjectsV2 semantics (prefix, start-after, delimiter, max-keys, continuation tokens) for
 * the stores that hold their keys themselves — memory and filesystem. Each supplies a walker that
 * yields its objects in key order; this module turns the walk into one page.
 */
import type { ListOptions, ListPage, ObjectInfo } from './object-store.js';
import { MAX_LIST_KEYS } from './object-store.js';
import { StorageError } from './storage-error.js';
import { compareKeys } from './object-keys.js';

/** Where a walk starts and what it may skip; the walker must honour every field. */
export interface ListCursor {
  /** Yield only keys starting with this. */
  readonly prefix: string;
  /** Yield only keys strictly greater than this (UTF-8 order); '' = from the start. */
  readonly after: string;
  /**
   * Skip keys starting with this. Set by the paginator once it has emitted a common prefix, so
   * a walker can prune a whole folder instead of yielding every key in it.
   */
  skipPrefix: string | undefined;
}

/** Yields the store's objects in ascending key order, honouring the cursor. */
export type KeyWalker = (cursor: ListCursor) => AsyncIterable<ObjectInfo> | Iterable<ObjectInfo>;

/** True when a key (or a folder prefix ending in `/`) may hold keys the cursor still wants. */
export function cursorWants(cursor: ListCursor, key: string): boolean {
  if (!key.startsWith(cursor.prefix)) return false;
  if (cursor.skipPrefix !== undefined && key.startsWith(cursor.skipPrefix)) return false;
  return cursor.after === '' || compareKeys(key, cursor.after) > 0;
}

export function clampMaxKeys(maxKeys: number | undefined): number {
  if (maxKeys === undefined || !Number.isFinite(maxKeys)) return MAX_LIST_KEYS;
  return Math.min(Math.max(Math.trunc(maxKeys), 1), MAX_LIST_KEYS);
}

interface Marker {
  after: string;
  skipPrefix: string | undefined;
}

/**
 * The token names the last entry returned and whether it was an object (`o`) or a common prefix
 * (`p`): after a common prefix the next page must also skip everything under it.
 */
export function encodeToken(kind: 'o' | 'p', value: string): string {
  return Buffer.from(`${kind}:${value}`, 'utf8').toString('base64url');
}

export function decodeToken(token: string): Marker {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const kind = text.slice(0, 2);
  const value = text.slice(2);
  if ((kind !== 'o:' && kind !== 'p:') || value === '' || encodeToken(kind[0] as 'o', value) !== token) {
    throw new StorageError('invalid-key', 'invalid list continuation token');
  }
  return { after: value, skipPrefix: kind === 'p:' ? value : undefined };
}

export async function listWithWalker(walk: KeyWalker, options: ListOptions = {}): Promise<ListPage> {
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter ?? '';
  const maxKeys = clampMaxKeys(options.maxKeys);
  // As in S3, a continuation token takes precedence over start-after.
  const marker: Marker =
    options.continuationToken !== undefined && options.continuationToken !== ''
      ? decodeToken(options.continuationToken)
      : { after: options.startAfter ?? '', skipPrefix: undefined };
  const cursor: ListCursor = { prefix, after: marker.after, skipPrefix: marker.skipPrefix };

  const objects: ObjectInfo[] = [];
  const commonPrefixes: string[] = [];
  let last: { kind: 'o' | 'p'; value: string } | undefined;
  let more = false;
  for await (const info of walk(cursor)) {
    if (!cursorWants(cursor, info.key)) continue; // defensive: a walker may over-yield
    if (objects.length + commonPrefixes.length >= maxKeys) {
      more = true;
      break;
    }
    const cut = delimiter === '' ? -1 : info.key.indexOf(delimiter, prefix.length);
    if (cut >= 0) {
      const common = info.key.slice(0, cut + delimiter.length);
      commonPrefixes.push(common);
      last = { kind: 'p', value: common };
      cursor.skipPrefix = common;
    } else {
      objects.push(info);
      last = { kind: 'o', value: info.key };
    }
  }
  return {
    objects,
    commonPrefixes,
    ...(more && last ? { nextContinuationToken: encodeToken(last.kind, last.value) } : {}),
  };
}
