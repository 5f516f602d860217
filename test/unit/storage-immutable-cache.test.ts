import { expect } from 'chai';
import { ImmutableCache } from '../../src/storage/immutable-cache.js';

const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);

describe('ImmutableCache', function () {
  it('loads once, then answers from memory, counting hits and misses', async function () {
    const cache = new ImmutableCache(10_000);
    let loads = 0;
    const loader = async () => {
      loads += 1;
      return bytes(100);
    };
    await cache.getOrLoad('stack1:checkpoint:1', loader);
    const again = await cache.getOrLoad('stack1:checkpoint:1', loader);
    expect(again.length).to.equal(100);
    expect(loads).to.equal(1);
    expect(cache.stats()).to.deep.include({ hits: 1, misses: 1, entries: 1, bytes: 100, maxBytes: 10_000 });
  });

  it('shares one load among concurrent callers', async function () {
    const cache = new ImmutableCache(10_000);
    let loads = 0;
    let release!: (b: Buffer) => void;
    const loader = () => {
      loads += 1;
      return new Promise<Buffer>((resolve) => (release = resolve));
    };
    const waiting = Array.from({ length: 10 }, () => cache.getOrLoad('k', loader));
    release(bytes(10, 7));
    const results = await Promise.all(waiting);
    expect(loads).to.equal(1);
    expect(results.every((b) => b === results[0])).to.equal(true);
    expect(cache.stats()).to.deep.include({ hits: 9, misses: 1 });
  });

  it('caches no failure: every waiter sees the error and the next call loads again', async function () {
    const cache = new ImmutableCache(10_000);
    let loads = 0;
    const failing = async () => {
      loads += 1;
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('bucket down');
    };
    const results = await Promise.allSettled([cache.getOrLoad('k', failing), cache.getOrLoad('k', failing)]);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
    expect(loads).to.equal(1);
    expect((await cache.getOrLoad('k', async () => bytes(3))).length).to.equal(3);
    expect(cache.get('k')?.length).to.equal(3);
  });

  it('stays within its byte bound, evicting the least recently used', async function () {
    const cache = new ImmutableCache(1_000);
    for (const key of ['a', 'b', 'c', 'd']) cache.set(key, bytes(250));
    expect(cache.stats().bytes).to.equal(1_000);
    cache.get('a'); // a is now the most recently used; b is the least
    cache.set('e', bytes(250));
    expect(cache.get('b')).to.equal(undefined);
    expect(cache.get('a')?.length).to.equal(250);
    expect(cache.stats()).to.deep.include({ entries: 4, bytes: 1_000 });
  });

  it('does not cache a body larger than a quarter of its capacity', async function () {
    const cache = new ImmutableCache(1_000);
    let loads = 0;
    const loader = async () => {
      loads += 1;
      return bytes(251);
    };
    await cache.getOrLoad('big', loader);
    await cache.getOrLoad('big', loader);
    expect(loads).to.equal(2);
    cache.set('big', bytes(251));
    expect(cache.get('big')).to.equal(undefined);
    cache.set('fits', bytes(250));
    expect(cache.get('fits')?.length).to.equal(250);
  });

  it('holds empty bodies', async function () {
    const cache = new ImmutableCache(100);
    cache.set('empty', Buffer.alloc(0));
    expect(cache.get('empty')?.length).to.equal(0);
  });

  it('is disabled with capacity 0: the loader runs every time', async function () {
    const cache = new ImmutableCache(0);
    let loads = 0;
    const loader = async () => {
      loads += 1;
      return bytes(1);
    };
    await cache.getOrLoad('k', loader);
    await cache.getOrLoad('k', loader);
    cache.set('k', bytes(1));
    expect(loads).to.equal(2);
    expect(cache.get('k')).to.equal(undefined);
    expect(cache.stats()).to.deep.include({ hits: 0, misses: 2, entries: 0, bytes: 0 });
  });
});
