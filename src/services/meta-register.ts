/**
 * Reads and compare-and-swaps the stack register `meta.json`. Every change is read → decide →
 * PUT If-Match (src/storage/conditional-writes.ts); a 412 means another pod wrote first, so the
 * decision is made again from a fresh read. A register found half-way through a move is first
 * driven to the move's end by whoever meets it (docs/design.md, "Rename and transfer").
 */
import { randomBytes } from 'node:crypto';
import type { ObjectStore } from '../storage/object-store.js';
import { compareAndSwap } from '../storage/conditional-writes.js';
import { layout, type StackRef } from '../storage/layout.js';
import { registerState, type StackMeta } from '../domain/stack-meta.js';
import { conflict, notFound } from '../domain/errors.js';
import { stackLabel } from '../domain/stack-label.js';
import { decodeJson, encodeJson, readJson } from './json-objects.js';

export interface MetaSnapshot {
  meta: StackMeta;
  etag: string;
  /** The store's clock at the read — used for lease expiry. */
  storeTime: Date;
}

export type MetaDecision<T> = { write?: StackMeta; result: T };

export const stackNotFound = (ref: StackRef) => notFound(`${stackLabel(ref)} not found`);

export const freshNonce = () => randomBytes(8).toString('hex');

const concurrent = () => conflict('The stack was modified concurrently by another request; please retry.');

/** How many moves a single call will settle before giving up (each settles for good). */
const MAX_SETTLES = 4;

export class MetaRegister {
  /** Drives a move found half-done to its end (set by the composition root: StackMover.settle). */
  settleMove: ((snap: MetaSnapshot) => Promise<void>) | undefined;

  constructor(private readonly store: ObjectStore) {}

  /** The register as it is, including tombstones and move marks. */
  async readRaw(ref: StackRef): Promise<MetaSnapshot | undefined> {
    const got = await readJson<StackMeta>(this.store, layout.metaKey(ref));
    return got && { meta: got.value, etag: got.etag, storeTime: got.storeTime };
  }

  /** A live stack's register; 404 when absent, a tombstone, or claimed by a move not yet done. */
  async read(ref: StackRef): Promise<MetaSnapshot> {
    for (let settled = 0; ; settled++) {
      const snap = await this.readRaw(ref);
      const state = snap && registerState(snap.meta);
      if (state === 'live') return snap as MetaSnapshot;
      if (!snap || state === 'tombstone' || !this.settleMove || settled >= MAX_SETTLES) throw stackNotFound(ref);
      await this.settleMove(snap);
    }
  }

  /**
   * Runs `decide` on a fresh read of a live stack and writes its answer with If-Match. `decide`
   * may be called several times (after lost races) and must be safe to repeat.
   */
  async mutate<T>(ref: StackRef, decide: (snap: MetaSnapshot) => Promise<MetaDecision<T>> | MetaDecision<T>): Promise<T> {
    for (let settled = 0; ; settled++) {
      let unsettled: MetaSnapshot | undefined;
      const outcome = await this.mutateRaw(ref, async (snap) => {
        const state = snap && registerState(snap.meta);
        if (state === 'live') return decide(snap as MetaSnapshot);
        if (!snap || state === 'tombstone' || !this.settleMove || settled >= MAX_SETTLES) throw stackNotFound(ref);
        unsettled = snap;
        return { result: undefined };
      });
      if (!unsettled) return outcome as T;
      await this.settleMove?.(unsettled);
    }
  }

  /** Like `mutate`, but `decide` sees the register in any state, or undefined when absent. */
  async mutateRaw<T>(
    ref: StackRef,
    decide: (snap: MetaSnapshot | undefined) => Promise<MetaDecision<T>> | MetaDecision<T>,
  ): Promise<T> {
    const key = layout.metaKey(ref);
    return compareAndSwap(
      this.store,
      key,
      async (current) => {
        const snap = current && { meta: decodeJson<StackMeta>(key, current.body), etag: current.etag, storeTime: current.storeTime };
        const { write, result } = await decide(snap);
        return { write: write && encodeJson({ ...write, nonce: freshNonce() }), result };
      },
      { exhausted: concurrent },
    );
  }
}
