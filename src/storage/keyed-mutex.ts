/**
 * One async lock per key, held only while a key is in use (the map never grows beyond the keys
 * being written right now). Within one process this is what makes create-once and compare-and-swap
 * atomic for the stores that have no server to arbitrate.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    try {
      await previous;
      return await fn();
    } finally {
      release();
      // Only the last waiter removes the entry; a later one has replaced it.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys currently locked or waited for (for tests). */
  get size(): number {
    return this.tails.size;
  }
}
