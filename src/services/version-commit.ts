/**
 * Committing a version (DESIGN §4): the version's checkpoint and history entry are written
 * create-once, then the register is compare-and-swapped — the commit point. The same steps
 * roll a dead or cancelled update forward, so what it created stays recorded.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { isNotFound, isPreconditionFailed } from '../storage/storage-error.js';
import { layout, referenceLayout, type StackRef } from '../storage/layout.js';
import type { ImmutableCache } from '../storage/immutable-cache.js';
import { parseStackPath, referencedStacks } from '../domain/stack-references.js';
import { cacheKeyOf, resourceCountOf, type Lease, type StackMeta } from '../domain/stack-meta.js';
import { nowSeconds, type HistoryEntry, type UpdateRecord } from '../domain/update-record.js';
import type { Logger } from '../observability/logger.js';
import type { MetaRegister } from './meta-register.js';
import { Checkpoints, refOf } from './checkpoints.js';
import { deletePrefix } from './prefix-ops.js';
import { readJson, writeJson } from './json-objects.js';

export class VersionCommitter {
  constructor(
    private readonly store: ObjectStore,
    private readonly register: MetaRegister,
    private readonly checkpoints: Checkpoints,
    private readonly cache: ImmutableCache,
    private readonly log: Logger,
  ) {}

  /** Commits the lease holder's work as its version; safe to repeat after a crash. */
  async commit(ref: StackRef, updateId: string, result: 'succeeded' | 'failed') {
    await this.register.mutate(ref, async ({ meta }) => {
      if (meta.lease?.updateId !== updateId) return { result: undefined }; // already committed
      return { write: await this.rollForward(meta, meta.lease, result), result: undefined };
    });
    // Intermediate checkpoints are redundant once a version is committed.
    deletePrefix(this.store, layout.updateCheckpointsPrefix(ref, updateId)).catch((err: unknown) =>
      this.log.warn({ err, updateId }, 'could not remove intermediate checkpoints'),
    );
  }

  /**
   * The writes that precede the commit point (the register CAS): the version's checkpoint and
   * history entry, both create-once. Version `lease.version` belongs to this lease alone, so an
   * object already there was written by an earlier attempt of this same commit.
   */
  async rollForward(meta: StackMeta, lease: Lease, result: 'succeeded' | 'failed'): Promise<StackMeta> {
    const ref = refOf(meta);
    const v = lease.version;
    const key = layout.checkpointKey(ref, v);
    const latest = await this.checkpoints.latestOfUpdate(ref, lease.updateId);
    let body = latest?.body;
    if (!body) body = await this.existing(key);
    if (!body) body = await this.checkpoints.committed(meta, meta.version);
    try {
      await this.store.put(key, body, { ifNoneMatch: '*', contentType: 'application/json' });
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      body = (await this.existing(key)) ?? body;
    }
    this.cache.set(cacheKeyOf(meta, 'checkpoint', v), body);
    const { resourceCount, references } = summarize(body, meta.org);
    // Index entries are written before the commit point; stale ones are pruned by readers.
    await Promise.all(
      references
        .map(parseStackPath)
        .filter((t): t is StackRef => !!t)
        .map((target) => writeJson(this.store, referenceLayout.key(target, ref), { since: v })),
    );
    const record = await readJson<UpdateRecord>(this.store, layout.updateKey(ref, lease.updateId));
    const now = nowSeconds();
    const entry: HistoryEntry = {
      updateId: lease.updateId,
      kind: lease.kind,
      startTime: lease.startedAt,
      endTime: now,
      message: record?.value.message ?? '',
      environment: record?.value.environment ?? {},
      config: record?.value.config ?? {},
      result,
      version: v,
      ...(record?.value.resourceChanges && { resourceChanges: record.value.resourceChanges }),
      resourceCount,
    };
    try {
      await writeJson(this.store, layout.historyKey(ref, v), entry, { ifNoneMatch: '*' });
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
    }
    return { ...meta, version: v, lease: null, lastUpdate: now, resourceCount, references };
  }

  private async existing(key: string): Promise<Buffer | undefined> {
    try {
      return (await this.store.get(key)).body;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}

/** Resource count and StackReference targets of a committed deployment. */
function summarize(body: Buffer, org: string): { resourceCount: number; references: string[] } {
  try {
    const deployment = (JSON.parse(body.toString('utf8')) as { deployment?: unknown }).deployment;
    return { resourceCount: resourceCountOf(deployment), references: referencedStacks(deployment, org) };
  } catch {
    return { resourceCount: 0, references: [] };
  }
}

