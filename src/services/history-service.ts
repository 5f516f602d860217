/**
 * History (docs/protocol.md#history): one write-once entry per committed version. Versions are
 * dense, so a page newest-first is a range of keys read in parallel — no listing — and each entry,
 * being immutable, is served from the LRU.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { layout, type StackRef } from '../storage/layout.js';
import type { ImmutableCache } from '../storage/immutable-cache.js';
import { FulmarError, notFound } from '../domain/errors.js';
import { cacheKeyOf, locOf, type StackMeta } from '../domain/stack-meta.js';
import type { HistoryEntry } from '../domain/update-record.js';
import { requireRole, type Principal } from '../domain/roles.js';
import type { Logger } from '../observability/logger.js';
import type { MetaRegister } from './meta-register.js';
import { stackLabel } from '../domain/stack-label.js';

export class HistoryService {
  constructor(
    private readonly store: ObjectStore,
    private readonly register: MetaRegister,
    private readonly cache: ImmutableCache,
    private readonly log: Logger,
  ) {}

  /**
   * `GET S/updates` (docs/protocol.md#history): newest first; versions are dense, so a page is a
   * key range.
   */
  async history(principal: Principal, ref: StackRef, pageSize: number, page: number) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    const newest = meta.version - (page - 1) * pageSize;
    const versions: number[] = [];
    for (let v = newest; v >= 1 && versions.length < pageSize; v--) versions.push(v);
    const entries = await Promise.all(versions.map((v) => this.entry(meta, v)));
    return entries.filter((e): e is HistoryEntry => !!e).map(updateInfo);
  }

  async latest(principal: Principal, ref: StackRef) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    const entry = meta.version > 0 ? await this.entry(meta, meta.version) : undefined;
    // 404 = "no previous deployment" (client.go: GetLatestConfiguration).
    if (!entry) throw notFound(`${stackLabel(ref)} has no updates`);
    return { info: updateInfo(entry), updateID: entry.updateId, version: entry.version };
  }

  private async entry(meta: StackMeta, version: number): Promise<HistoryEntry | undefined> {
    try {
      const body = await this.cache.getOrLoad(cacheKeyOf(meta, 'history', version), async () => {
        const got = await this.store.get(layout.historyKey(locOf(meta), version));
        return got.body;
      });
      return JSON.parse(body.toString('utf8')) as HistoryEntry;
    } catch (err) {
      if (err instanceof FulmarError) throw err;
      this.log.warn({ err, version }, 'history entry unreadable');
      return undefined;
    }
  }
}

/** apitype.UpdateInfo (sdk/go/common/apitype/history.go). */
function updateInfo(e: HistoryEntry) {
  return {
    kind: e.kind,
    startTime: e.startTime,
    endTime: e.endTime,
    message: e.message,
    environment: e.environment,
    config: e.config,
    result: e.result,
    version: e.version,
    resourceChanges: e.resourceChanges ?? {},
    resourceCount: e.resourceCount,
    updateID: e.updateId,
    // Not in apitype.UpdateInfo: the CLI's decoder ignores it; the console shows it as "who".
    ...(e.requestedBy && { requestedBy: e.requestedBy }),
  };
}
