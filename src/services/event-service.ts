/**
 * Engine events (protocol §2.4.7, §2.4.11): one write-once object per batch; batches may arrive
 * out of order and retried, so reads merge them by sequence number.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { isPreconditionFailed } from '../storage/storage-error.js';
import { layout, type StackRef } from '../storage/layout.js';
import { badRequest } from '../domain/errors.js';
import { requireRole, type Principal } from '../domain/roles.js';
import type { UpdateAuthorizer } from './update-auth.js';
import { isTerminal, type UpdateRecords } from './update-records.js';
import { listAllKeys, readJson, writeJson } from './json-objects.js';
import { stackLabel } from '../domain/stack-label.js';

export interface EngineEvent {
  sequence: number;
  timestamp: number;
  [k: string]: unknown;
}

export class EventService {
  constructor(
    private readonly store: ObjectStore,
    private readonly auth: UpdateAuthorizer,
    private readonly records: UpdateRecords,
  ) {}

  /** `POST …/events/batch`: one write-once object per batch; retries and overlaps de-duplicate on read. */
  async recordEvents(ref: StackRef, updateId: string, token: string, events: EngineEvent[]) {
    await this.auth.authorize(ref, updateId, token);
    if (events.length === 0) return;
    const sorted = [...events].sort((a, b) => a.sequence - b.sequence);
    const first = (sorted[0] as EngineEvent).sequence;
    const last = (sorted[sorted.length - 1] as EngineEvent).sequence;
    try {
      await writeJson(this.store, layout.updateEventsKey(ref, updateId, first, last), { events: sorted }, { ifNoneMatch: '*' });
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err; // the same batch, retried
    }
    const summary = sorted.find((e) => e.summaryEvent)?.summaryEvent as { resourceChanges?: Record<string, number> } | undefined;
    if (summary?.resourceChanges) {
      const changes = summary.resourceChanges;
      await this.records.mutate(ref, updateId, (r) => ({ ...r, resourceChanges: changes }));
    }
  }

  /** `GET …/events` (protocol §2.4.11): events in sequence order, paged by sequence. */
  async listEvents(principal: Principal, ref: StackRef, updateId: string, continuationToken: string | undefined) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { record } = await this.records.read(ref, updateId);
    const after = continuationToken === undefined ? -1 : Number.parseInt(continuationToken, 10);
    if (!Number.isSafeInteger(after)) throw badRequest('invalid continuationToken');
    const keys = await listAllKeys(this.store, layout.updateEventsPrefix(ref, updateId));
    const bySeq = new Map<number, EngineEvent>();
    for (const key of keys) {
      const lastSeq = Number.parseInt(key.slice(key.lastIndexOf('-') + 1), 10);
      if (lastSeq <= after) continue;
      const batch = await readJson<{ events: EngineEvent[] }>(this.store, key);
      for (const e of batch?.value.events ?? []) if (e.sequence > after) bySeq.set(e.sequence, e);
    }
    const events = [...bySeq.values()].sort((a, b) => a.sequence - b.sequence).slice(0, 1000);
    const terminal = isTerminal(record.status);
    const lastSeen = events.length > 0 ? (events[events.length - 1] as EngineEvent).sequence : after;
    const more = events.length === 1000 || !terminal;
    return { events, continuationToken: more ? String(lastSeen) : null };
  }
}
