/**
 * The state of a journaled update: its journal batches replayed onto the version it started from
 * (src/domain/journal-replay.ts; docs/design.md, "Journaling"). Every read and commit path asks
 * here — export while the update runs, and the commit of complete, cancel and takeover.
 *
 * Each pod keeps the replay of the updates it served lately, and applies only the batches it has
 * not seen yet (one LIST, then a GET per new batch); a cold pod replays from the bucket. Batches
 * are write-once, so their bytes come through the LRU of immutable objects. The per-pod replays
 * are bounded by an estimate of their size, and are only ever a shortcut: the bucket holds all
 * that a replay needs.
 */
import { setImmediate } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import type { ObjectStore } from '../storage/object-store.js';
import { layout } from '../storage/layout.js';
import { getOrUndefined } from '../storage/conditional-writes.js';
import type { ImmutableCache } from '../storage/immutable-cache.js';
import { JournalReplayer, type UntypedDeployment } from '../domain/journal-replay.js';
import { parseJournalEntries, type DeploymentJson, type JournalEntry } from '../wire/journal-entry.js';
import { locOf, type Lease, type StackMeta } from '../domain/stack-meta.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../observability/logger.js';
import type { Checkpoints } from './checkpoints.js';
import { KeyedMutex } from '../storage/keyed-mutex.js';
import { decodeJson, listAllKeys } from './json-objects.js';
import { decodeJournalBatch, journalBatchCacheKey } from './journal-batch-codec.js';
import { mapLimit } from './prefix-ops.js';

/**
 * A batch listed a moment ago is gone: batches are removed only after their update's commit point,
 * so the update was committed meanwhile and its version holds the state (docs/design.md, "Journaling").
 */
export class JournalGone extends Error {
  override readonly name = 'JournalGone';
  constructor(readonly key: string) {
    super(`journal batch ${key} was removed: its update was committed meanwhile`);
  }
}

interface Replay {
  replayer: JournalReplayer;
  /** Batch keys whose entries were applied, or wait in `waiting`. */
  seen: Set<string>;
  /**
   * Entries seen but not applied yet, because an entry before them has not been seen (it is in a
   * batch another pod stored, or in one the CLI has yet to send): sequence ids are dense, one per
   * entry the engine makes (pkg/engine/journal_snapshot.go: newJournalEntry).
   */
  waiting: JournalEntry[];
  /** The sequenceID of an entry that could not be replayed: it and every later one are left out. */
  brokenAt?: number;
  bytes: number;
  /** When this pod last listed the update's batches to catch up with other pods' (performance.now()). */
  listedAt: number;
}

/** What a journaled update has reached: the UntypedDeployment, and its bytes as stored. */
export interface Replayed {
  untyped: UntypedDeployment;
  bytes: Buffer;
}

/** Parsed JSON takes several times its text; the estimate only bounds the cache. */
const BYTES_PER_TEXT_BYTE = 4;
/** Bytes a replayed entry is counted for (its resource state is mostly what the batch's text held). */
const BYTES_PER_ENTRY = 1024;
/**
 * Batch GETs in flight when a replay reads batches in: a cold replay, or the commit at `complete`
 * reading the two thirds of a 3-pod update's batches other pods stored (~105 of 160 for 600
 * resources). The pod's CPU paces it more than the bucket does (each GET's signing, its body,
 * its inflation's callbacks), so more in flight keeps that CPU busy while MinIO answers: in
 * bench:cli pod logs, `complete` of a 600-resource `up` took 0.95–1.04 s with 8 and 0.83–0.89 s
 * with 32 (three alternating pairs). On S3, where a GET takes tens of milliseconds, it counts more.
 */
const BATCH_READS = 32;
/** Journal entries a pod applied to its replays: ahead of any read, or while a read (an export, a commit) waited. */
export interface ReplayStats {
  ahead: number;
  onRead: number;
}

/** How a replay takes new entries: all of them (a read needs the state now), or only those without a gap before them. */
type Take = 'all' | 'gapless';

export class JournalReplays {
  private readonly replays: LRUCache<string, Replay>;
  private readonly turns = new KeyedMutex();
  /** Updates whose replay this pod started ahead of a read: once each, so an evicted one is left to the next read. */
  private readonly startedAhead = new LRUCache<string, true>({ max: 10_000 });
  private readonly applied: ReplayStats = { ahead: 0, onRead: 0 };

  constructor(
    private readonly store: ObjectStore,
    private readonly checkpoints: Checkpoints,
    private readonly cache: ImmutableCache,
    private readonly clock: Clock,
    private readonly log: Logger,
    maxBytes = 256 * 1024 * 1024,
    /**
     * How often, at most, a pod that stores an update's batches lists them to apply the ones other
     * pods stored, so a commit on any pod finds nearly all of its replay done; undefined = never
     * (FULMAR_JOURNAL_CATCH_UP_MS). Off by default: every pod then reads every batch, which cost
     * ~25 % more pod CPU on 3 pods in bench:cli for ~0.4 s less at `complete` (docs/design.md,
     * "Journaling").
     */
    private readonly catchUpMs?: number,
  ) {
    this.replays = new LRUCache({ maxSize: Math.max(1, maxBytes), sizeCalculation: (r) => Math.max(1, r.bytes) });
  }

