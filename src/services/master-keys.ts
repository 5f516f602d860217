/**
 * The master keyring that wraps every stack's data key
 * (docs/design.md#secrets-and-the-master-keyring). S3 deployments must be given one (config refuses
 * to start otherwise); the embedded default generates one into its data folder and says so loudly.
 * Startup refuses a keyring that cannot open the canary that earlier pods wrote, so a wrong key is
 * caught before any stack's secrets are touched.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { ObjectStore } from '../storage/object-store.js';
import { layout } from '../storage/layout.js';
import { compareAndSwap } from '../storage/conditional-writes.js';
import { checkCanary, makeCanary, type KeyCanary, type Keyring } from '../domain/secrets-crypto.js';
import type { Logger } from '../observability/logger.js';
import { decodeJson, encodeJson } from './json-objects.js';

export const GENERATED_KEY_FILE = 'master.key';

export async function resolveKeyring(config: Config, logger: Logger): Promise<Keyring> {
  if (config.storage.kind === 'memory' && config.masterKeys.length === 0) return [{ id: 'ephemeral', key: randomBytes(32) }];
  const existing = await existingKeyring(config);
  if (existing) return existing;
  const file = join(config.dataDir, GENERATED_KEY_FILE);
  const generated = { id: 'local', key: randomBytes(32) };
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, `${generated.id}:${generated.key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  logger.warn(
    { file },
    'generated a master key for stack secrets in the data folder: back it up together with the data; ' +
      'set FULMAR_MASTER_KEYS to manage it yourself',
  );
  return [generated];
}

/**
 * The keyring a pod of this configuration would use, without generating one: FULMAR_MASTER_KEYS,
 * or the embedded default's `master.key` if it exists — undefined when a first start would mint a
 * new key (which `fulmar restore` must not do: the restored secrets need the source's key).
 */
export async function existingKeyring(config: Config): Promise<Keyring | undefined> {
  if (config.masterKeys.length > 0) return config.masterKeys;
  if (config.storage.kind === 'memory') return undefined;
  try {
    const [id, key] = (await readFile(join(config.dataDir, GENERATED_KEY_FILE), 'utf8')).trim().split(':');
    return [{ id: id as string, key: Buffer.from(key as string, 'base64') }];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return undefined;
  }
}

/** Writes the canary once, or proves this keyring can open the one already there. */
export async function verifyKeyring(store: ObjectStore, keyring: Keyring): Promise<void> {
  await compareAndSwap(
    store,
    layout.keyCanaryKey(),
    (current) => {
      if (!current) return { write: encodeJson(makeCanary(keyring)), result: undefined };
      const canary = decodeJson<KeyCanary>(layout.keyCanaryKey(), current.body);
      checkCanary(keyring, canary);
      // After a rotation the canary moves to the new active key, so the old one can later leave the ring.
      return canary.keyId === keyring[0]?.id ? { result: undefined } : { write: encodeJson(makeCanary(keyring)), result: undefined };
    },
    { exhausted: () => new Error('the secrets canary kept changing while this pod started; retry the start') },
  );
}
