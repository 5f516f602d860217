/**
 * An LRU of immutable bodies, bounded by bytes (DESIGN §6). Keys must name bytes that can
 * never change — `stackId:checkpoint:version`, an update id and sequence — never a bucket path
 * alone, since a deleted and re-created stack reuses paths. Concurrent loads of one key share
 * one request to the store.
 */
import { LRUCache } from 'lru-cache';

export class ImmutableCache {
  private readonly lru: LRUCache<string, Buffer> | undefined;
  private readonly inflight = new Map<string, Promise<Buffer>>();
  private readonly maxEntryBytes: number;
  hits = 0;
  misses = 0;

  constructor(maxBytes: number) {
    this.maxEntryBytes = Math.floor(maxBytes / 4);
    this.lru =
      maxBytes > 0
        ? new LRUCache<string, Buffer>({ maxSize: maxBytes, sizeCalculation: (b) => Math.max(1, b.length) })
        : undefined;
  }

  get size(): number {
    return this.lru?.calculatedSize ?? 0;
  }

  get(key: string): Buffer | undefined {
    return this.lru?.get(key);
  }

  /** Remembers bytes known to be immutable under `key` (too-large bodies are not kept). */
  set(key: string, body: Buffer): void {
    if (this.lru && body.length <= this.maxEntryBytes) this.lru.set(key, body);
  }

  async getOrLoad(key: string, load: () => Promise<Buffer>): Promise<Buffer> {
    const cached = this.lru?.get(key);
    if (cached) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const loading = load().then(
      (body) => {
        this.inflight.delete(key);
        this.set(key, body);
        return body;
      },
      (err: unknown) => {
        this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, loading);
    return loading;
  }
}
