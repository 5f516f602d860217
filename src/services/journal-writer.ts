/**
 * `PATCH …/journalentries` (pkg/backend/httpstate/client/client.go: SaveJournalEntries;
 * docs/design.md, "Journaling"). Each batch is one write-once object under the update, keyed by
 * its first and last sequence ids (gzip: journal-batch-codec.ts), acknowledged exactly like a checkpoint: only after it landed
 * and the lease was found unsealed after that. The CLI sends one batch at a time and retries a
 * 5xx with the same batch, so a batch whose object holds the same bytes is a retry (200, no second
 * copy); the same sequence ids with other content are a conflict (409). Over the configured size
 * the answer is 413, and the CLI halves the batch (pkg/backend/httpstate/journal/snapshot.go).
 * An acknowledged batch's entries go on to the pod's replay of the update (journal-replays.ts:
 * stored), so the commit at `complete` finds them applied.
 */
import { LRUCache } from 'lru-cache';
import type { ObjectStore } from '../storage/object-store.js';
import { createOnce, getOrUndefined } from '../storage/conditional-writes.js';
import { layout, MAX_SEQUENCE, type StackLoc, type StackRef } from '../storage/layout.js';
import { badRequest, conflict, FulmarError } from '../domain/errors.js';
import { locOf, type Lease, type StackMeta } from '../domain/stack-meta.js';
import { parseJournalEntries } from '../wire/journal-entry.js';
import { hashToken, leaseLost, sameHash, type UpdateAuthorizer } from './update-auth.js';
import type { ImmutableCache } from '../storage/immutable-cache.js';
import { decodeJournalBatch, encodeJournalBatch, journalBatchCacheKey } from './journal-batch-codec.js';
import type { JournalReplays } from './journal-replays.js';

/** A batch's body: the JSON as inflated, and the bytes the client sent when it sent them gzip. */
export interface BatchBody {
  raw: Buffer;
  gzip?: Buffer;
}

/**
 * What the first acknowledged batch of an update on this pod proved, fixed for the update's life:
 * where it writes, the token's hash, and the register and lease it was judged by (the replay's base).
 */
interface Writing {
  loc: StackLoc;
  tokenHash: string;
  meta: StackMeta;
  lease: Lease;
}

export class JournalWriter {
  /** Stack and update → where its batches go, once a batch of it was acknowledged on this pod. */
  private readonly known = new LRUCache<string, Writing>({ max: 10_000 });

  constructor(
    private readonly store: ObjectStore,
    private readonly auth: UpdateAuthorizer,
    private readonly maxBatchBytes: number,
    private readonly cache: ImmutableCache,
    private readonly replays: JournalReplays,
  ) {}

  async saveBatch(ref: StackRef, updateId: string, token: string, body: BatchBody, parsed: unknown): Promise<void> {
    const { raw } = body;
    if (raw.length > this.maxBatchBytes) {
      throw new FulmarError('payload-too-large', `a journal batch of at most ${this.maxBatchBytes} bytes is accepted; send fewer entries`);
    }
    const entries = parseJournalEntries(parsed);
    // Not necessarily in order: the CLI serializes entries concurrently before it queues them
    // (pkg/backend/httpstate/journal/snapshot.go: AddJournalEntry); the replay sorts them.
    const ids = entries.map((e) => e.sequenceID).sort((a, b) => a - b);
    if (ids.some((id, i) => id < 1 || id > MAX_SEQUENCE || (i > 0 && id === ids[i - 1]))) {
      throw badRequest(`journal entries must carry distinct sequenceIDs from 1 to ${MAX_SEQUENCE}`);
    }
    // Compression (when the client's own gzip cannot be kept) runs beside the first batch's register read.
    const compressed = ids.length > 0 ? encodeJournalBatch(raw, body.gzip) : undefined;
    compressed?.catch(() => undefined); // awaited below, unless authorization fails first
    const knownKey = `${layout.stackPrefix(ref)}${updateId}`;
    const known = this.known.get(knownKey);
    const tokenHash = hashToken(token);
    const writing = known && sameHash(tokenHash, known.tokenHash) ? known : { ...(await this.authorizeFirst(ref, updateId, token)), tokenHash };
    const { loc } = writing;
    let key: string | undefined;
    try {
      key = await this.write(loc, updateId, ids, raw, compressed);
      await this.auth.confirmLease(ref, updateId, loc.incarnation);
    } catch (err) {
      this.known.delete(knownKey); // the next batch, if any, is judged from the register again
      throw err;
    }
    if (!known) this.known.set(knownKey, writing);
    if (key) this.replays.stored(writing.meta, writing.lease, key, entries);
  }

  /**
   * The register read before a pod's first batch of an update: the writer holds an unsealed,
   * journaled lease. What it proves besides — the incarnation the update writes under, and that
   * it journals — is fixed for the update's life, so later batches on this pod skip it and are
   * judged by the confirming read alone (docs/design.md, "Journaling", step 1).
   */
  private async authorizeFirst(ref: StackRef, updateId: string, token: string): Promise<Omit<Writing, 'tokenHash'>> {
    const { snap, lease } = await this.auth.authorizeWriter(ref, updateId, token);
    if (!lease.journal) throw badRequest('this update did not negotiate journaling; send checkpoints');
    return { loc: locOf(snap.meta), meta: snap.meta, lease };
  }

  /** Stores the batch (or recognises its retry); its key, or undefined for a batch of no entry. */
  private async write(loc: StackLoc, updateId: string, ids: readonly number[], raw: Buffer, compressed: Promise<Buffer> | undefined): Promise<string | undefined> {
    if (compressed) {
      const [first, last] = [ids[0] as number, ids[ids.length - 1] as number];
      const key = layout.updateJournalKey(loc, updateId, first, last);
      const stored = await compressed;
      if (await createOnce(this.store, key, stored)) {
        this.cache.set(journalBatchCacheKey(key), stored);
      } else {
        const earlier = await getOrUndefined(this.store, key);
        // Taken, then gone: only the commit that ended this update removes its batches
        // (version-commit.ts: afterCommit), so a retry arriving after it is refused, never acknowledged.
        if (!earlier) throw leaseLost();
        if (!(await decodeJournalBatch(earlier.body)).equals(raw)) {
          throw conflict(`journal entries ${first}–${last} of this update were already saved with different content`);
        }
      }
      return key;
    }
    return undefined;
  }
}
