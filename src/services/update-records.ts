/** Update records (`updates/<id>.json`): read, and compare-and-swapped as an update moves on. */
import type { ObjectStore } from '../storage/object-store.js';
import { isPreconditionFailed } from '../storage/storage-error.js';
import { layout, type StackRef } from '../storage/layout.js';
import { conflict, notFound } from '../domain/errors.js';
import { nowSeconds, type UpdateRecord, type UpdateStatus } from '../domain/update-record.js';
import { validateUpdateId } from '../domain/names.js';
import { freshNonce } from './meta-register.js';
import { readJson, writeJson } from './json-objects.js';

export const isTerminal = (s: UpdateStatus) => s === 'succeeded' || s === 'failed' || s === 'cancelled';

export class UpdateRecords {
  constructor(private readonly store: ObjectStore) {}

  async create(ref: StackRef, record: UpdateRecord): Promise<void> {
    await writeJson(this.store, layout.updateKey(ref, record.id), record, { ifNoneMatch: '*' });
  }

  async read(ref: StackRef, updateId: string): Promise<{ record: UpdateRecord; etag: string }> {
    validateUpdateId(updateId);
    const got = await readJson<UpdateRecord>(this.store, layout.updateKey(ref, updateId));
    if (!got) throw notFound(`update '${updateId}' not found`);
    return { record: got.value, etag: got.etag };
  }

  /** CAS on an update record; `change` returning undefined means "nothing to do". */
  async mutate(ref: StackRef, updateId: string, change: (r: UpdateRecord) => UpdateRecord | undefined) {
    for (let attempt = 0; attempt < 8; attempt++) {
      const { record, etag } = await this.read(ref, updateId);
      const next = change(record);
      if (!next) return record;
      try {
        await writeJson(this.store, layout.updateKey(ref, updateId), { ...next, nonce: freshNonce() }, { ifMatch: etag });
        return next;
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
      }
    }
    throw conflict(`update '${updateId}' was modified concurrently; please retry`);
  }

  /** Marks an update finished (once: a terminal status is never changed). */
  async finish(ref: StackRef, updateId: string, status: UpdateStatus) {
    await this.mutate(ref, updateId, (r) => {
      if (isTerminal(r.status)) return undefined;
      return { ...r, status, endTime: nowSeconds() };
    });
  }
}
