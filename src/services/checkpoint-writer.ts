/**
 * Checkpoint PATCHes (pkg/backend/httpstate/client/client.go: PatchUpdateCheckpoint,
 * …Verbatim, …Delta): each is a new write-once object under the update, never an overwrite, so
 * a slow retry cannot roll state back. A PATCH is acknowledged only after its object landed AND
 * the lease was found unsealed after that (docs/design.md, "Checkpoint acknowledgement").
 */
import type { ObjectStore } from '../storage/object-store.js';
import { createOnce } from '../storage/conditional-writes.js';
import { layout, MAX_SEQUENCE, type StackLoc, type StackRef } from '../storage/layout.js';
import { badRequest, conflict } from '../domain/errors.js';
import { reconstructCheckpoint, sha256Hex } from '../domain/checkpoint-delta.js';
import { locOf } from '../domain/stack-meta.js';
import { checkDeployment } from '../domain/deployment-check.js';
import type { Checkpoints } from './checkpoints.js';
import { leaseLost, type UpdateAuthorizer } from './update-auth.js';

export class CheckpointWriter {
  constructor(
    private readonly store: ObjectStore,
    private readonly checkpoints: Checkpoints,
    private readonly auth: UpdateAuthorizer,
  ) {}

  /** `PATCH …/checkpoint`: a whole deployment; stored as the next intermediate checkpoint. */
  async saveFullCheckpoint(ref: StackRef, updateId: string, token: string, untypedDeployment: Buffer) {
    const { snap } = await this.auth.authorizeWriter(ref, updateId, token);
    const loc = locOf(snap.meta);
    for (let attempt = 0; attempt < 5; attempt++) {
      const latest = await this.checkpoints.latestOfUpdate(loc, updateId);
      // A retried PATCH whose first attempt landed: the bytes are already the newest.
      if (latest && latest.body.equals(untypedDeployment)) return this.auth.confirmLease(ref, updateId, loc.incarnation);
      const sequence = (latest?.sequence ?? 0) + 1;
      if (await this.writeIntermediate(loc, updateId, sequence, untypedDeployment)) {
        return this.auth.confirmLease(ref, updateId, loc.incarnation);
      }
    }
    throw conflict('checkpoints of this update are being written concurrently; please retry');
  }

  /** `PATCH …/checkpointverbatim`: the bytes are stored exactly as received. */
  async saveVerbatimCheckpoint(ref: StackRef, updateId: string, token: string, sequence: number, text: Buffer) {
    checkSequence(sequence);
    const { snap } = await this.auth.authorizeWriter(ref, updateId, token);
    await this.writeOnce(ref, locOf(snap.meta), updateId, sequence, text);
  }

  /** `PATCH …/checkpointdelta`: byte-offset edits against the previous text (apitype.PatchUpdateCheckpointDeltaRequest). */
  async saveDeltaCheckpoint(
    ref: StackRef,
    updateId: string,
    token: string,
    sequence: number,
    checkpointHash: string,
    delta: unknown,
  ) {
    checkSequence(sequence);
    const { snap } = await this.auth.authorizeWriter(ref, updateId, token);
    const loc = locOf(snap.meta);
    const existing = await this.checkpoints.intermediate(loc, updateId, sequence);
    if (existing) {
      // A retry of a delta that was applied but whose answer was lost.
      if (sha256Hex(existing) === checkpointHash) return this.auth.confirmLease(ref, updateId, loc.incarnation);
      throw conflict(`checkpoint ${sequence} of this update was already saved with different content`);
    }
    const base = sequence > 1 ? await this.checkpoints.intermediate(loc, updateId, sequence - 1) : undefined;
    // Any 4xx here makes the CLI resend the same sequence number as a verbatim checkpoint.
    if (!base) throw badRequest(`no checkpoint ${sequence - 1} to apply delta ${sequence} to; send it verbatim`);
    const text = reconstructCheckpoint(base, delta as Parameters<typeof reconstructCheckpoint>[1], checkpointHash);
    // The delta's result must be a deployment like any state write
    // (docs/protocol.md#what-every-stored-state-must-be).
    checkDeployment(text, 'checkpoint delta result');
    await this.writeOnce(ref, loc, updateId, sequence, text);
  }

  private async writeOnce(ref: StackRef, loc: StackLoc, updateId: string, sequence: number, text: Buffer) {
    if (!(await this.writeIntermediate(loc, updateId, sequence, text))) {
      const stored = await this.checkpoints.intermediate(loc, updateId, sequence);
      // Taken, then gone: the commit that ended this update removed its checkpoints
      // (version-commit.ts: afterCommit); the update can no longer write.
      if (!stored) throw leaseLost();
      if (!stored.equals(text)) {
        throw conflict(`checkpoint ${sequence} of this update was already saved with different content`);
      }
    }
    await this.auth.confirmLease(ref, updateId, loc.incarnation);
  }

  /** Create-once write of an intermediate checkpoint; false when the sequence is taken. */
  async writeIntermediate(loc: StackLoc, updateId: string, sequence: number, text: Buffer): Promise<boolean> {
    const created = await createOnce(this.store, layout.updateCheckpointKey(loc, updateId, sequence), text);
    if (created) this.checkpoints.remember(updateId, sequence, text);
    return created;
  }
}

function checkSequence(sequence: number) {
  if (!Number.isSafeInteger(sequence) || sequence < 1 || sequence > MAX_SEQUENCE) {
    throw badRequest(`sequenceNumber must be an integer from 1 to ${MAX_SEQUENCE}`);
  }
}
