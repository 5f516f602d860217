/**
 * The way in (README.md#quick-start). With no FULMAR_ADMIN_TOKEN, the embedded default's first
 * start mints an ordinary stored token for the site admin and keeps its value — the only copy —
 * in `<data folder>/admin.token`, readable by its owner only. The store keeps the token's hash
 * alone, like every token's, so `fulmar token list --user admin` shows it and `fulmar token
 * revoke` ends it; a start that finds the kept token no longer accepted mints a new one in its
 * place, so revoking and restarting rotates it. Every start then prints the lines to use it.
 */
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isFulmarError } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import { FIRST_TOKEN_ADVICE, OPERATOR, type AuthService } from './auth-service.js';

export const ADMIN_TOKEN_FILE = 'admin.token';
/** The stored token's description, as `fulmar token list` and `pulumi whoami -v` show it. */
export const ADMIN_TOKEN_NAME = 'site admin of the embedded default (kept in its data folder, admin.token)';

/** How a client gets in, as the startup lines tell it. */
export type Access =
  /** The embedded default's kept token: its value may be printed, it is the operator's own. */
  | { kind: 'kept-token'; token: string; file: string }
  /** FULMAR_ADMIN_TOKEN: the operator chose it; it is never echoed. */
  | { kind: 'configured-token' }
  /** No token anywhere yet (a fresh bucket without FULMAR_ADMIN_TOKEN). */
  | { kind: 'no-token-yet' }
  /** Tokens exist in the bucket; none of them is this pod's to print. */
  | { kind: 'stored-tokens' };

/** The kept admin token, minted on the first start (or after it was revoked). */
export async function keepAdminToken(dataDir: string, auth: AuthService, logger: Logger): Promise<Access & { kind: 'kept-token' }> {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  const kept = await readKept(file);
  if (kept !== undefined) {
    if (await acceptedAsAdmin(auth, kept)) {
      await keepPrivate(file, logger);
      return { kind: 'kept-token', token: kept, file };
    }
    logger.warn({ file }, 'the admin token kept in the data folder is no longer accepted (revoked?); minting a new one in its place');
  }
  const { id, tokenValue } = await auth.createToken(OPERATOR, ADMIN_TOKEN_NAME);
  // Minted before it is written down: a crash in between leaves a token nobody holds, which
  // `fulmar token list --user admin` shows and `revoke` removes, never a file naming no token.
  await writePrivate(file, `${tokenValue}\n`);
  logger.info({ file, tokenId: id }, 'minted a site-admin API token; its value is kept in the data folder, readable by its owner only');
  return { kind: 'kept-token', token: tokenValue, file };
}

/** Which `Access` a pod without a kept token offers. */
export async function accessWithoutKeptToken(adminToken: string | undefined, auth: AuthService): Promise<Access> {
  if (adminToken) return { kind: 'configured-token' };
  return (await auth.firstTokenAdvice()) ? { kind: 'no-token-yet' } : { kind: 'stored-tokens' };
}

/** The lines printed at every start, ready to paste. */
export function loginInstructions(access: Access, publicUrl: string): string {
  const login = `  pulumi login ${publicUrl}`;
  const oneUrl = `Every client must log in with this same URL (set FULMAR_PUBLIC_URL to choose it; README, "One URL").`;
  switch (access.kind) {
    case 'kept-token':
      return lines(
        'Fulmar is ready. To use it with the pulumi CLI, paste:',
        '',
        `  export PULUMI_ACCESS_TOKEN=${access.token}`,
        login,
        '',
        `The token is the site admin's, kept in ${access.file}. ${oneUrl}`,
      );
    case 'configured-token':
      return lines(
        'Fulmar is ready. To use it with the pulumi CLI:',
        '',
        '  export PULUMI_ACCESS_TOKEN=<the value of FULMAR_ADMIN_TOKEN>',
        login,
        '',
        oneUrl,
      );
    case 'no-token-yet':
      return lines('Fulmar is ready, but nobody can log in yet.', FIRST_TOKEN_ADVICE, '', login, '', oneUrl);
    case 'stored-tokens':
      return lines('Fulmar is ready. To use it with the pulumi CLI:', '', '  export PULUMI_ACCESS_TOKEN=<your API token>', login, '', oneUrl);
  }
}

const lines = (...text: string[]) => `\n${text.join('\n')}\n\n`;

async function readKept(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function acceptedAsAdmin(auth: AuthService, token: string): Promise<boolean> {
  try {
    return (await auth.authenticate(token)).siteAdmin;
  } catch (err) {
    if (isFulmarError(err, 'unauthorized')) return false;
    throw err;
  }
}

/** Written beside, made owner-only, then renamed over: never a moment with a partial or readable file. */
async function writePrivate(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** A kept token someone made readable to others is made owner-only again, and said so. */
async function keepPrivate(file: string, logger: Logger): Promise<void> {
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  await chmod(file, 0o600);
  logger.warn({ file, was: `0${mode.toString(8)}` }, 'the kept admin token was readable by others; made it owner-only (0600)');
}
