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
  /** Batch keys applied. */
  applied: string[];
  /** The sequenceID of an entry that could not be replayed: it and every later one are left out. */
  brokenAt?: number;
  bytes: number;
}

/** What a journaled update has reached: the UntypedDeployment, and its bytes as stored. */
export interface Replayed {
  untyped: UntypedDeployment;
  bytes: Buffer;
}

/** Parsed JSON takes several times its text; the estimate only bounds the cache. */
const BYTES_PER_TEXT_BYTE = 4;
/**
 * Batch GETs in flight during a cold replay (a 600-resource update leaves 150–200 batches). Past
 * a few, reading them back is bound by MinIO's throughput (~110 MB/s on the benchmark machine).
 */
const BATCH_READS = 8;

export class JournalReplays {
  private readonly replays: LRUCache<string, Replay>;
  private readonly turns = new KeyedMutex();

  constructor(
    private readonly store: ObjectStore,
    private readonly checkpoints: Checkpoints,
    private readonly cache: ImmutableCache,
    private readonly clock: Clock,
    private readonly log: Logger,
    maxBytes = 256 * 1024 * 1024,
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
    const prefix = layout.updateJournalPrefix(locOf(meta), lease.updateId);
    const keys = await listAllKeys(this.store, prefix);
    if (keys.length === 0) return undefined;
    const id = `${meta.stackId}.${meta.incarnation ?? ''}:${lease.updateId}`;
    // One replay per update on this pod, advanced by one caller at a time (a pod-local shortcut only).
    return this.turns.run(id, () => this.advance(id, meta, lease, keys));
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
    if (replay && !replay.applied.every((k) => keys.includes(k))) replay = undefined;
    const fresh = replay ? keys.filter((k) => !replay?.applied.includes(k)) : [];
    if (replay && fresh.length > 0 && !replay.brokenAt) {
      const entries = inSequence(await this.entriesOf(fresh));
      const current = replay;
      if ((entries[0]?.sequenceID ?? Infinity) > current.replayer.lastSequence) {
        try {
          current.replayer.add(entries);
          current.applied.push(...fresh);
          current.bytes += entries.length * 1024;
        } catch {
          replay = undefined; // replayed again below, entry by entry, to find where it breaks
        }
      } else {
        replay = undefined;
      }
    }
    replay ??= await this.rebuild(meta, lease, keys);
    this.replays.set(id, replay);
    const untyped = replay.replayer.generate({ now: this.clock.now(), version: lease.journal?.cliVersion ?? '' });
    return { untyped, bytes: Buffer.from(JSON.stringify(untyped)) };
  }

  /** Forgets an update's replay (after its commit). */
  forget(meta: StackMeta, updateId: string): void {
    this.replays.delete(`${meta.stackId}.${meta.incarnation ?? ''}:${updateId}`);
  }

  /**
   * A replay from the base of every batch, in sequence order. Entries the CLI sent that cannot be
   * replayed (an index out of range, an unknown operation) stop it: the state is what came before
   * them, and the error is logged once per rebuild.
   */
  private async rebuild(meta: StackMeta, lease: Lease, keys: readonly string[]): Promise<Replay> {
    // The base and the batches are fetched side by side: a commit on a cold pod waits for both.
    const [baseBytes, batches] = await Promise.all([this.checkpoints.committed(meta, lease.version - 1), this.entriesOf(keys)]);
    const base = (JSON.parse(baseBytes.toString('utf8')) as { deployment?: DeploymentJson }).deployment ?? {};
    const entries = inSequence(batches);
    const replay: Replay = { replayer: new JournalReplayer(base), applied: [...keys], bytes: baseBytes.length * BYTES_PER_TEXT_BYTE };
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
    replay.bytes += entries.length * 1024;
    return replay;
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

/** Ascending by sequenceID, each id once (the first copy stands). */
function inSequence(entries: readonly JournalEntry[]): JournalEntry[] {
  const seen = new Set<number>();
  return [...entries]
    .sort((x, y) => x.sequenceID - y.sequenceID)
    .filter((e) => (seen.has(e.sequenceID) ? false : (seen.add(e.sequenceID), true)));
}
