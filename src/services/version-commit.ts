/**
 * Committing a version (docs/design.md, "Commit"): seal, then list, then commit.
 *
 *  1. seal: CAS `lease.sealed = {status}` onto the register. From here no checkpoint of the update
 *     is acknowledged (CheckpointWriter confirms the lease is unsealed AFTER its object landed), so
 *     every acknowledged checkpoint is already in the bucket;
 *  2. list the update's checkpoints and write the newest as `checkpoints/<v>.json`, and the history
 *     entry `history/<v>.json` — both create-once: version v belongs to this sealed lease alone, so
 *     an object already there is an earlier attempt of this same commit;
 *  3. CAS the register: `version = v`, lease cleared — the commit point;
 *  4. finish the update record with the sealed status.
 *
 * Complete, cancel, takeover of a dead lease and import all take these steps; any pod that meets
 * a sealed lease may run steps 2–4 for it.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { createOnce, getOrUndefined } from '../storage/conditional-writes.js';
import { layout, referenceLayout, type StackRef } from '../storage/layout.js';
import type { ImmutableCache } from '../storage/immutable-cache.js';
import { conflict } from '../domain/errors.js';
import { parseStackPath, referencedStacks } from '../domain/stack-references.js';
import { cacheKeyOf, locOf, refOf, resourceCountOf, type FinalStatus, type Lease, type StackMeta } from '../domain/stack-meta.js';
import type { HistoryEntry, UpdateRecord } from '../domain/update-record.js';
import { unixSeconds, type Clock } from '../domain/clock.js';
import type { Logger } from '../observability/logger.js';
import type { MetaRegister } from './meta-register.js';
import type { Checkpoints } from './checkpoints.js';
import { JournalGone, type JournalReplays } from './journal-replays.js';
import type { UpdateRecords } from './update-records.js';
import { deletePrefix } from './prefix-ops.js';
import { encodeJson, readJson, writeJson } from './json-objects.js';

/** The register with the lease sealed (step 1), for a decide step that must seal before it lists. */
export const sealed = (meta: StackMeta, status: FinalStatus): StackMeta => ({
  ...meta,
  lease: meta.lease && { ...meta.lease, sealed: meta.lease.sealed ?? { status } },
});

