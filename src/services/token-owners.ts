/**
 * The owner index of API tokens: one small object per (login, token) beside the token record,
 * so counting and listing a user's tokens reads that user's entries only, never every token.
 *
 * Ordering keeps it safe without transactions: the entry is written before the token record,
 * so a token that authenticates is always listed (its owner can find and revoke it); on revoke
 * the token record goes first, so a token is never usable while unlisted. A crash in between
 * leaves an entry with no token: readers skip it and prune it once it is clearly stale.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { createOnce } from '../storage/conditional-writes.js';
import { layout } from '../storage/layout.js';
import { encodeJson } from './json-objects.js';

/** An entry older than this whose token record is missing is a leftover, not a token being minted. */
export const STALE_ENTRY_MS = 5 * 60_000;

export interface OwnerEntry {
  tokenId: string;
  key: string;
  lastModified: Date;
}

export class TokenOwners {
  constructor(private readonly store: ObjectStore) {}

  /** Create-once; an entry already there (a retried or backfilled write) is fine. */
  async add(login: string, tokenId: string): Promise<void> {
    await createOnce(this.store, layout.tokenOwnerKey(login, tokenId), encodeJson({ createdAt: new Date().toISOString() }));
  }

  async remove(login: string, tokenId: string): Promise<void> {
    await this.store.delete(layout.tokenOwnerKey(login, tokenId));
  }

  /** Up to `limit` entries of `login`, in key order. */
  async list(login: string, limit: number): Promise<OwnerEntry[]> {
    const prefix = layout.tokenOwnerPrefix(login);
    const entries: OwnerEntry[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.store.list({ prefix, continuationToken, maxKeys: Math.min(1000, limit - entries.length) });
      for (const o of page.objects) {
        const name = o.key.slice(prefix.length);
        if (name.endsWith('.json')) entries.push({ tokenId: name.slice(0, -'.json'.length), key: o.key, lastModified: o.lastModified });
      }
      continuationToken = page.nextContinuationToken;
    } while (continuationToken && entries.length < limit);
    return entries.slice(0, limit);
  }
}
