/**
 * Engine events (client.go: RecordEngineEvents, GetUpdateEngineEvents): one write-once object per
 * batch; batches may arrive out of order and retried, so reads merge them by sequence number.
 * Batches never change once written, so a poll reads from the bucket only the ones it has not
 * seen (they come through the LRU).
 */
import type { ObjectStore } from '../storage/object-store.js';
import { createOnce } from '../storage/conditional-writes.js';
import { layout, type StackRef } from '../storage/layout.js';
import type { ImmutableCache } from '../storage/immutable-cache.js';
import { badRequest } from '../domain/errors.js';
import { requireRole, type Principal } from '../domain/roles.js';
import { locOf } from '../domain/stack-meta.js';
import type { MetaRegister } from './meta-register.js';
import type { UpdateAuthorizer } from './update-auth.js';
import { isTerminal, type UpdateRecords } from './update-records.js';
import { decodeJson, encodeJson, listAllKeys } from './json-objects.js';
import { stackLabel } from '../domain/stack-label.js';
import { trimEngineEvent } from '../domain/engine-event-trim.js';

export interface EngineEvent {
  sequence: number;
  timestamp: number;
  [k: string]: unknown;
}

/** Events per page of `GET …/events`. */
const PAGE = 1000;

export class EventService {
  constructor(
    private readonly store: ObjectStore,
    private readonly register: MetaRegister,
    private readonly auth: UpdateAuthorizer,
    private readonly records: UpdateRecords,
    private readonly cache: ImmutableCache,
  ) {}

  /** `POST …/events/batch`: only while the update runs; retries and overlaps de-duplicate on read. */
  async recordEvents(ref: StackRef, updateId: string, token: string, events: EngineEvent[]) {
    const { snap } = await this.auth.authorizeRunning(ref, updateId, token);
    const loc = locOf(snap.meta);
    if (events.length === 0) return;
    // Long property values are not kept in the log: the state holds them (engine-event-trim.ts).
    const sorted = events.map(trimEngineEvent).sort((a, b) => a.sequence - b.sequence);
    const first = (sorted[0] as EngineEvent).sequence;
    const last = (sorted[sorted.length - 1] as EngineEvent).sequence;
    // Not created: the same batch, retried (the first copy stands).
    await createOnce(this.store, layout.updateEventsKey(loc, updateId, first, last), encodeJson({ events: sorted }));
    const summary = sorted.find((e) => e.summaryEvent)?.summaryEvent as { resourceChanges?: Record<string, number> } | undefined;
    if (summary?.resourceChanges) {
      const changes = summary.resourceChanges;
      await this.records.mutate(loc, updateId, (r) => ({ ...r, resourceChanges: changes }));
    }
  }

  /** `GET …/events`: events in sequence order, paged by sequence. */
  async listEvents(principal: Principal, ref: StackRef, updateId: string, continuationToken: string | undefined) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    const loc = locOf(meta);
    const { record } = await this.records.read(loc, updateId);
    const after = continuationToken === undefined ? -1 : Number.parseInt(continuationToken, 10);
    if (!Number.isSafeInteger(after)) throw badRequest('invalid continuationToken');
    const keys = await listAllKeys(this.store, layout.updateEventsPrefix(loc, updateId));
    const bySeq = new Map<number, EngineEvent>();
    for (const key of keys) {
      const lastSeq = Number.parseInt(key.slice(key.lastIndexOf('-') + 1), 10);
      if (lastSeq <= after) continue;
      const body = await this.cache.getOrLoad(`events:${key}`, async () => (await this.store.get(key)).body);
      for (const e of decodeJson<{ events: EngineEvent[] }>(key, body).events ?? []) if (e.sequence > after) bySeq.set(e.sequence, e);
    }
    const events = [...bySeq.values()].sort((a, b) => a.sequence - b.sequence).slice(0, PAGE);
    const terminal = isTerminal(record.status);
    const lastSeen = events.length > 0 ? (events[events.length - 1] as EngineEvent).sequence : after;
    const more = events.length === PAGE || !terminal;
    return { events, continuationToken: more ? String(lastSeen) : null };
  }
}
