/**
 * Step two of a backup: which objects of one captured stack go into the backup (docs/operating.md,
 * "Backup and restore"). Only the live incarnation's, and of those:
 *
 *  - `checkpoints/<v>` and `history/<v>` for every v in 1..version — the committed versions, which
 *    are immutable and copied byte for byte; each must be there, since a register names a version
 *    only after both were written (docs/design.md, "Commit");
 *  - the record of every update a history entry 1..version names, and its engine-event batches
 *    (immutable once written). A record is finished only after its commit point (Commit, step 4),
 *    so one can be caught still `running` although its version is committed: the backup holds it
 *    finished with the status its history entry records — what step 4 writes;
 *  - the records of finished previews, with their events (they commit nothing, but `pulumi` shows
 *    them);
 *  - nothing else: the update that held the lease at capture, any update started after it, and
 *    records that never started are left out with their objects, as are intermediate checkpoints
 *    and journal batches (state of an update in flight, removed after every commit).
 */
import type { ObjectStore } from '../storage/object-store.js';
import { getOrUndefined } from '../storage/conditional-writes.js';
import { layout, type StackRef } from '../storage/layout.js';
import { locOf, type StackMeta } from '../domain/stack-meta.js';
import type { HistoryEntry, UpdateRecord } from '../domain/update-record.js';
import { decodeJson, encodeJson } from '../services/json-objects.js';
import { freshNonce } from '../services/meta-register.js';
import { isTerminal } from '../services/update-records.js';
import { mapLimit } from '../services/prefix-ops.js';
import { stackObjects } from './stack-inventory.js';
import type { BackupKind } from './backup-manifest.js';

export interface PlannedObject {
  key: string;
  kind: BackupKind;
  /** As listed in the source. */
  size: number;
  /** Bytes to write instead of the source's (a record finished in the copy). */
  body?: Buffer;
}

export interface StackPlan {
  objects: PlannedObject[];
  /** The update that committed `version` (undefined for version 0). */
  lastUpdateOfVersion?: string;
  leftOut: { updates: number; updateObjects: number; unknownObjects: number };
}

/** A key the register's version needs is not in the source: vanished with its incarnation, or damage. */
export class MissingObject extends Error {
  override readonly name = 'MissingObject';
  constructor(readonly key: string) {
    super(`${key} is missing from the source`);
  }
}

const READS_IN_FLIGHT = 8;

export async function planStack(store: ObjectStore, ref: StackRef, meta: StackMeta): Promise<StackPlan> {
  const loc = locOf(meta);
  const incarnation = meta.incarnation ?? '';
  const checkpoints = new Map<number, number>();
  const history = new Map<number, number>();
  const records = new Map<string, { key: string; size: number }>();
  const events = new Map<string, PlannedObject[]>();
  const leftOut = { updates: 0, updateObjects: 0, unknownObjects: 0 };
  for (const { info, what } of await stackObjects(store, ref)) {
    if (what.kind === 'register' || what.incarnation !== incarnation) continue;
    if (what.kind === 'checkpoint') checkpoints.set(what.version, info.size);
    else if (what.kind === 'history') history.set(what.version, info.size);
    else if (what.kind === 'update-record') records.set(what.updateId, { key: info.key, size: info.size });
    else if (what.kind === 'update-events') {
      const list = events.get(what.updateId) ?? [];
      list.push({ key: info.key, kind: 'events', size: info.size });
      events.set(what.updateId, list);
    } else if (what.kind === 'unknown') leftOut.unknownObjects += 1;
    else leftOut.updateObjects += 1;
  }

  const objects: PlannedObject[] = [];
  const versions = Array.from({ length: meta.version }, (_, i) => i + 1);
  for (const v of versions) {
    if (!checkpoints.has(v)) throw new MissingObject(layout.checkpointKey(loc, v));
    if (!history.has(v)) throw new MissingObject(layout.historyKey(loc, v));
    objects.push({ key: layout.checkpointKey(loc, v), kind: 'checkpoints', size: checkpoints.get(v) as number });
    objects.push({ key: layout.historyKey(loc, v), kind: 'history', size: history.get(v) as number });
  }
  // The history entries name the updates that committed; they are read here and again when copied.
  const entries = await mapLimit(versions, READS_IN_FLIGHT, async (v) => {
    const key = layout.historyKey(loc, v);
    const got = await getOrUndefined(store, key);
    if (!got) throw new MissingObject(key);
    return decodeJson<HistoryEntry>(key, got.body);
  });
  const committedBy = new Map(entries.map((e) => [e.updateId, e]));

  const kept = await mapLimit([...records], READS_IN_FLIGHT, async ([updateId, { key, size }]) => {
    const got = await getOrUndefined(store, key);
    if (!got) throw new MissingObject(key);
    const record = decodeJson<UpdateRecord>(key, got.body);
    const entry = committedBy.get(updateId);
    if (entry) {
      if (isTerminal(record.status)) return { key, kind: 'updates', size } as PlannedObject;
      const status = entry.status ?? (entry.result === 'succeeded' ? 'succeeded' : 'failed');
      const body = encodeJson({ ...record, status, endTime: entry.endTime, nonce: freshNonce() });
      return { key, kind: 'updates', size: body.length, body } as PlannedObject;
    }
    if (record.dryRun && isTerminal(record.status)) return { key, kind: 'updates', size } as PlannedObject;
    return undefined;
  });
  for (const [i, [updateId]] of [...records].entries()) {
    const record = kept[i];
    const batches = events.get(updateId) ?? [];
    if (record) objects.push(record, ...batches);
    else {
      leftOut.updates += 1;
      leftOut.updateObjects += batches.length;
    }
  }
  for (const [updateId, batches] of events) if (!records.has(updateId)) leftOut.updateObjects += batches.length;
  return { objects, lastUpdateOfVersion: entries[entries.length - 1]?.updateId, leftOut };
}
