/**
 * Cryptography of the "service" secrets provider (docs/design.md#secrets-and-the-master-keyring),
 * free of I/O.
 *
 * Two layers:
 * - each stack has a random 256-bit data key; `meta.json` holds it wrapped (AES-256-GCM) by a
 *   master key from the configured keyring, together with that master key's id;
 * - secret values are encrypted with the stack's data key (AES-256-GCM) into a compact,
 *   versioned blob the CLI stores base64-encoded in YAML and state.
 *
 * Everything is bound to the immutable `stackId` through GCM's additional authenticated data, so
 * a ciphertext or wrapped key copied to another stack fails authentication, while a rename (which
 * keeps the stackId) leaves them valid.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { badRequest, FulmarError } from './errors.js';

/** Master keys, id → 32-byte key; the first entry is the active one used for new wrapping. */
export type Keyring = readonly { id: string; key: Buffer }[];

/** A data key wrapped by master key `keyId`; `wrapped` is base64 (it lives in JSON). */
export interface WrappedDataKey {
  keyId: string;
  wrapped: string;
}

/** Proof, stored once in the bucket, that a keyring can unwrap what earlier pods wrapped. */
export type KeyCanary = WrappedDataKey;

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

/** Leading byte of every blob we produce, so the format can evolve without guessing. */
const WRAP_FORMAT = 1;
const VALUE_FORMAT = 1;
const BLOB_OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;

// Distinct purposes keep a wrapped data key from ever passing as a canary or vice versa.
const PURPOSE_DATA_KEY = 'fulmar/stack-data-key';
const PURPOSE_CANARY = 'fulmar/keyring-canary';

/** Keyring and data-key problems are operator/configuration faults, never the client's. */
const keyError = (message: string) => new FulmarError('internal', message);

/** Throws unless the keyring is non-empty, has unique ids and 32-byte keys. */
export function assertKeyring(keyring: Keyring): void {
  if (keyring.length === 0) throw keyError('the master keyring is empty');
  const seen = new Set<string>();
  for (const { id, key } of keyring) {
    if (id.length === 0) throw keyError('a master key has an empty id');
    if (seen.has(id)) throw keyError(`master key id "${id}" appears twice in the keyring`);
    seen.add(id);
    if (key.length !== KEY_BYTES) {
      throw keyError(`master key "${id}" is ${key.length} bytes; AES-256 needs ${KEY_BYTES}`);
    }
  }
}

function activeKey(keyring: Keyring): { id: string; key: Buffer } {
  assertKeyring(keyring);
  return keyring[0]!;
}

function findKey(keyring: Keyring, keyId: string, needed: string): Buffer {
  assertKeyring(keyring);
  const entry = keyring.find((k) => k.id === keyId);
  if (entry === undefined) {
    const known = keyring.map((k) => `"${k.id}"`).join(', ');
    throw keyError(`master key "${keyId}" needed to unwrap ${needed} is not in the keyring (it has ${known})`);
  }
  return entry.key;
}

/** Length-prefixed parts, so no choice of ids can make two different contexts collide. */
function context(...parts: string[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    chunks.push(len, bytes);
  }
  return Buffer.concat(chunks);
}

/** `format ‖ nonce ‖ ciphertext ‖ tag`; the format byte is authenticated too (part of the AAD). */
function seal(key: Buffer, format: number, aad: Buffer, plaintext: Buffer): Buffer {
  // Random 96-bit nonces: safe far beyond any realistic number of encryptions per key.
  const nonce = randomBytes(NONCE_BYTES);
  const header = Buffer.from([format]);
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.concat([header, aad]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, nonce, body, cipher.getAuthTag()]);
}

