/**
 * `fulmar gc` (docs/operating.md, "Retention (gc)"): per stack, the checkpoints of versions the
 * retention rule no longer keeps, the intermediate objects finished updates left behind, the
 * event logs of updates whose version is gone, and objects no register owns. Safe while pods
 * serve:
 *
 *  - each stack is LISTED FIRST and its register read AFTER (docs/design.md, "Sweep"), so an
 *    incarnation the register does not name is dead for good;
 *  - versions are pruned by first raising the register's retention floor (`retainedFrom`) by
 *    compare-and-swap — only on a live register of the same incarnation, never below the version a
 *    running update builds on — and deleting only AFTER that write landed, so no reader ever finds
 *    a register promising a version whose object is gone;
 *  - a stack being moved is left alone but for other incarnations' leftovers, and nothing younger
 *    than the margin is removed except pruned checkpoints (which the floor protects).
 *
 * The decisions are pure: src/domain/retention.ts and src/domain/stack-leftovers.ts.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { layout, type StackRef } from '../storage/layout.js';
import { isFulmarError } from '../domain/errors.js';
import { hasRule, retentionFloor, type RetentionRule } from '../domain/retention.js';
import { deadObjects, LEFTOVER_MARGIN_MS, olderThan, updateLeftovers, type ListedObject } from '../domain/stack-leftovers.js';
import { locOf, registerState, retainedFrom, type StackMeta } from '../domain/stack-meta.js';
import type { UpdateRecord } from '../domain/update-record.js';
import { stackPath } from '../domain/stack-label.js';
import type { MetaRegister } from '../services/meta-register.js';
import { readJson } from '../services/json-objects.js';
import { mapLimit } from '../services/prefix-ops.js';
import { stackFolders, stackObjects, storeNow, type Scope, type StackObject } from './stack-inventory.js';
import { silentProgress, type Progress } from './progress.js';

export const GC_CATEGORIES = ['versions', 'update-leftovers', 'update-logs', 'orphans'] as const;
export type GcCategory = (typeof GC_CATEGORIES)[number];

export interface Freed {
  objects: number;
  bytes: number;
}

export interface GcOptions extends RetentionRule {
  /** Decide and report, delete nothing, write nothing. */
  dryRun?: boolean;
  /** Leftovers and orphans younger than this stay. */
  marginMs?: number;
}

export interface GcReport {
  dryRun: boolean;
  rule: RetentionRule;
  /** Stack names walked. */
  stacks: number;
  freed: Record<GcCategory, Freed>;
  total: Freed;
  /** Stacks whose versions below `retainedFrom` were removed in this run (`from`–`to`). */
  pruned: { stack: string; from: number; to: number; retainedFrom: number; latest: number }[];
  /** Stacks left (partly) alone, and why. */
  skipped: { stack: string; reason: string }[];
}

const DELETE_PARALLELISM = 16;

const none = (): Record<GcCategory, Freed> => ({
  versions: { objects: 0, bytes: 0 },
  'update-leftovers': { objects: 0, bytes: 0 },
  'update-logs': { objects: 0, bytes: 0 },
  orphans: { objects: 0, bytes: 0 },
});

export async function collectGarbage(
  store: ObjectStore,
  register: MetaRegister,
  scope: Scope = {},
  options: GcOptions = {},
  progress: Progress = silentProgress,
): Promise<GcReport> {
  const rule: RetentionRule = {
    ...(options.keepVersions !== undefined && { keepVersions: options.keepVersions }),
    ...(options.keepDays !== undefined && { keepDays: options.keepDays }),
  };
  progress.phase('finding stacks');
  const { stacks } = await stackFolders(store, scope);
  const report: GcReport = { dryRun: Boolean(options.dryRun), rule, stacks: stacks.length, freed: none(), total: { objects: 0, bytes: 0 }, pruned: [], skipped: [] };
  progress.phase(options.dryRun ? 'planning gc' : 'collecting', stacks.length);
  for (const ref of stacks) {
    const plan = await planStack(store, register, ref, rule, options);
    if (plan.skipped) report.skipped.push({ stack: stackPath(ref), reason: plan.skipped });
    if (plan.pruned) report.pruned.push({ stack: stackPath(ref), ...plan.pruned });
    for (const category of GC_CATEGORIES) {
      const objects = plan.remove[category];
      const bytes = objects.reduce((n, o) => n + o.info.size, 0);
      report.freed[category].objects += objects.length;
      report.freed[category].bytes += bytes;
      report.total.objects += objects.length;
      report.total.bytes += bytes;
    }
    // Only now, after the floor's CAS landed (planStack), does anything go.
    if (!options.dryRun) {
      await mapLimit(GC_CATEGORIES.flatMap((c) => plan.remove[c]), DELETE_PARALLELISM, (o) => store.delete(o.info.key));
    }
    progress.tick();
  }
  progress.done();
  return report;
}

