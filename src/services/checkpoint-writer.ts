/**
 * Checkpoint PATCHes (protocol §2.4.3–2.4.5, §5.3): each is a new write-once object under the
 * update, never an overwrite, so a slow retry cannot roll state back (DESIGN §4).
 */
import type { ObjectStore } from '../storage/object-store.js';
import { isPreconditionFailed } from '../storage/storage-error.js';
import { layout, type StackRef } from '../storage/layout.js';
import { badRequest, conflict } from '../domain/errors.js';
import { reconstructCheckpoint, sha256Hex } from '../domain/checkpoint-delta.js';
import type { Checkpoints } from './checkpoints.js';
import type { UpdateAuthorizer } from './update-auth.js';

export class CheckpointWriter {
  constructor(
    private readonly store: ObjectStore,
    private readonly checkpoints: Checkpoints,
    private readonly auth: UpdateAuthorizer,
  ) {}

  /** `PATCH …/checkpoint`: a whole deployment; stored as the next intermediate checkpoint. */
  async saveFullCheckpoint(ref: StackRef, updateId: string, token: string, untypedDeployment: Buffer) {
    await this.auth.authorizeWriter(ref, updateId, token);
    for (let attempt = 0; attempt < 5; attempt++) {
      const latest = await this.checkpoints.latestOfUpdate(ref, updateId);
      // A retried PATCH whose first attempt landed: the bytes are already the newest.
      if (latest && latest.body.equals(untypedDeployment)) return;
      const sequence = (latest?.sequence ?? 0) + 1;
      if (await this.writeIntermediate(ref, updateId, sequence, untypedDeployment)) return this.auth.confirmLease(ref, updateId);
    }
    throw conflict('checkpoints of this update are being written concurrently; please retry');
  }

  /** `PATCH …/checkpointverbatim` (protocol §2.4.4): the bytes are stored exactly as received. */
  async saveVerbatimCheckpoint(ref: StackRef, updateId: string, token: string, sequence: number, text: Buffer) {
    await this.auth.authorizeWriter(ref, updateId, token);
    await this.writeOnce(ref, updateId, sequence, text);
  }

  /** `PATCH …/checkpointdelta` (protocol §5.3): byte-offset edits against the previous text. */
  async saveDeltaCheckpoint(
    ref: StackRef,
    updateId: string,
    token: string,
    sequence: number,
    checkpointHash: string,
    delta: unknown,
  ) {
    await this.auth.authorizeWriter(ref, updateId, token);
    const existing = await this.checkpoints.intermediate(ref, updateId, sequence);
    if (existing) {
      // A retry of a delta that was applied but whose answer was lost.
      if (sha256Hex(existing) === checkpointHash) return;
      throw conflict(`checkpoint ${sequence} of this update was already saved with different content`);
    }
    const base = sequence > 1 ? await this.checkpoints.intermediate(ref, updateId, sequence - 1) : undefined;
    // Any 4xx here makes the CLI resend the same sequence number as a verbatim checkpoint.
    if (!base) throw badRequest(`no checkpoint ${sequence - 1} to apply delta ${sequence} to; send it verbatim`);
    const text = reconstructCheckpoint(base, delta as Parameters<typeof reconstructCheckpoint>[1], checkpointHash);
    await this.writeOnce(ref, updateId, sequence, text);
  }

  private async writeOnce(ref: StackRef, updateId: string, sequence: number, text: Buffer) {
    if (!Number.isSafeInteger(sequence) || sequence < 1) throw badRequest('sequenceNumber must be a positive integer');
    if (await this.writeIntermediate(ref, updateId, sequence, text)) return this.auth.confirmLease(ref, updateId);
    const stored = await this.checkpoints.intermediate(ref, updateId, sequence);
    if (stored && stored.equals(text)) return;
    throw conflict(`checkpoint ${sequence} of this update was already saved with different content`);
  }

  /** Create-once write of an intermediate checkpoint; false when the sequence is taken. */
  async writeIntermediate(ref: StackRef, updateId: string, sequence: number, text: Buffer): Promise<boolean> {
    try {
      await this.store.put(layout.updateCheckpointKey(ref, updateId, sequence), text, {
        ifNoneMatch: '*',
        contentType: 'application/json',
      });
      this.checkpoints.remember(updateId, sequence, text);
      return true;
    } catch (err) {
      if (isPreconditionFailed(err)) return false;
      throw err;
    }
  }
}
