/**
 * Which committed versions `fulmar gc` keeps (docs/operating.md, "Retention (gc)"). Retention is
 * a floor, not a set: the register's `retainedFrom` says "every version from here to the latest
 * has its checkpoint", so readers and `fulmar verify` need one number, not a list. Both rules keep
 * a suffix of the versions, so the union of what they keep is again a suffix: the lower floor.
 *
 * Pure: the caller supplies the register's numbers, when each checkpoint was written (the
 * bucket's listing) and the store's clock.
 */

export interface RetentionRule {
  /** Keep the newest N versions (N ≥ 1). */
  keepVersions?: number;
  /** Keep every version whose checkpoint was written less than D days ago. */
  keepDays?: number;
}

export interface RetentionInput {
  /** The register's latest committed version (0: never updated). */
  latest: number;
  /** The register's current floor (`retainedFrom`), if any. */
  current: number | undefined;
  rule: RetentionRule;
  /** When each version's checkpoint was written (store clock); versions not listed are not evidence. */
  writtenAt: ReadonlyMap<number, Date>;
  /** The store's clock now. */
  now: Date;
  /** Versions that must stay whatever the rule says (the version a running update builds on). */
  pinned?: readonly number[];
}

const DAY_MS = 86_400_000;

export const hasRule = (rule: RetentionRule): boolean => rule.keepVersions !== undefined || rule.keepDays !== undefined;

/**
 * The new floor: the lowest version kept. A version is kept when EITHER rule keeps it (the
 * stricter rule never removes what the other one wants); the latest version and every pinned one
 * are always kept; and the floor never goes down (what was removed is gone).
 */
export function retentionFloor({ latest, current, rule, writtenAt, now, pinned = [] }: RetentionInput): number {
  const floorNow = Math.max(1, current ?? 1);
  if (latest < 1 || !hasRule(rule)) return floorNow;
  const floors: number[] = [];
  if (rule.keepVersions !== undefined) floors.push(latest - Math.max(1, Math.floor(rule.keepVersions)) + 1);
  if (rule.keepDays !== undefined) {
    const cutoff = now.getTime() - rule.keepDays * DAY_MS;
    // The lowest version written after the cutoff: with pods' commits not strictly ordered in time,
    // this keeps every recent version (and perhaps an older one between them) — never fewer.
    let lowest = latest;
    for (const [version, at] of writtenAt) if (version <= latest && version < lowest && at.getTime() >= cutoff) lowest = version;
    floors.push(lowest);
  }
  let floor = Math.min(latest, ...floors, ...pinned.filter((v) => v >= 1));
  floor = Math.max(floorNow, floor);
  return floor;
}
