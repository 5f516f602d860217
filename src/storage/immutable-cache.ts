/**
 * A per-pod LRU of immutable bodies — committed checkpoints, history entries, a finished update's
 * objects — bounded by bytes (docs/design.md#cache). Keys are identities that can never name other
 * bytes, such as `${stackId}:checkpoint:${version}` (a stack id is new for every incarnation of a
 * name); never a bucket key alone, since a deleted and recreated stack reuses its keys. Nothing
 * mutable (meta.json, tokens, a running update) belongs here.
 *
 * Bodies are shared, not copied: callers must not modify a Buffer they get from the cache.
 */
import { LRUCache } from 'lru-cache';

export interface CacheStats {
  /** Answered from the cache, or by joining a load already in flight. */
  hits: number;
  /** Needed a load. */
  misses: number;
  entries: number;
  bytes: number;
  maxBytes: number;
}

export class ImmutableCache {
  readonly maxBytes: number;
  private readonly lru: LRUCache<string, Buffer> | undefined;
  private readonly loading = new Map<string, Promise<Buffer>>();
  private hits = 0;
  private misses = 0;

  /** `maxBytes` 0 disables caching: every getOrLoad runs its loader. */
  constructor(maxBytes: number) {
    this.maxBytes = Math.max(0, Math.floor(maxBytes));
    if (this.maxBytes > 0) {
      this.lru = new LRUCache<string, Buffer>({
        maxSize: this.maxBytes,
        // lru-cache wants a positive size; an empty body still costs an entry.
        sizeCalculation: (body) => Math.max(1, body.length),
      });
    }
  }

  /** A body larger than a quarter of the cache would evict too much to be worth keeping. */
  private admits(body: Buffer): boolean {
    return this.lru !== undefined && body.length <= this.maxBytes / 4;
  }

  get(key: string): Buffer | undefined {
    return this.lru?.get(key);
  }

  /** Offers a body just written (e.g. a checkpoint), so the next read needs no round trip. */
  set(key: string, body: Buffer): void {
    if (this.admits(body)) this.lru!.set(key, body);
  }

  /**
   * The cached body, or the loader's. Concurrent calls for one key share a single load; a failed
   * load is not cached, and every caller waiting on it sees the error.
   */
  async getOrLoad(key: string, loader: () => Promise<Buffer>): Promise<Buffer> {
    if (!this.lru) {
      this.misses += 1;
      return loader();
    }
    const cached = this.lru.get(key);
    if (cached) {
      this.hits += 1;
      return cached;
    }
    const inFlight = this.loading.get(key);
    if (inFlight) {
      this.hits += 1;
      return inFlight;
    }
    this.misses += 1;
    const load = (async () => {
      try {
        const body = await loader();
        this.set(key, body);
        return body;
      } finally {
        this.loading.delete(key);
      }
    })();
    this.loading.set(key, load);
    return load;
  }

  stats(): CacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      entries: this.lru?.size ?? 0,
      bytes: this.lru?.calculatedSize ?? 0,
      maxBytes: this.maxBytes,
    };
  }
}