  /**
   * The deployment (UntypedDeployment bytes) the journaled update holding `lease` has reached,
   * or undefined when it has written no journal batch yet (its state is still the base).
   */
  async deployment(meta: StackMeta, lease: Lease): Promise<Buffer | undefined> {
    return (await this.replayed(meta, lease))?.bytes;
  }

  /** As deployment(), with the object the bytes encode (a commit summarizes it without parsing them again). */
  async replayed(meta: StackMeta, lease: Lease): Promise<Replayed | undefined> {
    const keys = await this.batchKeys(meta, lease.updateId);
    if (keys.length === 0) return undefined;
    const id = replayId(meta, lease.updateId);
    // One replay per update on this pod, advanced by one caller at a time (a pod-local shortcut only).
    return this.turns.run(id, () => this.advance(id, meta, lease, keys));
  }

  /**
   * A batch this pod just stored and acknowledged: its entries, as the writer parsed them, join
   * the pod's replay of the update in the background, and — when catching up is on — now and then
   * the batches other pods stored are read in too. So the commit at `complete` replays only what
   * its pod has not seen while the CLI waits. Only a shortcut: a read lists the bucket and checks
   * the replay against it (advance).
   */
  stored(meta: StackMeta, lease: Lease, key: string, entries: readonly JournalEntry[]): void {
    const id = replayId(meta, lease.updateId);
    this.turns
      .run(id, async () => {
        // Not before the event loop turns: the caller writes the batch's acknowledgement next, and
        // a pod's first batch of an update parses the version it started from here (~0.15 s of
        // CPU for a 10 MB state, measured in bench:cli's pod logs) — the CLI must not wait for that.
        await setImmediate();
        let replay = this.replays.get(id);
        if (!replay) {
          if (this.startedAhead.has(id)) return;
          this.startedAhead.set(id, true);
          replay = await this.started(meta, lease);
        }
        if (replay.brokenAt) return;
        if (!replay.seen.has(key)) {
          if (!this.take(replay, [key], entries, 'gapless')) return void this.replays.delete(id);
          this.applied.ahead += entries.length;
        }
        if (this.catchUpMs !== undefined && replay.waiting.length > 0 && performance.now() - replay.listedAt >= this.catchUpMs) {
          replay.listedAt = performance.now();
          const keys = await this.batchKeys(meta, lease.updateId);
          const fresh = keys.filter((k) => !replay.seen.has(k));
          const others = fresh.length > 0 ? await this.entriesOf(fresh) : [];
          if (!this.take(replay, fresh, others, 'gapless')) return void this.replays.delete(id);
          this.applied.ahead += others.length;
        }
        this.replays.set(id, replay);
      })
      .catch((err: unknown) => {
        // A batch gone means the update was committed meanwhile; anything else costs a read its shortcut only.
        this.replays.delete(id);
        if (!(err instanceof JournalGone)) this.log.warn({ err, updateId: lease.updateId }, 'could not replay a stored journal batch ahead of time');
      });
  }

  /**
   * Entries are replayed in sequence order — the order the engine produced them, which respects
   * every dependency between them (pkg/engine/journal_snapshot.go: newJournalEntry). The CLI
   * serializes entries concurrently before it queues them, so a batch may hold them out of order
   * and a later batch may hold one older than the last applied: then the replay starts over.
   */
  private async advance(id: string, meta: StackMeta, lease: Lease, keys: readonly string[]): Promise<Replayed> {
    let replay = this.replays.get(id);
    // Batches are only ever added while the update runs; anything else means start over.
    const listed = new Set(keys);
    if (replay && ![...replay.seen].every((k) => listed.has(k))) replay = undefined;
    if (replay && !replay.brokenAt) {
      const fresh = keys.filter((k) => !replay?.seen.has(k));
      const entries = fresh.length > 0 ? await this.entriesOf(fresh) : [];
      if (this.take(replay, fresh, entries, 'all')) this.applied.onRead += entries.length;
      else replay = undefined;
    }
    replay ??= await this.rebuild(meta, lease, keys);
    this.replays.set(id, replay);
    const untyped = replay.replayer.generate({ now: this.clock.now(), version: lease.journal?.cliVersion ?? '' });
    return { untyped, bytes: Buffer.from(JSON.stringify(untyped)) };
  }

