/**
 * The behaviour every ObjectStore must have — memory, filesystem and S3 (MinIO) all run it.
 * Fulmar's coordination rests on these guarantees, above all that of N concurrent conditional
 * writers exactly one wins.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { ListOptions, ObjectStore } from '../../src/storage/object-store.js';
import { StorageError, type StorageErrorCode } from '../../src/storage/storage-error.js';

export interface StoreUnderTest {
  store: ObjectStore;
  cleanup: () => Promise<void>;
}

export async function expectStorageError(promise: Promise<unknown>, code: StorageErrorCode): Promise<StorageError> {
  try {
    await promise;
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(StorageError);
    expect((err as StorageError).code, (err as Error).message).to.equal(code);
    return err as StorageError;
  }
  expect.fail(`expected StorageError ${code}, but the call succeeded`);
}

/** Every page of a listing, following continuation tokens (bounded). */
export async function listAll(store: ObjectStore, options: ListOptions = {}, maxPages = 100) {
  const pages = [];
  let token: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await store.list({ ...options, ...(token ? { continuationToken: token } : {}) });
    pages.push(page);
    token = page.nextContinuationToken;
    if (!token) return pages;
  }
  throw new Error(`listing did not end within ${maxPages} pages`);
}

const text = (s: string) => Buffer.from(s, 'utf8');
const BIG_LISTING = 'list over more than 1,000 keys';

/** Runs `tasks` with at most `limit` in flight (bounded work against a shared 2-core machine). */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(workers);
}

