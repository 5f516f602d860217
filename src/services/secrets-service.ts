/**
 * The CLI's default "service" secrets provider (docs/protocol.md#secrets-provider,
 * docs/design.md#secrets-and-the-master-keyring): each stack has a random data key, wrapped by the
 * master keyring and kept in its register; ciphertexts are bound to the stack's `stackId`, so
 * they survive rename and no other stack can open them.
 */
import { LRUCache } from 'lru-cache';
import type { StackRef } from '../storage/layout.js';
import { requireRole, type Principal } from '../domain/roles.js';
import {
  decryptValue,
  encryptValue,
  generateDataKey,
  rewrap,
  unwrapDataKey,
  wrapDataKey,
  type Keyring,
} from '../domain/secrets-crypto.js';
import type { StackMeta } from '../domain/stack-meta.js';
import type { MetaRegister } from './meta-register.js';
import { stackLabel } from '../domain/stack-label.js';

export class SecretsService {
  /** Unwrapped data keys by stackId: a stackId's data key never changes, so this never goes stale. */
  private readonly keys = new LRUCache<string, Buffer>({ max: 5_000 });

  constructor(
    private readonly keyring: Keyring,
    private readonly register: MetaRegister,
  ) {}

  newWrappedKey(stackId: string): StackMeta['secrets'] {
    return wrapDataKey(this.keyring, generateDataKey(), stackId);
  }

  private async dataKey(principal: Principal, ref: StackRef): Promise<{ key: Buffer; stackId: string }> {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    let key = this.keys.get(meta.stackId);
    if (!key) {
      key = unwrapDataKey(this.keyring, meta.secrets, meta.stackId);
      this.keys.set(meta.stackId, key);
      if (meta.secrets.keyId !== this.keyring[0]?.id) await this.rewrapOnline(ref);
    }
    return { key, stackId: meta.stackId };
  }

  /**
   * Key rotation without downtime (docs/design.md#secrets-and-the-master-keyring): a stack whose
   * data key is still wrapped by an older master key is re-wrapped with the active one the first
   * time a pod uses it. Best effort: losing the race to another writer just leaves it for next
   * time.
   */
  private async rewrapOnline(ref: StackRef): Promise<void> {
    await this.register
      .mutate(ref, ({ meta }) => {
        const secrets = rewrap(this.keyring, meta.secrets, meta.stackId);
        return secrets.keyId === meta.secrets.keyId ? { result: undefined } : { write: { ...meta, secrets }, result: undefined };
      })
      .catch(() => undefined);
  }

  async encrypt(principal: Principal, ref: StackRef, plaintexts: Buffer[]): Promise<Buffer[]> {
    const { key, stackId } = await this.dataKey(principal, ref);
    return plaintexts.map((p) => encryptValue(key, stackId, p));
  }

  async decrypt(principal: Principal, ref: StackRef, ciphertexts: Buffer[]): Promise<Buffer[]> {
    const { key, stackId } = await this.dataKey(principal, ref);
    return ciphertexts.map((c) => decryptValue(key, stackId, c));
  }

  /** The audit pings (`decrypt/log-decryption`, `log-batch-decryption`): readers may send them. */
  async logDecryption(principal: Principal, ref: StackRef): Promise<void> {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    await this.register.read(ref);
  }
}
