/**
 * Step one of a backup (docs/operating.md, "Backup and restore"): every register is read before
 * any object is copied, and what the backup will hold for each name is decided from that read
 * alone. Nothing is settled and nothing is written to the source — a backup only reads:
 *
 *  - a live register without a lease is kept as it is, byte for byte;
 *  - a register held by an update (live or sealed lease) is kept WITHOUT the lease: that update
 *    had not committed when the register was read, so the stack is captured at its last committed
 *    `version` and restores there (the update's record and objects are left out, see backup-plan);
 *  - a tombstone is kept as it is, with no objects: a deleted name stays deleted, and one that
 *    moved away still records where to;
 *  - a register marked `moving` (a rename or transfer frozen it, docs/design.md "Rename and
 *    transfer") is kept without the mark: the stack as it stood before the move, at its old name,
 *    whose objects the move only ever reads;
 *  - a register marked `movingIn` (a move's claim on the target name) is not a stack yet — unless
 *    its source already flipped to a tombstone naming this claim, in which case the move has
 *    committed and the claim is kept as the live stack it is about to become (step 5 of the move,
 *    done in the copy). Everything under the claim's incarnation was copied before the flip.
 *
 * Registers are read one after another while pods serve, so a move can land between two reads:
 * one stack would then be captured at both names, or at neither. `unsettledNames` finds exactly
 * those (one stackId live twice; a tombstone whose move target holds no capture of that stack),
 * and the backup reads those names again until the capture agrees with itself.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { getOrUndefined } from '../storage/conditional-writes.js';
import { layout, type StackRef } from '../storage/layout.js';
import { movedTo, registerState, type StackMeta } from '../domain/stack-meta.js';
import { decodeJson, encodeJson } from '../services/json-objects.js';
import { freshNonce } from '../services/meta-register.js';

export interface Captured {
  ref: StackRef;
  /** What the backup holds at this name: a stack, a tombstone, or nothing. */
  kind: 'live' | 'tombstone' | 'none';
  /** The register the backup will hold (before `withLastUpdate`), or what was read for `none`. */
  meta?: StackMeta;
  /** The bytes read, when the backup keeps them unchanged. */
  verbatim?: Buffer;
  /** The update whose lease was dropped. */
  leftOutUpdate?: { updateId: string; kind: string; sealed: boolean };
  capturedAt: Date;
}

/** `org/project/stack`: how the manifest and the maps of a backup name a stack. */
export const labelOf = (ref: StackRef) => `${ref.org}/${ref.project}/${ref.stack}`;

async function readRegister(store: ObjectStore, ref: StackRef): Promise<{ meta: StackMeta; body: Buffer } | undefined> {
  const key = layout.metaKey(ref);
  const got = await getOrUndefined(store, key);
  return got && { meta: decodeJson<StackMeta>(key, got.body), body: got.body };
}

export async function captureRegister(store: ObjectStore, ref: StackRef, now: Date): Promise<Captured> {
  const read = await readRegister(store, ref);
  if (!read) return { ref, kind: 'none', capturedAt: now };
  const { meta, body } = read;
  switch (registerState(meta)) {
    case 'tombstone':
      return { ref, kind: 'tombstone', meta, verbatim: body, capturedAt: now };
    case 'moving-out': {
      const { moving: _moving, ...before } = meta;
      return { ref, kind: 'live', meta: before, capturedAt: now };
    }
    case 'moving-in': {
      const source = meta.movingIn && (await readRegister(store, meta.movingIn.from));
      if (!source || movedTo(source.meta)?.incarnation !== meta.incarnation) return { ref, kind: 'none', meta, capturedAt: now };
      const { movingIn: _movingIn, ...landed } = meta;
      return { ref, kind: 'live', meta: landed, capturedAt: now };
    }
    case 'live': {
      const lease = meta.lease;
      if (!lease) return { ref, kind: 'live', meta, verbatim: body, capturedAt: now };
      return {
        ref,
        kind: 'live',
        meta: { ...meta, lease: null },
        leftOutUpdate: { updateId: lease.updateId, kind: lease.kind, sealed: Boolean(lease.sealed) },
        capturedAt: now,
      };
    }
  }
}

/**
 * The register bytes the backup writes. A dropped lease had also set `lastUpdateId` to its own
 * update (docs/design.md, "Updates and leases"); the captured stack's last update is the one that
 * committed `version`, so it names that (`lastUpdateOfVersion`, from the history entry) — or
 * nothing for a stack never updated, which is how a register without the field reads anyway.
 */
export function registerBytes(c: Captured, lastUpdateOfVersion: string | undefined): Buffer {
  if (c.verbatim) return c.verbatim;
  const meta = { ...(c.meta as StackMeta), nonce: freshNonce() };
  if (c.leftOutUpdate) {
    if (lastUpdateOfVersion) meta.lastUpdateId = lastUpdateOfVersion;
    else delete meta.lastUpdateId;
  }
  return encodeJson(meta);
}

/**
 * Names whose captures disagree with each other because a move landed between two reads: both
 * names of a stack captured live, or a moved-away stack captured at neither end. Reading them again
 * settles it (the source then reads as the tombstone, the target as the stack).
 */
export function unsettledNames(captures: ReadonlyMap<string, Captured>): StackRef[] {
  const liveById = new Map<string, StackRef[]>();
  for (const c of captures.values()) {
    if (c.kind !== 'live' || !c.meta) continue;
    const same = liveById.get(c.meta.stackId) ?? [];
    same.push(c.ref);
    liveById.set(c.meta.stackId, same);
  }
  const again = new Map<string, StackRef>();
  for (const refs of liveById.values()) if (refs.length > 1) for (const r of refs) again.set(labelOf(r), r);
  for (const c of captures.values()) {
    const target = c.kind === 'tombstone' && c.meta ? movedTo(c.meta) : undefined;
    if (!target || !c.meta || liveById.has(c.meta.stackId)) continue;
    const there = captures.get(labelOf(target));
    if (there?.kind === 'tombstone' && there.meta?.stackId === c.meta.stackId) continue;
    const ref = { org: target.org, project: target.project, stack: target.stack };
    again.set(labelOf(ref), ref);
  }
  return [...again.values()];
}