export class VersionCommitter {
  constructor(
    private readonly store: ObjectStore,
    private readonly register: MetaRegister,
    private readonly checkpoints: Checkpoints,
    private readonly journals: JournalReplays,
    private readonly records: UpdateRecords,
    private readonly cache: ImmutableCache,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /**
   * Steps 1–4 for `updateId`. Returns the status the update was sealed with — ours, or an earlier
   * seal's (a cancel that came first) — or undefined when the update no longer holds the stack.
   */
  async sealAndCommit(ref: StackRef, updateId: string, status: FinalStatus): Promise<FinalStatus | undefined> {
    const sealedAs = await this.register.mutate(ref, ({ meta }) => {
      const lease = meta.lease;
      if (lease?.updateId !== updateId) return { result: undefined };
      if (lease.sealed) return { result: lease.sealed.status };
      return { write: sealed(meta, status), result: status };
    });
    if (sealedAs) await this.finishSealed(ref, updateId);
    return sealedAs;
  }

  /** Steps 2–4 for a sealed lease; idempotent, any pod. */
  async finishSealed(ref: StackRef, updateId: string): Promise<void> {
    const done = await this.register.mutate(ref, async ({ meta }) => {
      const lease = meta.lease;
      if (lease?.updateId !== updateId || !lease.sealed) return { result: undefined };
      return { write: await this.committed(meta, lease), result: { meta, status: lease.sealed.status } };
    });
    if (done) await this.afterCommit(done.meta, updateId, done.status);
  }

  /** After the commit point: the record says how it ended; intermediate checkpoints go. */
  async afterCommit(meta: StackMeta, updateId: string, status: FinalStatus): Promise<void> {
    const loc = locOf(meta);
    await this.records.finish(loc, updateId, status).catch((err: unknown) =>
      this.log.warn({ err, updateId }, 'could not finish the update record (history has the outcome)'),
    );
    this.journals.forget(meta, updateId);
    for (const prefix of [layout.updateCheckpointsPrefix(loc, updateId), layout.updateJournalPrefix(loc, updateId)]) {
      deletePrefix(this.store, prefix).catch((err: unknown) =>
        this.log.warn({ err, updateId }, 'could not remove the intermediate state of a committed update'),
      );
    }
  }

  /**
   * Step 2 for a sealed lease, and the register that commits it (step 3 is the caller's CAS):
   * the version's checkpoint and history entry, both create-once.
   */
  async committed(meta: StackMeta, lease: Lease): Promise<StackMeta> {
    const loc = locOf(meta);
    const v = lease.version;
    const status = lease.sealed?.status ?? 'failed';
    const { body, deployment } = await this.versionBody(meta, lease);
    this.cache.set(cacheKeyOf(meta, 'checkpoint', v), body);
    const { resourceCount, references } = summarize(deployment ?? parsedDeployment(body), meta.org);
    // Index entries are written before the commit point; stale ones are pruned by readers.
    await Promise.all(
      references
        .map(parseStackPath)
        .filter((t): t is StackRef => !!t)
        .map((target) => writeJson(this.store, referenceLayout.key(target, refOf(meta)), { since: v })),
    );
    const record = await readJson<UpdateRecord>(this.store, layout.updateKey(loc, lease.updateId));
    const now = unixSeconds(this.clock.now());
    // An update adopted from another backend is told as it happened there (fulmar adopt-diy).
    const adopted = record?.value.adopted;
    const entry: HistoryEntry = {
      updateId: lease.updateId,
      kind: adopted?.kind ?? lease.kind,
      startTime: adopted?.startTime ?? lease.startedAt,
      endTime: adopted?.endTime ?? now,
      message: record?.value.message ?? '',
      environment: record?.value.environment ?? {},
      config: record?.value.config ?? {},
      result: adopted?.result ?? (status === 'succeeded' ? 'succeeded' : 'failed'),
      status,
      version: v,
      ...(record?.value.resourceChanges && { resourceChanges: record.value.resourceChanges }),
      resourceCount,
      ...(adopted && { adopted: { source: adopted.source, entry: adopted.entry } }),
      ...(lease.author && !adopted && { requestedBy: lease.author }),
    };
    await createOnce(this.store, layout.historyKey(loc, v), encodeJson(entry));
    const lastUpdate = adopted?.endTime ?? now;
    return { ...meta, version: v, lease: null, lastUpdateId: lease.updateId, lastUpdate, resourceCount, references };
  }

  /**
   * The bytes of `checkpoints/<v>.json`: the object if an earlier attempt of this commit wrote it,
   * else what the update reached (its journal replayed, or its newest checkpoint; the previous
   * version if it wrote nothing), written create-once. `deployment` is the replayed deployment
   * when the bytes written are its encoding (a 10 MB state is then not parsed again).
   */
  private async versionBody(meta: StackMeta, lease: Lease): Promise<{ body: Buffer; deployment?: unknown }> {
    const loc = locOf(meta);
    const key = layout.checkpointKey(loc, lease.version);
    const written = async () => {
      const body = (await getOrUndefined(this.store, key))?.body;
      // Gone with its incarnation: the stack was deleted and swept, and this commit's CAS must fail.
      if (!body) throw conflict('the stack was deleted while this update was being committed');
      return { body };
    };
    const existing = (await getOrUndefined(this.store, key))?.body;
    if (existing) return { body: existing };
    let reached: { body: Buffer; deployment?: unknown } | undefined;
    try {
      if (lease.journal) {
        const replayed = await this.journals.replayed(meta, lease);
        reached = replayed && { body: replayed.bytes, deployment: replayed.untyped.deployment };
      } else {
        const latest = await this.checkpoints.latestOfUpdate(loc, lease.updateId);
        reached = latest && { body: latest.body };
      }
    } catch (err) {
      // Another pod committed this version meanwhile and removed the batches: its object stands.
      if (err instanceof JournalGone) return written();
      throw err;
    }
    const candidate = reached ?? { body: await this.checkpoints.committed(meta, meta.version) };
    return (await createOnce(this.store, key, candidate.body)) ? candidate : written();
  }

  /** The history entry of version v, if it was written (by any attempt of its commit). */
  async historyEntry(meta: StackMeta, version: number): Promise<HistoryEntry | undefined> {
    if (!Number.isSafeInteger(version) || version < 1) return undefined;
    return (await readJson<HistoryEntry>(this.store, layout.historyKey(locOf(meta), version)))?.value;
  }
}

/** The deployment inside a stored UntypedDeployment; undefined when the bytes are not one. */
function parsedDeployment(body: Buffer): unknown {
  try {
    return (JSON.parse(body.toString('utf8')) as { deployment?: unknown }).deployment;
  } catch {
    return undefined;
  }
}

/** Resource count and StackReference targets of a committed deployment. */
function summarize(deployment: unknown, org: string): { resourceCount: number; references: string[] } {
  if (deployment === undefined) return { resourceCount: 0, references: [] };
  return { resourceCount: resourceCountOf(deployment), references: referencedStacks(deployment, org) };
}