/** Returns the plaintext, or undefined when the blob is malformed or fails authentication. */
function open(key: Buffer, format: number, aad: Buffer, blob: Buffer): Buffer | undefined {
  if (blob.length < BLOB_OVERHEAD || blob[0] !== format) return undefined;
  const nonce = blob.subarray(1, 1 + NONCE_BYTES);
  const body = blob.subarray(1 + NONCE_BYTES, blob.length - TAG_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.concat([blob.subarray(0, 1), aad]));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Strict base64 decode: Buffer.from silently skips junk, which would hide corruption. */
function fromBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

function assertDataKey(dataKey: Buffer): void {
  if (dataKey.length !== KEY_BYTES) throw keyError(`a stack data key must be ${KEY_BYTES} bytes, got ${dataKey.length}`);
}

/** A fresh random 256-bit stack data key. */
export function generateDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

function wrapWith(keyring: Keyring, purpose: string, plaintext: Buffer, stackId: string): WrappedDataKey {
  const { id, key } = activeKey(keyring);
  const blob = seal(key, WRAP_FORMAT, context(purpose, id, stackId), plaintext);
  return { keyId: id, wrapped: blob.toString('base64') };
}

function unwrapWith(keyring: Keyring, purpose: string, wrapped: WrappedDataKey, stackId: string, what: string): Buffer {
  const key = findKey(keyring, wrapped.keyId, what);
  const blob = fromBase64(wrapped.wrapped);
  const plain = blob && open(key, WRAP_FORMAT, context(purpose, wrapped.keyId, stackId), blob);
  if (plain === undefined) {
    throw keyError(
      `${what} could not be unwrapped with master key "${wrapped.keyId}": ` +
        'the key bytes differ from the ones that wrapped it, or the stored value is corrupted',
    );
  }
  return plain;
}

/** Wraps a stack's data key with the active master key, bound to the stack's id. */
export function wrapDataKey(keyring: Keyring, dataKey: Buffer, stackId: string): WrappedDataKey {
  assertDataKey(dataKey);
  return wrapWith(keyring, PURPOSE_DATA_KEY, dataKey, stackId);
}

/** Unwraps a stack's data key with whichever keyring entry wrapped it. */
export function unwrapDataKey(keyring: Keyring, wrapped: WrappedDataKey, stackId: string): Buffer {
  const dataKey = unwrapWith(keyring, PURPOSE_DATA_KEY, wrapped, stackId, `the data key of stack ${stackId}`);
  assertDataKey(dataKey);
  return dataKey;
}

/**
 * Online key rotation: unwraps with any key in the ring and re-wraps with the active one.
 * A key already wrapped by the active key is returned as is (after checking that it unwraps),
 * so `result.keyId === wrapped.keyId` tells the caller there is nothing to write back.
 */
export function rewrap(keyring: Keyring, wrapped: WrappedDataKey, stackId: string): WrappedDataKey {
  const dataKey = unwrapDataKey(keyring, wrapped, stackId);
  if (wrapped.keyId === activeKey(keyring).id) return wrapped;
  return wrapDataKey(keyring, dataKey, stackId);
}

/** A canary under the active master key, to be stored when none exists yet. */
export function makeCanary(keyring: Keyring): KeyCanary {
  return wrapWith(keyring, PURPOSE_CANARY, randomBytes(KEY_BYTES), '');
}

/**
 * Throws (naming the key id) unless the keyring holds the canary's master key with the same
 * bytes it had when the canary was made; startup calls this before serving anything.
 */
export function checkCanary(keyring: Keyring, canary: KeyCanary): void {
  unwrapWith(keyring, PURPOSE_CANARY, canary, '', 'the keyring canary');
}

/** Encrypts one secret value for a stack: `0x01 ‖ nonce(12) ‖ ciphertext ‖ tag(16)`. */
export function encryptValue(dataKey: Buffer, stackId: string, plaintext: Buffer): Buffer {
  assertDataKey(dataKey);
  return seal(dataKey, VALUE_FORMAT, Buffer.from(stackId, 'utf8'), plaintext);
}

/** Decrypts a value made by encryptValue for the same stack; anything else is the client's fault. */
export function decryptValue(dataKey: Buffer, stackId: string, ciphertext: Buffer): Buffer {
  assertDataKey(dataKey);
  if (ciphertext.length > 0 && ciphertext[0] !== VALUE_FORMAT) {
    throw badRequest(`ciphertext could not be decrypted: unknown format version ${ciphertext[0]}`);
  }
  const plain = open(dataKey, VALUE_FORMAT, Buffer.from(stackId, 'utf8'), ciphertext);
  if (plain === undefined) {
    throw badRequest('ciphertext could not be decrypted: it is truncated, altered or belongs to another stack');
  }
  return plain;
}
