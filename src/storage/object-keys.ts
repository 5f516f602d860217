/**
 * Rules every store applies to keys, so that a key accepted by one backend is accepted by all
 * (a deployment can move from the embedded filesystem store to S3 with `mc mirror`).
 */
import { createHash } from 'node:crypto';
import { StorageError } from './storage-error.js';

/** S3's own limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Throws StorageError `invalid-key` unless the key is a plain relative path: no leading `/`, no
 * empty, `.` or `..` segment, no backslash (a separator on Windows), no NUL. These are exactly the
 * keys that map onto a file path without escaping the data folder.
 */
export function validateKey(key: string): void {
  const problem = keyProblem(key);
  if (problem) throw new StorageError('invalid-key', `invalid object key ${JSON.stringify(key)}: ${problem}`);
}

function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `longer than ${MAX_KEY_BYTES} bytes`;
  if (key.includes('\0')) return 'contains NUL';
  if (key.includes('\\')) return 'contains a backslash';
  if (key.startsWith('/')) return 'starts with "/"';
  for (const segment of key.split('/')) {
    if (segment === '') return 'has an empty path segment';
    if (segment === '.' || segment === '..') return `has a "${segment}" segment`;
  }
  // A lone surrogate has no UTF-8 form: S3 would store U+FFFD and the key would not round-trip.
  if (LONE_SURROGATE.test(key)) return 'is not valid Unicode';
  return undefined;
}

/**
 * Orders keys as S3 lists them: by their UTF-8 bytes, which is code point order. JavaScript's `<`
 * compares UTF-16 code units instead, which puts U+10000… (surrogate pairs) before U+E000–U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      // Exactly one is part of a surrogate pair: that one is a code point above U+FFFF.
      if (xs !== ys) return xs ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

/** The ETag S3 gives a single-part object: the quoted hex MD5 of its bytes. */
export function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}
