/**
 * Update tokens (protocol §1.3): 32 random bytes handed out at start; only their SHA-256 is
 * kept — in the stack's lease for a running update, in the update record for previews — so any
 * pod can check one with no secret shared between pods.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { StackRef } from '../storage/layout.js';
import { badRequest, forbidden } from '../domain/errors.js';
import type { Lease } from '../domain/stack-meta.js';
import type { UpdateRecord } from '../domain/update-record.js';
import { validateUpdateId } from '../domain/names.js';
import type { MetaRegister, MetaSnapshot } from './meta-register.js';
import type { UpdateRecords } from './update-records.js';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
export const sameHash = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));

/** 403, not 401: the CLI turns any 401 into "please log in" (protocol §6.12). */
export const leaseLost = () =>
  forbidden('The update lease has expired or the update was cancelled; this update can no longer write to the stack.');

/** Who is calling an update-token route, and the stack register as they found it. */
export interface UpdateAuth {
  snap: MetaSnapshot;
  lease?: Lease;
  record?: UpdateRecord;
}

export class UpdateAuthorizer {
  constructor(
    private readonly register: MetaRegister,
    private readonly records: UpdateRecords,
  ) {}

  /**
   * Verifies an update token: against the stack's lease for a running update (one GET), or
   * against the update record for previews and for retries after the lease was released.
   */
  async authorize(ref: StackRef, updateId: string, token: string): Promise<UpdateAuth> {
    validateUpdateId(updateId);
    const hash = hashToken(token);
    const snap = await this.register.read(ref);
    const lease = snap.meta.lease;
    if (lease?.updateId === updateId) {
      if (!sameHash(hash, lease.tokenHash)) throw forbidden('The update token is not valid for this update.');
      return { snap, lease };
    }
    const { record } = await this.records.read(ref, updateId);
    if (!record.tokenHash || !sameHash(hash, record.tokenHash)) {
      throw forbidden('The update token is not valid for this update.');
    }
    return { snap, record };
  }

  async authorizeWriter(ref: StackRef, updateId: string, token: string): Promise<UpdateAuth & { lease: Lease }> {
    const auth = await this.authorize(ref, updateId, token);
    if (!auth.lease) {
      if (auth.record?.dryRun) throw badRequest('a preview cannot write checkpoints');
      throw leaseLost();
    }
    return auth as UpdateAuth & { lease: Lease };
  }

  /**
   * After a checkpoint is written: if a cancel or takeover committed the update meanwhile, that
   * commit may not include this checkpoint, so it must not be acknowledged (fencing).
   */
  async confirmLease(ref: StackRef, updateId: string): Promise<void> {
    const { meta } = await this.register.read(ref);
    if (meta.lease?.updateId !== updateId) throw leaseLost();
  }
}
