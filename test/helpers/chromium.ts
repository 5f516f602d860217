/**
 * Debian's Chromium driven by playwright-core (which downloads no browser), for the console's
 * browser tests. scripts/install-chromium.sh installs it; without it the tests skip, except under
 * CI=true where a missing browser is a failure (CI must never skip the console suite).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where scripts/install-chromium.sh may have put it, in its order. */
export function chromiumPath(): string | undefined {
  const cache = process.env.FULMAR_TOOLS_CACHE ?? path.join(homedir(), '.cache', 'fulmar-tools');
  const candidates = [process.env.FULMAR_CHROMIUM, '/usr/bin/chromium', path.join(cache, 'chromium/usr/lib/chromium/chromium')];
  return candidates.find((c): c is string => Boolean(c) && existsSync(c as string));
}

/** Skips the suite where Chromium is missing, fails it under CI. */
export function requireChromium(ctx: Mocha.Context): string {
  const found = chromiumPath();
  if (found) return found;
  const why = 'Chromium is not installed: run `bash scripts/install-chromium.sh`';
  if (process.env.CI === 'true') throw new Error(`${why} (CI never skips the console suite)`);
  console.log(`skipping the web console suite: ${why}`);
  ctx.skip();
  throw new Error('unreachable');
}

/**
 * The flags this closed network needs: nothing may reach out (QUIC, sync, component updates,
 * background fetches), and each run starts from a fresh profile.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** One fresh browser profile (its own --user-data-dir, removed on close). */
export async function launchChromium(executablePath: string): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'fulmar-chromium-'));
  // Playwright passes the profile as --user-data-dir itself; it refuses that flag in `args`.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 860 },
    timeout: 60_000,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
