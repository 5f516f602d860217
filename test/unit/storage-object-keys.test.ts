import { randomInt } from 'node:crypto';
import { expect } from 'chai';
import { compareKeys, etagOf, MAX_KEY_BYTES, validateKey } from '../../src/storage/object-keys.js';
import { decodeToken, encodeToken, listWithWalker } from '../../src/storage/list-page.js';
import { KeyedMutex } from '../../src/storage/keyed-mutex.js';
import { StorageError } from '../../src/storage/storage-error.js';

describe('object keys', function () {
  it('orders keys exactly as their UTF-8 bytes', function () {
    const alphabet = ['a', 'z', '/', '-', '.', '\u00e9', '\u4e2d', '\uE000', '\uFFFD', '\u{10000}', '\u{1F600}', '0'];
    const randomKey = () => Array.from({ length: randomInt(0, 6) }, () => alphabet[randomInt(alphabet.length)]).join('');
    for (let i = 0; i < 2_000; i++) {
      const a = randomKey();
      const b = randomKey();
      expect(Math.sign(compareKeys(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).to.equal(
        Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))),
      );
    }
  });

  it('accepts plain relative paths, up to 1024 UTF-8 bytes', function () {
    for (const key of ['a', 'org/proj/stack/meta.json', '_system/tokens/abc.json', '.hidden/x', 'a..b', 'é'.repeat(512)]) {
      expect(() => validateKey(key), key).to.not.throw();
    }
  });

  it('rejects keys that are not plain relative paths', function () {
    const bad = ['', '/a', 'a/', 'a//b', '.', '..', 'a/./b', 'a/../b', 'a\\b', 'a\0b', 'é'.repeat(513), 'x'.repeat(MAX_KEY_BYTES + 1), 'lone\uD800'];
    for (const key of bad) {
      expect(() => validateKey(key), JSON.stringify(key)).to.throw(StorageError).with.property('code', 'invalid-key');
    }
  });

  it('gives single-part S3 ETags: the quoted MD5 of the bytes', function () {
    expect(etagOf(Buffer.alloc(0))).to.equal('"d41d8cd98f00b204e9800998ecf8427e"');
    expect(etagOf(Buffer.from('a'))).to.equal('"0cc175b9c0f1b6a831c399e269772661"');
  });
});

describe('list pages', function () {
  it('round-trips continuation tokens and refuses forged ones', function () {
    expect(decodeToken(encodeToken('o', 'a/b'))).to.deep.equal({ after: 'a/b', skipPrefix: undefined });
    expect(decodeToken(encodeToken('p', 'a/'))).to.deep.equal({ after: 'a/', skipPrefix: 'a/' });
    for (const junk of ['', 'not a token', Buffer.from('x:abc').toString('base64url'), Buffer.from('o:').toString('base64url')]) {
      expect(() => decodeToken(junk), junk).to.throw(StorageError).with.property('code', 'invalid-key');
    }
  });

  it('asks the walker for no more than one entry past the page', async function () {
    let yielded = 0;
    const keys = Array.from({ length: 100 }, (_, i) => `k/${String(i).padStart(3, '0')}`);
    const page = await listWithWalker(
      function* () {
        for (const key of keys) {
          yielded += 1;
          yield { key, etag: '"e"', size: 0, lastModified: new Date(0) };
        }
      },
      { maxKeys: 10 },
    );
    expect(page.objects).to.have.length(10);
    expect(yielded).to.equal(11);
  });
});

describe('KeyedMutex', function () {
  it('runs callers of one key one at a time, in arrival order, and other keys in parallel', async function () {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const step = (name: string, ms: number) => async () => {
      log.push(`${name}+`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name}-`);
    };
    await Promise.all([mutex.run('k', step('a', 20)), mutex.run('k', step('b', 1)), mutex.run('other', step('c', 1))]);
    expect(log.indexOf('a-')).to.be.below(log.indexOf('b+'));
    expect(log.indexOf('c-')).to.be.below(log.indexOf('a-'));
    expect(mutex.size).to.equal(0);
  });

  it('releases the lock when the holder throws', async function () {
    const mutex = new KeyedMutex();
    await mutex.run('k', async () => Promise.reject(new Error('boom'))).catch(() => undefined);
    expect(await mutex.run('k', async () => 'next')).to.equal('next');
    expect(mutex.size).to.equal(0);
  });
});
