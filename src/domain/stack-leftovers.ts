/**
 * Which objects under a stack's name nobody needs any more, decided from one listing and the
 * register read AFTER it (docs/design.md, "Sweep": an object is written only after the register
 * naming its incarnation, so an incarnation in the listing that the later read does not name is
 * dead for good). Shared by `fulmar verify` (which reports them) and `fulmar gc` (which removes
 * them); pure — listing and reading are the callers'.
 *
 * Both also wait for a safety margin on each object's age (store clock), so nothing an operation
 * still in flight wrote — a create, a move's copy, an import's first checkpoint — is ever judged:
 * the protocols do not need it, but an operator's tool should not bet on a race.
 */
import type { ObjectInfo } from '../storage/object-store.js';
import { layout, type StackKey, type StackRef } from '../storage/layout.js';
import { liveIncarnation, type StackMeta } from './stack-meta.js';
import type { UpdateRecord } from './update-record.js';

/** How old a leftover must be before verify reports it or gc removes it. */
export const LEFTOVER_MARGIN_MS = 60 * 60_000;

export interface ListedObject {
  info: ObjectInfo;
  what: StackKey;
}

export const olderThan = (info: ObjectInfo, now: Date, marginMs: number): boolean => now.getTime() - info.lastModified.getTime() > marginMs;

export const incarnationOf = (o: ListedObject): string | undefined => (o.what.kind === 'register' ? undefined : o.what.incarnation);

/**
 * Objects of incarnations the register does not keep alive: every object but the register when
 * there is none or it is a tombstone (a delete or move whose sweep never ran, or a name with
 * objects and no register at all).
 */
export function deadObjects<T extends ListedObject>(objects: readonly T[], meta: StackMeta | undefined): T[] {
  const live = liveIncarnation(meta);
  return objects.filter((o) => {
    const inc = incarnationOf(o);
    return inc !== undefined && inc !== live;
  });
}

/** Dead objects by incarnation, each with the prefix that holds them (layout-1 ones: the name's). */
export function byIncarnation<T extends ListedObject>(ref: StackRef, objects: readonly T[]): { incarnation: string; prefix: string; objects: T[] }[] {
  const groups = new Map<string, T[]>();
  for (const o of objects) {
    const inc = incarnationOf(o) ?? '';
    groups.set(inc, [...(groups.get(inc) ?? []), o]);
  }
  return [...groups].map(([incarnation, objs]) => ({
    incarnation,
    prefix: layout.objectsPrefix({ ...ref, incarnation: incarnation || undefined }),
    objects: objs,
  }));
}

export interface UpdateLeftovers<T> {
  /** Intermediate checkpoints and journal batches of finished updates (a commit removes them; these were missed). */
  intermediate: T[];
  /** Engine-event logs of finished updates whose version is below the retention floor. */
  logs: T[];
}

/**
 * What of the live incarnation's `updates/<id>/…` objects can go: parts of updates whose record
 * is terminal and which do not hold the lease (a terminal record is final, and update ids are
 * never reused, so such an update never writes or reads them again). An event log is the update's
 * story, kept as long as the version it made or saw (`record.version`) is kept. Objects younger
 * than the margin stay. Updates without a readable record are left alone.
 */
export function updateLeftovers<T extends ListedObject>(
  objects: readonly T[],
  records: ReadonlyMap<string, UpdateRecord | undefined>,
  leaseUpdateId: string | undefined,
  floor: number,
  now: Date,
  marginMs: number,
): UpdateLeftovers<T> {
  const out: UpdateLeftovers<T> = { intermediate: [], logs: [] };
  for (const o of objects) {
    const what = o.what;
    if (what.kind !== 'update-checkpoint' && what.kind !== 'update-journal' && what.kind !== 'update-events') continue;
    const record = records.get(what.updateId);
    if (!record || what.updateId === leaseUpdateId || !isFinal(record) || !olderThan(o.info, now, marginMs)) continue;
    if (what.kind !== 'update-events') out.intermediate.push(o);
    else if (record.version !== undefined && record.version < floor) out.logs.push(o);
  }
  return out;
}

const isFinal = (r: UpdateRecord) => r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled';
