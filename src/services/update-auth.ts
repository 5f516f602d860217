/**
 * Update tokens (pkg/backend/httpstate/client/client.go: `update-token` authorization): 32 random
 * bytes handed out at start; only their SHA-256 is kept — in the stack's lease for a running
 * update, in the update record for previews — so any pod can check one with no shared secret.
 *
 * A token is good for exactly as long as its update may act: a non-preview's while its lease holds
 * the stack (and, for state writes, is not sealed); a preview's while its record is not finished.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { StackRef } from '../storage/layout.js';
import { badRequest, forbidden } from '../domain/errors.js';
import { locOf, type Lease } from '../domain/stack-meta.js';
import type { UpdateRecord } from '../domain/update-record.js';
import { validateUpdateId } from '../domain/names.js';
import type { MetaRegister, MetaSnapshot } from './meta-register.js';
import { isTerminal, type UpdateRecords } from './update-records.js';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
export const sameHash = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));

/** 403, not 401: the CLI turns any 401 into "please log in" (pkg/backend/httpstate/client/api.go). */
export const leaseLost = () =>
  forbidden('The update lease has expired or the update was cancelled; this update can no longer write to the stack.');

const badToken = () => forbidden('The update token is not valid for this update.');

/** Who is calling an update-token route, and the stack register as they found it. */
export interface UpdateAuth {
  snap: MetaSnapshot;
  /** Set when the update holds the stack's lease. */
  lease?: Lease;
  /** Set otherwise: the record the token was checked against. */
  record?: UpdateRecord;
}

export class UpdateAuthorizer {
  /** update id → SHA-256 of its token: fixed once the update started, so safe to keep per pod. */
  private readonly tokenHashes = new LRUCache<string, string>({ max: 10_000 });

  constructor(
    private readonly register: MetaRegister,
    private readonly records: UpdateRecords,
  ) {}

  /**
   * Is this the token the update was given? Answered before a request's body is read, so a
   * forged or stale-for-another-update token costs no body; usually from memory, else from the
   * lease or record. Whether the update may still act is authorize()'s question.
   */
  async verifyToken(ref: StackRef, updateId: string, token: string): Promise<void> {
    validateUpdateId(updateId);
    let known = this.tokenHashes.get(updateId);
    if (!known) {
      const { meta } = await this.register.read(ref);
      known = meta.lease?.updateId === updateId ? meta.lease.tokenHash : (await this.records.read(locOf(meta), updateId)).record.tokenHash;
      if (known) this.tokenHashes.set(updateId, known);
    }
    if (!known || !sameHash(hashToken(token), known)) throw badToken();
  }

  /**
   * Verifies an update token: against the stack's lease for a running update (one GET), or
   * against the update record otherwise (previews, retries after the lease was released).
   */
  async authorize(ref: StackRef, updateId: string, token: string): Promise<UpdateAuth> {
    validateUpdateId(updateId);
    const hash = hashToken(token);
    const snap = await this.register.read(ref);
    const lease = snap.meta.lease;
    if (lease?.updateId === updateId) {
      if (!lease.tokenHash || !sameHash(hash, lease.tokenHash)) throw badToken();
      return { snap, lease };
    }
    const { record } = await this.records.read(locOf(snap.meta), updateId);
    if (!record.tokenHash || !sameHash(hash, record.tokenHash)) throw badToken();
    return { snap, record };
  }

  /** For state writes: the update holds the stack and no commit has begun. */
  async authorizeWriter(ref: StackRef, updateId: string, token: string): Promise<UpdateAuth & { lease: Lease }> {
    const auth = await this.authorize(ref, updateId, token);
    if (!auth.lease) {
      if (auth.record?.dryRun) throw badRequest('a preview cannot write checkpoints');
      throw leaseLost();
    }
    if (auth.lease.sealed) throw leaseLost();
    return auth as UpdateAuth & { lease: Lease };
  }

  /** For events and lease renewal: a running update (a sealed one may still log its last events). */
  async authorizeRunning(ref: StackRef, updateId: string, token: string): Promise<UpdateAuth> {
    const auth = await this.authorize(ref, updateId, token);
    if (auth.lease) return auth;
    if (auth.record?.dryRun && !isTerminal(auth.record.status)) return auth;
    throw leaseLost();
  }

  /**
   * After a state object landed: acknowledged only if the update still holds the same incarnation
   * and its lease is not sealed. A seal that comes later lists the object; one that came earlier
   * may have missed it, so the write is refused (docs/design.md, "Checkpoint acknowledgement").
   */
  async confirmLease(ref: StackRef, updateId: string, incarnation: string | undefined): Promise<void> {
    const snap = await this.register.readRaw(ref);
    const meta = snap?.meta;
    if (!meta || meta.deleted || meta.incarnation !== incarnation) throw leaseLost();
    if (meta.lease?.updateId !== updateId || meta.lease.sealed) throw leaseLost();
  }
}
