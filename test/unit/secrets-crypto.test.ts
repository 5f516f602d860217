import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { FulmarError, isFulmarError, type ErrorKind } from '../../src/domain/errors.js';
import {
  assertKeyring,
  checkCanary,
  decryptValue,
  encryptValue,
  generateDataKey,
  makeCanary,
  rewrap,
  unwrapDataKey,
  wrapDataKey,
  type Keyring,
} from '../../src/domain/secrets-crypto.js';

function expectError(fn: () => unknown, kind: ErrorKind, pattern: RegExp): FulmarError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isFulmarError(thrown, kind), `expected ${kind} FulmarError, got ${String(thrown)}`).to.equal(true);
  expect((thrown as Error).message).to.match(pattern);
  return thrown as FulmarError;
}

/** Flips one bit of a copy. */
function flipped(buf: Buffer, index: number): Buffer {
  const copy = Buffer.from(buf);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const ring1: Keyring = [k1];
const STACK = 'stk_0f3c9a';
const OTHER = 'stk_77aa01';

describe('secrets-crypto', () => {
  describe('keyring', () => {
    it('accepts unique ids with 32-byte keys', () => {
      expect(() => assertKeyring([k1, k2])).not.to.throw();
    });

    it('rejects an empty ring, duplicate ids, empty ids and wrong key sizes', () => {
      expectError(() => assertKeyring([]), 'internal', /empty/);
      expectError(() => assertKeyring([k1, { id: 'k1', key: randomBytes(32) }]), 'internal', /"k1" appears twice/);
      expectError(() => assertKeyring([{ id: '', key: randomBytes(32) }]), 'internal', /empty id/);
      expectError(() => assertKeyring([{ id: 'short', key: randomBytes(16) }]), 'internal', /"short" is 16 bytes/);
    });
  });

  describe('data keys', () => {
    it('generates distinct 32-byte keys', () => {
      const a = generateDataKey();
      const b = generateDataKey();
      expect(a.length).to.equal(32);
      expect(a.equals(b)).to.equal(false);
    });

    it('wraps with the active (first) key and unwraps to the same bytes', () => {
      const dataKey = generateDataKey();
      const wrapped = wrapDataKey([k2, k1], dataKey, STACK);
      expect(wrapped.keyId).to.equal('k2');
      expect(wrapped.wrapped).to.match(/^[A-Za-z0-9+/]+=*$/);
      expect(unwrapDataKey([k1, k2], wrapped, STACK).equals(dataKey)).to.equal(true);
    });

    it('uses a fresh nonce per wrap', () => {
      const dataKey = generateDataKey();
      expect(wrapDataKey(ring1, dataKey, STACK).wrapped).not.to.equal(wrapDataKey(ring1, dataKey, STACK).wrapped);
    });

    it('refuses to unwrap for another stack id', () => {
      const wrapped = wrapDataKey(ring1, generateDataKey(), STACK);
      expectError(() => unwrapDataKey(ring1, wrapped, OTHER), 'internal', /could not be unwrapped with master key "k1"/);
    });

    it('names the missing key id when the wrapping key is not in the ring', () => {
      const wrapped = wrapDataKey([k2], generateDataKey(), STACK);
      const err = expectError(() => unwrapDataKey(ring1, wrapped, STACK), 'internal', /master key "k2"/);
      expect(err.message).to.include('not in the keyring');
      expect(err.message).to.include('"k1"');
    });

    it('refuses a key id whose bytes changed', () => {
      const wrapped = wrapDataKey(ring1, generateDataKey(), STACK);
      const impostor: Keyring = [{ id: 'k1', key: randomBytes(32) }];
      expectError(() => unwrapDataKey(impostor, wrapped, STACK), 'internal', /could not be unwrapped/);
    });

    it('refuses a tampered or non-base64 wrapped value', () => {
      const wrapped = wrapDataKey(ring1, generateDataKey(), STACK);
      const raw = Buffer.from(wrapped.wrapped, 'base64');
      for (const index of [0, 5, 20, raw.length - 1]) {
        const bad = { keyId: 'k1', wrapped: flipped(raw, index).toString('base64') };
        expectError(() => unwrapDataKey(ring1, bad, STACK), 'internal', /could not be unwrapped/);
      }
      expectError(() => unwrapDataKey(ring1, { keyId: 'k1', wrapped: `${wrapped.wrapped}!!` }, STACK), 'internal', /could not be unwrapped/);
      expectError(() => unwrapDataKey(ring1, { keyId: 'k1', wrapped: '' }, STACK), 'internal', /could not be unwrapped/);
    });

    it('refuses to wrap a data key of the wrong size', () => {
      expectError(() => wrapDataKey(ring1, randomBytes(31), STACK), 'internal', /32 bytes/);
    });

    it('does not let a wrapped data key pass as a canary', () => {
      const wrapped = wrapDataKey(ring1, generateDataKey(), '');
      expectError(() => checkCanary(ring1, wrapped), 'internal', /canary could not be unwrapped/);
    });
  });

  describe('rewrap (key rotation)', () => {
    it('moves a key wrapped by an old master key onto the active one', () => {
      const dataKey = generateDataKey();
      const old = wrapDataKey(ring1, dataKey, STACK);
      const rotated: Keyring = [k2, k1];
      const fresh = rewrap(rotated, old, STACK);
      expect(fresh.keyId).to.equal('k2');
      // Once rewrapped, the old key can be dropped from the ring.
      expect(unwrapDataKey([k2], fresh, STACK).equals(dataKey)).to.equal(true);
    });

    it('returns a key already under the active key unchanged', () => {
      const current = wrapDataKey(ring1, generateDataKey(), STACK);
      expect(rewrap([k1, k2], current, STACK)).to.equal(current);
    });

    it('still verifies an already-current key', () => {
      const current = wrapDataKey(ring1, generateDataKey(), STACK);
      expectError(() => rewrap(ring1, current, OTHER), 'internal', /could not be unwrapped/);
    });
  });

  describe('canary', () => {
    it('made under the active key, checks against any ring holding that key', () => {
      const canary = makeCanary([k1, k2]);
      expect(canary.keyId).to.equal('k1');
      expect(() => checkCanary([k1], canary)).not.to.throw();
      expect(() => checkCanary([k2, k1], canary)).not.to.throw();
    });

    it('fails, naming the id, when the canary key is missing from the ring', () => {
      const canary = makeCanary([k1]);
      const err = expectError(() => checkCanary([k2], canary), 'internal', /master key "k1"/);
      expect(err.message).to.include('canary');
    });

    it('fails when the same id now carries different key bytes', () => {
      const canary = makeCanary([k1]);
      expectError(() => checkCanary([{ id: 'k1', key: randomBytes(32) }], canary), 'internal', /"k1"/);
    });

    it('fails on an invalid keyring before anything else', () => {
      expectError(() => makeCanary([]), 'internal', /empty/);
    });
  });

  describe('values', () => {
    const dataKey = generateDataKey();

    it('round-trips text, empty and arbitrary binary plaintexts', () => {
      const samples = [
        Buffer.from('hunter2'),
        Buffer.alloc(0),
        randomBytes(32),
        Buffer.from([0, 0xff, 0xfe, 0x80, 0]),
        Buffer.from('ünïcödé 🦭', 'utf8'),
        randomBytes(100_000),
      ];
      for (const plain of samples) {
        const sealed = encryptValue(dataKey, STACK, plain);
        expect(decryptValue(dataKey, STACK, sealed).equals(plain)).to.equal(true);
      }
    });

    it('is compact: 1 version byte + 12 nonce + plaintext + 16 tag', () => {
      const sealed = encryptValue(dataKey, STACK, Buffer.from('abc'));
      expect(sealed.length).to.equal(1 + 12 + 3 + 16);
      expect(sealed[0]).to.equal(1);
      expect(encryptValue(dataKey, STACK, Buffer.alloc(0)).length).to.equal(29);
    });

    it('never repeats a ciphertext for the same plaintext', () => {
      const plain = Buffer.from('same');
      expect(encryptValue(dataKey, STACK, plain).equals(encryptValue(dataKey, STACK, plain))).to.equal(false);
    });

    it('cannot be decrypted for another stack id, even with the same data key', () => {
      const sealed = encryptValue(dataKey, STACK, Buffer.from('secret'));
      expectError(() => decryptValue(dataKey, OTHER, sealed), 'bad-request', /could not be decrypted/);
    });

    it('cannot be decrypted with another stack data key', () => {
      const sealed = encryptValue(dataKey, STACK, Buffer.from('secret'));
      expectError(() => decryptValue(generateDataKey(), STACK, sealed), 'bad-request', /could not be decrypted/);
    });

    it('detects tampering anywhere in the blob', () => {
      const sealed = encryptValue(dataKey, STACK, Buffer.from('secret value'));
      for (let i = 1; i < sealed.length; i++) {
        expectError(() => decryptValue(dataKey, STACK, flipped(sealed, i)), 'bad-request', /could not be decrypted/);
      }
    });

    it('rejects truncated, empty and extended blobs', () => {
      const sealed = encryptValue(dataKey, STACK, Buffer.from('secret'));
      expectError(() => decryptValue(dataKey, STACK, sealed.subarray(0, sealed.length - 1)), 'bad-request', /could not be decrypted/);
      expectError(() => decryptValue(dataKey, STACK, sealed.subarray(0, 28)), 'bad-request', /could not be decrypted/);
      expectError(() => decryptValue(dataKey, STACK, Buffer.alloc(0)), 'bad-request', /could not be decrypted/);
      expectError(() => decryptValue(dataKey, STACK, Buffer.concat([sealed, Buffer.from([0])])), 'bad-request', /could not be decrypted/);
    });

    it('rejects an unknown format version by name', () => {
      const sealed = encryptValue(dataKey, STACK, Buffer.from('secret'));
      const v2 = Buffer.from(sealed);
      v2[0] = 2;
      expectError(() => decryptValue(dataKey, STACK, v2), 'bad-request', /could not be decrypted: unknown format version 2/);
    });

    it('survives the full path: data key wrapped in meta, unwrapped later, value decrypted', () => {
      const key = generateDataKey();
      const meta = JSON.parse(JSON.stringify(wrapDataKey([k2, k1], key, STACK))) as { keyId: string; wrapped: string };
      const sealed = encryptValue(key, STACK, Buffer.from('db-password'));
      const b64 = sealed.toString('base64');
      const again = unwrapDataKey([k1, k2], meta, STACK);
      expect(decryptValue(again, STACK, Buffer.from(b64, 'base64')).toString()).to.equal('db-password');
    });
  });
});