interface StackPlan {
  remove: Record<GcCategory, StackObject[]>;
  pruned?: { from: number; to: number; retainedFrom: number; latest: number };
  skipped?: string;
}

async function planStack(store: ObjectStore, register: MetaRegister, ref: StackRef, rule: RetentionRule, options: GcOptions): Promise<StackPlan> {
  const plan: StackPlan = { remove: { versions: [], 'update-leftovers': [], 'update-logs': [], orphans: [] } };
  const marginMs = options.marginMs ?? LEFTOVER_MARGIN_MS;
  // List first, read the register after (docs/design.md, "Sweep").
  const objects = await stackObjects(store, ref);
  let snap;
  try {
    snap = await register.readRaw(ref);
  } catch (err) {
    if (!isFulmarError(err)) throw err;
    return { ...plan, skipped: `its register cannot be read (${err.message}); see fulmar verify` };
  }
  const now = snap?.storeTime ?? (await storeNow(store));
  plan.remove.orphans = deadObjects(objects, snap?.meta).filter((o) => olderThan(o.info, now, marginMs));
  if (!snap) return plan;
  const state = registerState(snap.meta);
  if (state === 'moving-out' || state === 'moving-in') return { ...plan, skipped: 'being moved: its versions and updates wait for the move to land' };
  if (state !== 'live') return plan;

  const meta = snap.meta;
  const incarnation = meta.incarnation ?? '';
  const mine = objects.filter((o) => o.what.kind !== 'register' && o.what.incarnation === incarnation);
  let floor = retainedFrom(meta);
  if (hasRule(rule)) {
    const writtenAt = new Map(mine.flatMap((o) => (o.what.kind === 'checkpoint' ? [[o.what.version, o.info.lastModified] as const] : [])));
    const raised = options.dryRun
      ? retentionFloor({ latest: meta.version, current: meta.retainedFrom, rule, writtenAt, now, pinned: pinnedBy(meta) })
      : await raiseFloor(register, ref, incarnation, rule, writtenAt).catch((err: unknown) => {
          if (isFulmarError(err, 'conflict')) return undefined;
          throw err;
        });
    if (raised === undefined) return { ...plan, skipped: 'it changed (moved, deleted or busy) while gc read it; run gc again' };
    floor = raised;
    plan.remove.versions = mine.filter((o) => o.what.kind === 'checkpoint' && o.what.version < floor);
    const versions = plan.remove.versions.map((o) => (o.what as { version: number }).version);
    if (versions.length > 0) plan.pruned = { from: Math.min(...versions), to: Math.max(...versions), retainedFrom: floor, latest: meta.version };
  }
  const records = await updateRecords(store, meta, mine);
  const leftovers = updateLeftovers(mine, records, meta.lease?.updateId, floor, now, marginMs);
  plan.remove['update-leftovers'] = leftovers.intermediate;
  plan.remove['update-logs'] = leftovers.logs;
  return plan;
}

/** The version a running update builds on (its lease's version − 1) stays whatever the rule says. */
const pinnedBy = (meta: StackMeta): number[] => (meta.lease ? [meta.lease.version - 1] : []);

/**
 * The CAS that must land before any checkpoint goes: on a fresh read of a live register of the
 * same incarnation, the floor the rule gives now (the latest version may have grown). Undefined
 * when the register is no longer that (a move, a delete): nothing of it is pruned.
 */
async function raiseFloor(register: MetaRegister, ref: StackRef, incarnation: string, rule: RetentionRule, writtenAt: ReadonlyMap<number, Date>): Promise<number | undefined> {
  return register.mutateRaw(ref, (s) => {
    if (!s || registerState(s.meta) !== 'live' || (s.meta.incarnation ?? '') !== incarnation) return { result: undefined };
    const meta = s.meta;
    const floor = retentionFloor({ latest: meta.version, current: meta.retainedFrom, rule, writtenAt, now: s.storeTime, pinned: pinnedBy(meta) });
    return floor > retainedFrom(meta) ? { write: { ...meta, retainedFrom: floor }, result: floor } : { result: floor };
  });
}

/** The records of the updates that have objects under `updates/<id>/`; missing or unreadable → undefined. */
async function updateRecords(store: ObjectStore, meta: StackMeta, mine: readonly ListedObject[]): Promise<Map<string, UpdateRecord | undefined>> {
  const ids = [...new Set(mine.flatMap((o) => (o.what.kind === 'update-checkpoint' || o.what.kind === 'update-journal' || o.what.kind === 'update-events' ? [o.what.updateId] : [])))];
  const loc = locOf(meta);
  const read = await mapLimit(ids, 8, async (id) => {
    const record = await readJson<UpdateRecord>(store, layout.updateKey(loc, id)).catch((err: unknown) => {
      if (isFulmarError(err)) return undefined; // not JSON: left for verify and a person
      throw err;
    });
    return [id, record?.value] as const;
  });
  return new Map(read);
}
