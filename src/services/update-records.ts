/** Update records (`…/i/<incarnation>/updates/<id>.json`): read, and compare-and-swapped as an update moves on. */
import type { ObjectStore } from '../storage/object-store.js';
import { compareAndSwap, createOnce } from '../storage/conditional-writes.js';
import { layout, type StackLoc } from '../storage/layout.js';
import { conflict, notFound } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import { unixSeconds } from '../domain/clock.js';
import type { FinalStatus } from '../domain/stack-meta.js';
import type { UpdateRecord, UpdateStatus } from '../domain/update-record.js';
import { validateUpdateId } from '../domain/names.js';
import { freshNonce } from './meta-register.js';
import { decodeJson, encodeJson, readJson } from './json-objects.js';

export const isTerminal = (s: UpdateStatus) => s === 'succeeded' || s === 'failed' || s === 'cancelled';

export class UpdateRecords {
  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
  ) {}

  async create(loc: StackLoc, record: UpdateRecord): Promise<void> {
    if (!(await createOnce(this.store, layout.updateKey(loc, record.id), encodeJson(record)))) {
      throw conflict(`update '${record.id}' already exists`);
    }
  }

  async read(loc: StackLoc, updateId: string): Promise<{ record: UpdateRecord; etag: string }> {
    validateUpdateId(updateId);
    const got = await readJson<UpdateRecord>(this.store, layout.updateKey(loc, updateId));
    if (!got) throw notFound(`update '${updateId}' not found`);
    return { record: got.value, etag: got.etag };
  }

  /** CAS on an update record; `change` returning undefined means "nothing to do". */
  async mutate(loc: StackLoc, updateId: string, change: (r: UpdateRecord) => UpdateRecord | undefined): Promise<UpdateRecord> {
    const key = layout.updateKey(loc, updateId);
    return compareAndSwap(
      this.store,
      key,
      (current) => {
        if (!current) throw notFound(`update '${updateId}' not found`);
        const record = decodeJson<UpdateRecord>(key, current.body);
        const next = change(record);
        return next ? { write: encodeJson({ ...next, nonce: freshNonce() }), result: next } : { result: record };
      },
      { exhausted: () => conflict(`update '${updateId}' was modified concurrently; please retry`) },
    );
  }

  /** Marks an update finished (once: a terminal status is never changed). */
  async finish(loc: StackLoc, updateId: string, status: FinalStatus): Promise<UpdateRecord> {
    return this.mutate(loc, updateId, (r) => {
      if (isTerminal(r.status)) return undefined;
      return { ...r, status, endTime: unixSeconds(this.clock.now()) };
    });
  }
}
