/**
 * Reads and compare-and-swaps the stack register `meta.json` (DESIGN §3). Every change is
 * read → decide → PUT If-Match; a 412 means another pod wrote first, so we re-read and decide
 * again, a few times with jitter, then give up with 409.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectStore } from '../storage/object-store.js';
import { isPreconditionFailed } from '../storage/storage-error.js';
import { layout, type StackRef } from '../storage/layout.js';
import type { StackMeta } from '../domain/stack-meta.js';
import { conflict, notFound } from '../domain/errors.js';
import { stackLabel } from '../domain/stack-label.js';
import { readJson, writeJson } from './json-objects.js';

export interface MetaSnapshot {
  meta: StackMeta;
  etag: string;
  /** The store's clock at the read — used for lease expiry. */
  storeTime: Date;
}

export type MetaDecision<T> = { write?: StackMeta; result: T };

const MAX_ATTEMPTS = 8;

export const stackNotFound = (ref: StackRef) => notFound(`${stackLabel(ref)} not found`);

export const freshNonce = () => randomBytes(8).toString('hex');

export class MetaRegister {
  constructor(private readonly store: ObjectStore) {}

  /** The register as it is, including tombstones (deleted / renaming). */
  async readRaw(ref: StackRef): Promise<MetaSnapshot | undefined> {
    const got = await readJson<StackMeta>(this.store, layout.metaKey(ref));
    return got && { meta: got.value, etag: got.etag, storeTime: got.storeTime };
  }

  /** A live stack's register; 404 when absent, deleted or moved away. */
  async read(ref: StackRef): Promise<MetaSnapshot> {
    const snap = await this.readRaw(ref);
    if (!snap || snap.meta.deleted || snap.meta.renaming) throw stackNotFound(ref);
    return snap;
  }

  /** Creates the register once; returns false when something already exists at the key. */
  async create(ref: StackRef, meta: StackMeta, replaceEtag?: string): Promise<boolean> {
    try {
      await writeJson(
        this.store,
        layout.metaKey(ref),
        { ...meta, nonce: freshNonce() },
        replaceEtag ? { ifMatch: replaceEtag } : { ifNoneMatch: '*' },
      );
      return true;
    } catch (err) {
      if (isPreconditionFailed(err)) return false;
      throw err;
    }
  }

  /**
   * Runs `decide` on a fresh read of a live stack and writes its answer with If-Match. `decide`
   * may be called several times (after lost races) and must be safe to repeat.
   */
  async mutate<T>(
    ref: StackRef,
    decide: (snap: MetaSnapshot) => Promise<MetaDecision<T>> | MetaDecision<T>,
    options: { allowTombstone?: boolean } = {},
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const snap = options.allowTombstone ? await this.readRaw(ref) : await this.read(ref);
      if (!snap) throw stackNotFound(ref);
      const { write, result } = await decide(snap);
      if (!write) return result;
      try {
        await writeJson(this.store, layout.metaKey(ref), { ...write, nonce: freshNonce() }, { ifMatch: snap.etag });
        return result;
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        if (attempt >= MAX_ATTEMPTS) {
          throw conflict('The stack was modified concurrently by another request; please retry.');
        }
        await sleep(Math.random() * 20 * attempt);
      }
    }
  }
}
