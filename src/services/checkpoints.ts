/**
 * Reading deployments: committed versions (immutable, so served through the LRU keyed by
 * `stackId:version`, docs/design.md#cache) and the newest intermediate checkpoint of a running
 * update.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ObjectStore } from '../storage/object-store.js';
import { getOrUndefined } from '../storage/conditional-writes.js';
import { layout, sequenceOfKey, type StackLoc } from '../storage/layout.js';
import { cacheKeyOf, liveIncarnation, locOf, refOf, removedByRetention, retainedFrom, type StackMeta } from '../domain/stack-meta.js';
import type { MetaRegister } from './meta-register.js';
import { stackLabel } from '../domain/stack-label.js';
import type { ImmutableCache } from '../storage/immutable-cache.js';
import { conflict, FulmarError, gone } from '../domain/errors.js';
import { lastKey } from './json-objects.js';

/**
 * What a never-updated stack exports: schema 3 with a deployment that has no resources
 * (docs/protocol.md#export-and-import — version 0 or a missing `deployment` would make the CLI
 * refuse the stack, pkg/resource/stack/deployment.go).
 */
export function emptyDeployment(now = new Date()): Buffer {
  return Buffer.from(
    JSON.stringify({
      version: 3,
      deployment: { manifest: { time: now.toISOString(), magic: '', version: '' }, resources: null },
    }),
  );
}

const gzipAsync = promisify(gzip);

/**
 * A version below the retention floor: 410 in Pulumi's {code, message} shape, saying why, so
 * `pulumi stack export --version N` (and `fulmar rollback --to N`) explain instead of failing.
 */
const removed = (meta: StackMeta, version: number) =>
  gone(
    `version ${version} of ${stackLabel(refOf(meta))} was removed by retention (fulmar gc); ` +
      `versions ${retainedFrom(meta)} to ${meta.version} are kept, and its history entry is still listed`,
  );

export class Checkpoints {
  constructor(
    private readonly store: ObjectStore,
    private readonly cache: ImmutableCache,
    private readonly register: MetaRegister,
  ) {}

  /** The deployment (UntypedDeployment JSON bytes) a committed version ended with. */
  async committed(meta: StackMeta, version: number): Promise<Buffer> {
    if (version === 0) {
      return meta.initialState !== undefined ? Buffer.from(JSON.stringify(meta.initialState)) : emptyDeployment();
    }
    if (removedByRetention(meta, version)) throw removed(meta, version);
    const key = layout.checkpointKey(locOf(meta), version);
    return this.cache.getOrLoad(cacheKeyOf(meta, 'checkpoint', version), async () => {
      const got = await getOrUndefined(this.store, key);
      if (got) return got.body;
      // Swept with its incarnation: the stack was deleted (or replaced) after we read its register.
      const now = await this.register.readRaw(refOf(meta));
      if (liveIncarnation(now?.meta) !== (meta.incarnation ?? '')) throw conflict(`${stackLabel(refOf(meta))} was deleted or replaced meanwhile; please retry`);
      // fulmar gc raised the floor after our read, then removed the object (its CAS comes first).
      if (now && removedByRetention(now.meta, version)) throw removed(now.meta, version);
      throw new FulmarError('internal', `version ${version} is committed but ${key} is missing from the bucket`);
    });
  }

  /**
   * The same bytes gzip-compressed, cached too: the CLI always asks for gzip (api.go), and
   * compressing a multi-MB state on every export costs far more than reading it.
   */
  async committedGzip(meta: StackMeta, version: number): Promise<Buffer> {
    // Before the cache: a pod that still holds a pruned version answers as every other pod does.
    if (removedByRetention(meta, version)) throw removed(meta, version);
    return this.cache.getOrLoad(`${cacheKeyOf(meta, 'checkpoint', version)}:gzip`, async () =>
      gzipAsync(await this.committed(meta, version)),
    );
  }

  /** The newest intermediate checkpoint an update wrote, if any. */
  async latestOfUpdate(loc: StackLoc, updateId: string): Promise<{ sequence: number; body: Buffer } | undefined> {
    const key = await lastKey(this.store, layout.updateCheckpointsPrefix(loc, updateId));
    if (!key) return undefined;
    const sequence = sequenceOfKey(key);
    const body = await this.intermediate(loc, updateId, sequence);
    return body && { sequence, body };
  }

  /** One intermediate checkpoint (write-once, so cacheable by update id and sequence). */
  async intermediate(loc: StackLoc, updateId: string, sequence: number): Promise<Buffer | undefined> {
    const cacheKey = `${updateId}:seq:${sequence}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const got = await getOrUndefined(this.store, layout.updateCheckpointKey(loc, updateId, sequence));
    if (got) this.cache.set(cacheKey, got.body);
    return got?.body;
  }

  /** Seeds the cache with bytes just written (so the next delta on this pod needs no GET). */
  remember(updateId: string, sequence: number, body: Buffer): void {
    this.cache.set(`${updateId}:seq:${sequence}`, body);
  }
}