export function describeObjectStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`ObjectStore contract: ${name}`, function () {
    let sut: StoreUnderTest | undefined;
    let store: ObjectStore;
    // A fresh, empty store for each test, except for the big listing below, which shares one.
    beforeEach(async function () {
      if (this.currentTest?.parent?.title === BIG_LISTING) return;
      sut = await makeStore();
      store = sut.store;
    });
    afterEach(async function () {
      if (this.currentTest?.parent?.title === BIG_LISTING) return;
      await sut?.cleanup();
      sut = undefined;
    });

    describe('get, head, put, delete', function () {
      it('round-trips a body, with the same ETag from put, get, head and list', async function () {
        const put = await store.put('org/proj/stack/meta.json', text('{"v":1}'), { contentType: 'application/json' });
        expect(put.etag).to.match(/^".+"$/);
        const got = await store.get('org/proj/stack/meta.json');
        expect(got.body.toString()).to.equal('{"v":1}');
        expect(got.etag).to.equal(put.etag);
        expect(got.size).to.equal(7);
        expect(got.key).to.equal('org/proj/stack/meta.json');
        const head = await store.head('org/proj/stack/meta.json');
        expect(head).to.include({ key: 'org/proj/stack/meta.json', etag: put.etag, size: 7 });
        const page = await store.list({ prefix: 'org/' });
        expect(page.objects.map((o) => [o.key, o.etag, o.size])).to.deep.equal([['org/proj/stack/meta.json', put.etag, 7]]);
      });

      it('reports lastModified and the store clock as dates close to now', async function () {
        await store.put('t/clock', text('x'));
        const got = await store.get('t/clock');
        const now = Date.now();
        expect(got.lastModified).to.be.instanceOf(Date);
        expect(got.storeTime).to.be.instanceOf(Date);
        expect(Math.abs(got.lastModified.getTime() - now)).to.be.below(60_000);
        expect(Math.abs(got.storeTime.getTime() - now)).to.be.below(60_000);
        expect(got.storeTime.getTime()).to.be.at.least(got.lastModified.getTime() - 2_000);
      });

      it('throws not-found for a missing key, never an empty body', async function () {
        await expectStorageError(store.get('nothing/here.json'), 'not-found');
        await expectStorageError(store.head('nothing/here.json'), 'not-found');
      });

      it('round-trips an empty body', async function () {
        const put = await store.put('t/empty', Buffer.alloc(0));
        const got = await store.get('t/empty');
        expect(got.body.length).to.equal(0);
        expect(got.size).to.equal(0);
        expect(got.etag).to.equal(put.etag);
        expect((await store.head('t/empty')).size).to.equal(0);
      });

      it('round-trips every byte value and a large random body unchanged', async function () {
        const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        const big = randomBytes(300 * 1024);
        await store.put('t/bytes', all);
        await store.put('t/big', big);
        expect((await store.get('t/bytes')).body.equals(all)).to.equal(true);
        const got = await store.get('t/big');
        expect(got.body.equals(big)).to.equal(true);
        expect(got.size).to.equal(big.length);
      });

      it('keeps its own copy: changing the caller’s buffer afterwards changes nothing', async function () {
        const body = text('original');
        await store.put('t/copy', body);
        body.fill(0);
        expect((await store.get('t/copy')).body.toString()).to.equal('original');
      });

      it('replaces on an unconditional put, with a new ETag for different content', async function () {
        const first = await store.put('t/over', text('one'));
        const second = await store.put('t/over', text('two'));
        expect(second.etag).to.not.equal(first.etag);
        const got = await store.get('t/over');
        expect(got.body.toString()).to.equal('two');
        expect(got.etag).to.equal(second.etag);
      });

      it('deletes idempotently', async function () {
        await store.put('t/del', text('x'));
        await store.delete('t/del');
        await expectStorageError(store.get('t/del'), 'not-found');
        await store.delete('t/del');
        await store.delete('t/never-existed');
        expect((await store.list({ prefix: 't/' })).objects).to.deep.equal([]);
      });

      it('handles keys with spaces, unicode and URL-special characters', async function () {
        const keys = ['t/with space', 't/ünïcødé/日本', 't/q?x=1&y=2#frag', 't/plus+sign', 't/percent%20'];
        for (const key of keys) await store.put(key, text(key));
        for (const key of keys) expect((await store.get(key)).body.toString()).to.equal(key);
        const listed = (await store.list({ prefix: 't/' })).objects.map((o) => o.key);
        expect([...listed].sort()).to.deep.equal([...keys].sort());
      });

      it('rejects malformed keys with invalid-key', async function () {
        const bad = ['', '/abs', 'a//b', 'a/../b', '..', 'a/./b', 'trailing/', 'back\\slash', 'nul\0byte', 'x'.repeat(1025)];
        for (const key of bad) {
          await expectStorageError(store.put(key, text('x')), 'invalid-key');
          await expectStorageError(store.get(key), 'invalid-key');
        }
      });
    });

    describe('create-once (ifNoneMatch: *)', function () {
      it('creates once; the second create fails and leaves the first body', async function () {
        const first = await store.put('c/once', text('first'), { ifNoneMatch: '*' });
        await expectStorageError(store.put('c/once', text('second'), { ifNoneMatch: '*' }), 'precondition-failed');
        const got = await store.get('c/once');
        expect(got.body.toString()).to.equal('first');
        expect(got.etag).to.equal(first.etag);
      });

      it('fails even when the bytes are identical', async function () {
        await store.put('c/same', text('same'), { ifNoneMatch: '*' });
        await expectStorageError(store.put('c/same', text('same'), { ifNoneMatch: '*' }), 'precondition-failed');
      });

      it('creates again after a delete', async function () {
        await store.put('c/again', text('1'), { ifNoneMatch: '*' });
        await store.delete('c/again');
        await store.put('c/again', text('2'), { ifNoneMatch: '*' });
        expect((await store.get('c/again')).body.toString()).to.equal('2');
      });

      it('lets exactly one of 20 concurrent creators win', async function () {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.put('c/race', text(`writer ${i}`), { ifNoneMatch: '*' })),
        );
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        expect(winners, 'winners').to.have.length(1);
        for (const r of results) {
          if (r.status === 'rejected') {
            expect(r.reason).to.be.instanceOf(StorageError);
            expect((r.reason as StorageError).code, String(r.reason)).to.equal('precondition-failed');
          }
        }
        const got = await store.get('c/race');
        expect(got.body.toString()).to.equal(`writer ${winners[0]}`);
        expect(got.etag).to.equal((results[winners[0]!] as PromiseFulfilledResult<{ etag: string }>).value.etag);
      });
    });

    describe('compare-and-swap (ifMatch)', function () {
      it('replaces when the ETag matches, and refuses the now stale ETag', async function () {
        const v1 = await store.put('s/meta.json', text('v1'));
        const v2 = await store.put('s/meta.json', text('v2'), { ifMatch: v1.etag });
        expect(v2.etag).to.not.equal(v1.etag);
        await expectStorageError(store.put('s/meta.json', text('v3'), { ifMatch: v1.etag }), 'precondition-failed');
        const got = await store.get('s/meta.json');
        expect(got.body.toString()).to.equal('v2');
        expect(got.etag).to.equal(v2.etag);
      });

      it('refuses an ETag that never belonged to the key', async function () {
        await store.put('s/other', text('x'));
        await expectStorageError(store.put('s/other', text('y'), { ifMatch: '"00000000000000000000000000000000"' }), 'precondition-failed');
      });

      it('refuses ifMatch on a missing key', async function () {
        await expectStorageError(store.put('s/missing', text('x'), { ifMatch: '"d41d8cd98f00b204e9800998ecf8427e"' }), 'precondition-failed');
        await expectStorageError(store.get('s/missing'), 'not-found');
      });

      it('refuses ifMatch after the key was deleted', async function () {
        const v1 = await store.put('s/gone', text('x'));
        await store.delete('s/gone');
        await expectStorageError(store.put('s/gone', text('y'), { ifMatch: v1.etag }), 'precondition-failed');
      });

      it('lets exactly one of 20 concurrent writers from the same ETag win', async function () {
        const base = await store.put('s/race.json', text('base'));
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.put('s/race.json', text(`cas ${i}`), { ifMatch: base.etag })),
        );
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        expect(winners, 'winners').to.have.length(1);
        for (const r of results) {
          if (r.status === 'rejected') expect((r.reason as StorageError).code, String(r.reason)).to.equal('precondition-failed');
        }
        const got = await store.get('s/race.json');
        expect(got.body.toString()).to.equal(`cas ${winners[0]}`);
      });
    });

    describe('list', function () {
      const keys = ['a-b', 'a.txt', 'a/1', 'a/b/1', 'a/b/2', 'a/c/1', 'b/1', 'c'];
      beforeEach(async function () {
        for (const key of [...keys].reverse()) await store.put(key, text(key));
      });
      const objectKeys = (page: { objects: readonly { key: string }[] }) => page.objects.map((o) => o.key);

      it('lists everything in UTF-8 binary order', async function () {
        const page = await store.list();
        expect(objectKeys(page)).to.deep.equal(keys);
        expect(page.commonPrefixes).to.deep.equal([]);
        expect(page.nextContinuationToken).to.equal(undefined);
        expect(page.objects.find((o) => o.key === 'a/b/1')?.size).to.equal(5);
      });

      it('filters by prefix, also mid-segment', async function () {
        expect(objectKeys(await store.list({ prefix: 'a/' }))).to.deep.equal(['a/1', 'a/b/1', 'a/b/2', 'a/c/1']);
        expect(objectKeys(await store.list({ prefix: 'a/b' }))).to.deep.equal(['a/b/1', 'a/b/2']);
        expect(objectKeys(await store.list({ prefix: 'a' }))).to.deep.equal(['a-b', 'a.txt', 'a/1', 'a/b/1', 'a/b/2', 'a/c/1']);
        expect(objectKeys(await store.list({ prefix: 'zzz/' }))).to.deep.equal([]);
        expect(objectKeys(await store.list({ prefix: 'c' }))).to.deep.equal(['c']);
      });

      it('groups by delimiter into common prefixes', async function () {
        const top = await store.list({ delimiter: '/' });
        expect(objectKeys(top)).to.deep.equal(['a-b', 'a.txt', 'c']);
        expect(top.commonPrefixes).to.deep.equal(['a/', 'b/']);
        const inA = await store.list({ prefix: 'a/', delimiter: '/' });
        expect(objectKeys(inA)).to.deep.equal(['a/1']);
        expect(inA.commonPrefixes).to.deep.equal(['a/b/', 'a/c/']);
        const partial = await store.list({ prefix: 'a/b', delimiter: '/' });
        expect(objectKeys(partial)).to.deep.equal([]);
        expect(partial.commonPrefixes).to.deep.equal(['a/b/']);
      });

      it('starts strictly after startAfter', async function () {
        expect(objectKeys(await store.list({ startAfter: 'a/b/1' }))).to.deep.equal(['a/b/2', 'a/c/1', 'b/1', 'c']);
        expect(objectKeys(await store.list({ startAfter: 'a/b' }))).to.deep.equal(['a/b/1', 'a/b/2', 'a/c/1', 'b/1', 'c']);
        expect(objectKeys(await store.list({ prefix: 'a/', startAfter: 'a/b/2' }))).to.deep.equal(['a/c/1']);
        expect(objectKeys(await store.list({ startAfter: 'c' }))).to.deep.equal([]);
        // A startAfter before the prefix changes nothing.
        expect(objectKeys(await store.list({ prefix: 'b/', startAfter: 'a' }))).to.deep.equal(['b/1']);
      });

      it('combines startAfter with a delimiter', async function () {
        const page = await store.list({ prefix: 'a/', delimiter: '/', startAfter: 'a/b/2' });
        expect(objectKeys(page)).to.deep.equal([]);
        expect(page.commonPrefixes).to.deep.equal(['a/c/']);
      });

      it('paginates objects and common prefixes together by maxKeys', async function () {
        const pages = await listAll(store, { delimiter: '/', maxKeys: 2 });
        expect(pages.map((p) => [...objectKeys(p), ...p.commonPrefixes])).to.deep.equal([
          ['a-b', 'a.txt'],
          ['a/', 'b/'],
          ['c'],
        ]);
        expect(pages.slice(0, -1).every((p) => typeof p.nextContinuationToken === 'string')).to.equal(true);
      });

      it('paginates one key at a time under a prefix', async function () {
        const pages = await listAll(store, { prefix: 'a/', maxKeys: 1 });
        // MinIO may announce more after the last key of a prefix and then answer one empty page;
        // S3 allows that, so callers follow tokens until there is none. Nothing else may be empty.
        const keysByPage = pages.map((p) => objectKeys(p));
        if (keysByPage.length === 5) expect(keysByPage.pop()).to.deep.equal([]);
        expect(keysByPage).to.deep.equal([['a/1'], ['a/b/1'], ['a/b/2'], ['a/c/1']]);
      });

      it('orders by UTF-8 bytes, not UTF-16 code units', async function () {
        // U+E000 is one UTF-16 unit above the surrogates that encode U+10000, yet sorts before it in UTF-8.
        for (const key of ['u/\u{10000}', 'u/\uE000', 'u/z']) await store.put(key, text(key));
        expect(objectKeys(await store.list({ prefix: 'u/' }))).to.deep.equal(['u/z', 'u/\uE000', 'u/\u{10000}']);
      });
    });

    describe(BIG_LISTING, function () {
      const total = 1050;
      const keyOf = (i: number) => `many/${String(i).padStart(5, '0')}.json`;
      let shared: StoreUnderTest | undefined;
      let big: ObjectStore;
      after(async function () {
        await shared?.cleanup();
      });
      before(async function () {
        this.timeout(120_000);
        shared = await makeStore();
        big = shared.store;
        const indexes = Array.from({ length: total }, (_, i) => i);
        await pool(indexes, 16, async (i) => {
          await big.put(keyOf(i), text(String(i)));
        });
        await big.put('other/after', text('x'));
      });

      it('returns pages of 1000 then 50, in order', async function () {
        const pages = await listAll(big, { prefix: 'many/' });
        expect(pages.map((p) => p.objects.length)).to.deep.equal([1000, 50]);
        expect(pages.flatMap((p) => p.objects.map((o) => o.key))).to.deep.equal(Array.from({ length: total }, (_, i) => keyOf(i)));
        expect(pages[1]!.nextContinuationToken).to.equal(undefined);
      });

      it('caps maxKeys at 1000', async function () {
        const page = await big.list({ prefix: 'many/', maxKeys: 5000 });
        expect(page.objects).to.have.length(1000);
        expect(page.nextContinuationToken).to.be.a('string');
      });

      it('returns 11 pages of at most 100 with maxKeys 100, nothing lost or repeated', async function () {
        const pages = await listAll(big, { prefix: 'many/', maxKeys: 100 });
        expect(pages.map((p) => p.objects.length)).to.deep.equal([100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 50]);
        const listed = pages.flatMap((p) => p.objects.map((o) => o.key));
        expect(listed).to.deep.equal(Array.from({ length: total }, (_, i) => keyOf(i)));
      });

      it('resumes from startAfter deep in the listing', async function () {
        const page = await big.list({ prefix: 'many/', startAfter: keyOf(1039) });
        expect(page.objects.map((o) => o.key)).to.deep.equal(Array.from({ length: 10 }, (_, i) => keyOf(1040 + i)));
      });
    });
  });
}
