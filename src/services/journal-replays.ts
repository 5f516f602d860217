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
import type { ImmutableCache } from '../storage/immutable-cache.js';
import { JournalReplayer } from '../domain/journal-replay.js';
import { parseJournalEntries, type DeploymentJson } from '../wire/journal-entry.js';
import { locOf, type Lease, type StackMeta } from '../domain/stack-meta.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../observability/logger.js';
import type { Checkpoints } from './checkpoints.js';
import { KeyedMutex } from '../storage/keyed-mutex.js';
import { decodeJson, listAllKeys } from './json-objects.js';

interface Replay {
  replayer: JournalReplayer;
  /** Batch keys applied, in order. */
  applied: string[];
  /** A batch that could not be replayed: it and every later one are left out (logged once). */
  brokenAt?: string;
  bytes: number;
}

/** Parsed JSON takes several times its text; the estimate only bounds the cache. */
const BYTES_PER_TEXT_BYTE = 4;

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
    const prefix = layout.updateJournalPrefix(locOf(meta), lease.updateId);
    const keys = await listAllKeys(this.store, prefix);
    if (keys.length === 0) return undefined;
    const id = `${meta.stackId}.${meta.incarnation ?? ''}:${lease.updateId}`;
    // One replay per update on this pod, advanced by one caller at a time (a pod-local shortcut only).
    return this.turns.run(id, () => this.advance(id, meta, lease, keys));
  }

  private async advance(id: string, meta: StackMeta, lease: Lease, keys: readonly string[]): Promise<Buffer> {
    let replay = this.replays.get(id);
    if (!replay || !isPrefix(replay.applied, keys)) replay = await this.fresh(meta, lease);
    for (const key of keys.slice(replay.applied.length)) {
      if (replay.brokenAt) break;
      const body = await this.batch(key);
      try {
        const entries = parseJournalEntries(decodeJson<unknown>(key, body));
        replay.replayer.add(replay.replayer.unseen(entries));
        replay.applied.push(key);
        replay.bytes += body.length * BYTES_PER_TEXT_BYTE;
      } catch (err) {
        // Entries the CLI sent that cannot be replayed: keep the state before them, say so once.
        this.log.error({ err, key }, 'a journal batch cannot be replayed; the state stops before it');
        replay = await this.fresh(meta, lease, replay.applied);
        replay.brokenAt = key;
      }
    }
    this.replays.set(id, replay);
    const generated = replay.replayer.generate({ now: this.clock.now(), version: lease.journal?.cliVersion ?? '' });
    return Buffer.from(JSON.stringify(generated));
  }

  /** Forgets an update's replay (after its commit). */
  forget(meta: StackMeta, updateId: string): void {
    this.replays.delete(`${meta.stackId}.${meta.incarnation ?? ''}:${updateId}`);
  }

  /** A replay from the base, with the given batches (known to replay) applied again. */
  private async fresh(meta: StackMeta, lease: Lease, batches: readonly string[] = []): Promise<Replay> {
    const baseBytes = await this.checkpoints.committed(meta, lease.version - 1);
    const base = (JSON.parse(baseBytes.toString('utf8')) as { deployment?: DeploymentJson }).deployment ?? {};
    const replay: Replay = { replayer: new JournalReplayer(base), applied: [], bytes: baseBytes.length * BYTES_PER_TEXT_BYTE };
    for (const key of batches) {
      const body = await this.batch(key);
      replay.replayer.add(replay.replayer.unseen(parseJournalEntries(decodeJson<unknown>(key, body))));
      replay.applied.push(key);
      replay.bytes += body.length * BYTES_PER_TEXT_BYTE;
    }
    return replay;
  }

  private batch(key: string): Promise<Buffer> {
    return this.cache.getOrLoad(`journal:${key}`, async () => (await this.store.get(key)).body);
  }
}

/** Batches are listed in key order and only ever added, so a replay's batches stay a prefix. */
function isPrefix(applied: readonly string[], keys: readonly string[]): boolean {
  return applied.length <= keys.length && applied.every((k, i) => keys[i] === k);
}
