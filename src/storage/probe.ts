/**
 * The startup check of the bucket (docs/design.md#limits-and-failure). Fulmar's correctness rests
 * on two conditional writes; an S3 implementation that accepts the headers but ignores them would
 * let two pods overwrite each other silently. So before serving, a pod proves on a scratch object
 * that `If-None-Match: *` and `If-Match: <etag>` are enforced, and refuses to start if not. It also
 * makes sure the bucket's layout version is one it understands.
 */
import { randomUUID } from 'node:crypto';
import type { ObjectStore } from './object-store.js';
import { isPreconditionFailed } from './storage-error.js';
import { layout, LAYOUT_KEY, LAYOUT_VERSION } from './layout.js';

const NEEDS =
  'Fulmar needs an S3 implementation with conditional writes (MinIO ≥ RELEASE.2024-11, AWS S3 since 2024-08 for If-None-Match and 2024-11 for If-Match)';

export type BucketCheckFailure = 'create-once' | 'compare-and-swap' | 'layout';

export class BucketCheckError extends Error {
  override readonly name = 'BucketCheckError';
  constructor(
    readonly failure: BucketCheckFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Resolves when `write` is refused with precondition-failed; throws BucketCheckError if it succeeds. */
async function expectRefused(write: Promise<unknown>, failure: BucketCheckFailure, message: string): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (isPreconditionFailed(err)) return;
    throw err;
  }
  throw new BucketCheckError(failure, message);
}

/**
 * Writes a probe object create-once, then checks: a second create-once is refused, a replace with
 * the current ETag succeeds, a replace with the stale ETag is refused, a replace of a missing key
 * is refused. The probe object is removed whatever happens.
 */
export async function probeConditionalWrites(store: ObjectStore, nonce: string = randomUUID()): Promise<void> {
  const key = layout.probeKey(nonce);
  const missing = layout.probeKey(`${nonce}-missing`);
  const body = (step: string) => Buffer.from(`${JSON.stringify({ probe: nonce, step })}\n`);
  try {
    const created = await store.put(key, body('create'), { ifNoneMatch: '*' });
    await expectRefused(
      store.put(key, body('second create'), { ifNoneMatch: '*' }),
      'create-once',
      `the bucket does not enforce If-None-Match: * (create-once): a second create of ${key} succeeded; ${NEEDS}`,
    );
    try {
      await store.put(key, body('swap'), { ifMatch: created.etag });
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      throw new BucketCheckError(
        'compare-and-swap',
        `the bucket refused If-Match with the object's current ETag ${created.etag} (compare-and-swap cannot work); ${NEEDS}`,
      );
    }
    await expectRefused(
      store.put(key, body('stale swap'), { ifMatch: created.etag }),
      'compare-and-swap',
      `the bucket does not enforce If-Match: <etag> (compare-and-swap): a write with a stale ETag succeeded; ${NEEDS}`,
    );
    await expectRefused(
      store.put(missing, body('swap of nothing'), { ifMatch: created.etag }),
      'compare-and-swap',
      `the bucket does not enforce If-Match: <etag> on a missing object (compare-and-swap): the write created it; ${NEEDS}`,
    );
  } finally {
    await store.delete(key).catch(() => undefined);
    await store.delete(missing).catch(() => undefined);
  }
}

export interface LayoutMarker {
  layout: number;
  createdAt: string;
}

/**
 * Writes `fulmar.json` (create-once) on a new bucket; on an existing one, reads it and refuses a
 * layout this version of Fulmar does not know (written by a newer Fulmar, or not by Fulmar at all).
 */
export async function ensureLayoutMarker(store: ObjectStore, now: Date = new Date()): Promise<LayoutMarker> {
  const marker: LayoutMarker = { layout: LAYOUT_VERSION, createdAt: now.toISOString() };
  try {
    await store.put(LAYOUT_KEY, Buffer.from(`${JSON.stringify(marker, null, 2)}\n`), {
      ifNoneMatch: '*',
      contentType: 'application/json',
    });
    return marker;
  } catch (err) {
    if (!isPreconditionFailed(err)) throw err;
  }
  const existing = await store.get(LAYOUT_KEY);
  let parsed: unknown;
  try {
    parsed = JSON.parse(existing.body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const version = (parsed as Partial<LayoutMarker> | undefined)?.layout;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new BucketCheckError('layout', `${LAYOUT_KEY} in the bucket is not a Fulmar layout marker; is this bucket (or prefix) used by something else?`);
  }
  if (version > LAYOUT_VERSION) {
    throw new BucketCheckError(
      'layout',
      `the bucket holds bucket layout version ${version}, newer than this Fulmar understands (${LAYOUT_VERSION}); upgrade Fulmar`,
    );
  }
  if (version === 1) return upgradeFromLayout1(store, existing.etag, parsed as LayoutMarker, now);
  return parsed as LayoutMarker;
}

/**
 * Layout 2 reads every layout-1 object where layout 1 put it (a register without an incarnation
 * keeps its objects at the layout-1 keys; README.md, "Bucket layout"), so the upgrade is the marker
 * alone, compare-and-swapped so that a pod of layout 1 refuses the bucket from then on.
 */
async function upgradeFromLayout1(store: ObjectStore, etag: string, old: LayoutMarker, now: Date): Promise<LayoutMarker> {
  const marker = { ...old, layout: LAYOUT_VERSION, upgradedFrom: 1, upgradedAt: now.toISOString() };
  try {
    await store.put(LAYOUT_KEY, Buffer.from(`${JSON.stringify(marker, null, 2)}\n`), { ifMatch: etag, contentType: 'application/json' });
  } catch (err) {
    // Another pod upgraded it first.
    if (!isPreconditionFailed(err)) throw err;
  }
  return marker;
}

/** Everything a pod checks before serving: conditional writes enforced, layout understood. */
export async function prepareBucket(store: ObjectStore): Promise<LayoutMarker> {
  await probeConditionalWrites(store);
  return ensureLayoutMarker(store);
}