  /**
   * Adds the entries of batches `keys` to a replay, and applies what may be applied: every waiting
   * entry (`all`), or those that follow the last applied one without a gap (`gapless`). False when
   * the replay must be rebuilt: an entry older than one already applied, or one that does not apply.
   */
  private take(replay: Replay, keys: readonly string[], entries: readonly JournalEntry[], how: Take): boolean {
    for (const key of keys) replay.seen.add(key);
    const waiting = inSequence([...replay.waiting, ...entries]);
    if ((waiting[0]?.sequenceID ?? Infinity) <= replay.replayer.lastSequence) return false;
    let ready = waiting.length;
    if (how === 'gapless') {
      ready = 0;
      while (ready < waiting.length && (waiting[ready] as JournalEntry).sequenceID === replay.replayer.lastSequence + ready + 1) ready += 1;
    }
    try {
      replay.replayer.add(waiting.slice(0, ready));
    } catch {
      return false; // replayed again from the base, entry by entry, to find where it breaks
    }
    replay.waiting = waiting.slice(ready);
    replay.bytes += entries.length * BYTES_PER_ENTRY;
    return true;
  }

  /** Forgets an update's replay (after its commit). */
  forget(meta: StackMeta, updateId: string): void {
    this.replays.delete(replayId(meta, updateId));
  }

  /** A replay of no batch yet: the version the update started from. */
  private async started(meta: StackMeta, lease: Lease): Promise<Replay> {
    const { base, bytes } = await this.base(meta, lease);
    return { replayer: new JournalReplayer(base), seen: new Set(), waiting: [], bytes, listedAt: performance.now() };
  }

  private async base(meta: StackMeta, lease: Lease): Promise<{ base: DeploymentJson; bytes: number }> {
    const baseBytes = await this.checkpoints.committed(meta, lease.version - 1);
    const base = (JSON.parse(baseBytes.toString('utf8')) as { deployment?: DeploymentJson }).deployment ?? {};
    return { base, bytes: baseBytes.length * BYTES_PER_TEXT_BYTE };
  }

  /**
   * A replay from the base of every batch, in sequence order. Entries the CLI sent that cannot be
   * replayed (an index out of range, an unknown operation) stop it: the state is what came before
   * them, and the error is logged once per rebuild.
   */
  private async rebuild(meta: StackMeta, lease: Lease, keys: readonly string[]): Promise<Replay> {
    // The base and the batches are fetched side by side: a commit on a cold pod waits for both.
    const [{ base, bytes }, batches] = await Promise.all([this.base(meta, lease), this.entriesOf(keys)]);
    const entries = inSequence(batches);
    const replay: Replay = { replayer: new JournalReplayer(base), seen: new Set(keys), waiting: [], bytes, listedAt: performance.now() };
    try {
      replay.replayer.add(entries);
    } catch {
      replay.replayer = new JournalReplayer(base);
      for (const [i, entry] of entries.entries()) {
        try {
          replay.replayer.add([entry]);
        } catch (err) {
          this.log.error({ err, updateId: lease.updateId, sequenceID: entry.sequenceID }, 'a journal entry cannot be replayed; the state stops before it');
          replay.replayer = new JournalReplayer(base);
          replay.replayer.add(entries.slice(0, i));
          replay.brokenAt = entry.sequenceID;
          break;
        }
      }
    }
    replay.bytes += entries.length * BYTES_PER_ENTRY;
    this.applied.onRead += entries.length;
    return replay;
  }

  /** Entries applied so far, by when (the metric fulmar_journal_entries_replayed_total). */
  stats(): ReplayStats {
    return { ...this.applied };
  }

  /** The keys of an update's journal batches, as the bucket lists them now. */
  private batchKeys(meta: StackMeta, updateId: string): Promise<string[]> {
    return listAllKeys(this.store, layout.updateJournalPrefix(locOf(meta), updateId));
  }

  private async entriesOf(keys: readonly string[]): Promise<JournalEntry[]> {
    // A cold replay (a commit or export on a pod that has not seen the update) reads every batch:
    // side by side, since each is a small object and one GET after another adds up.
    const batches = await mapLimit(keys, BATCH_READS, async (key) => parseJournalEntries(decodeJson<unknown>(key, await decodeJournalBatch(await this.batch(key)))));
    return batches.flat();
  }

  private batch(key: string): Promise<Buffer> {
    return this.cache.getOrLoad(journalBatchCacheKey(key), async () => {
      const got = await getOrUndefined(this.store, key);
      if (!got) throw new JournalGone(key);
      return got.body;
    });
  }
}

/** The key of an update's replay on this pod: a stack id is new for every incarnation of a name. */
const replayId = (meta: StackMeta, updateId: string) => `${meta.stackId}.${meta.incarnation ?? ''}:${updateId}`;

/** Ascending by sequenceID, each id once (the first copy stands). */
function inSequence(entries: readonly JournalEntry[]): JournalEntry[] {
  const seen = new Set<number>();
  return [...entries]
    .sort((x, y) => x.sequenceID - y.sequenceID)
    .filter((e) => (seen.has(e.sequenceID) ? false : (seen.add(e.sequenceID), true)));
}
