/**
 * The key that signs console session cookies (docs/console.md#sessions). Every pod must hold the
 * same one, so a deployment on a bucket gives it as FULMAR_SESSION_KEY; the embedded default keeps
 * a generated one in its data folder, as it does its master key (src/services/master-keys.ts).
 * It is deliberately not kept in the bucket: whoever can read the bucket must not be able to sign
 * in as anyone.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../observability/logger.js';

export const GENERATED_SESSION_KEY_FILE = 'session.key';

/** The key, or undefined when console sign-in is off (a bucket without FULMAR_SESSION_KEY). */
export async function resolveSessionKey(config: Config, logger: Logger): Promise<Buffer | undefined> {
  if (config.console.sessionKey) return config.console.sessionKey;
  if (config.storage.kind === 'memory') return randomBytes(32);
  if (config.storage.kind === 's3') {
    logger.warn('FULMAR_SESSION_KEY is not set: console sign-in is off (every pod must share one key; generate it with `openssl rand -base64 32`)');
    return undefined;
  }
  const file = join(config.dataDir, GENERATED_SESSION_KEY_FILE);
  try {
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    if (key.length === 32) return key;
    throw new Error(`${file} does not hold 32 bytes of base64; delete it to have a new one generated (signing everyone out)`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  logger.info({ file }, 'generated the key signing console sessions in the data folder');
  return key;
}
