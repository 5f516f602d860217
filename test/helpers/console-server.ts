/**
 * The real console for browser tests: Fulmar's app (createApp over a store) with a session key,
 * the built SPA from dist/console/, and optionally sign-in through an OpenID Connect provider,
 * listening on 127.0.0.1 — the same app a pod serves on its console port (docs/console.md).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { OidcConfig } from '../../src/config/config.js';
import { ConsoleSite } from '../../src/services/console-site.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { makeApi, type TestApi } from './api.js';
import { repoRoot } from './pods.js';

export const CONSOLE_DIST = path.join(repoRoot, 'dist', 'console');

export interface ConsoleServer extends TestApi {
  /** The console's origin, which is also the API's: `http://127.0.0.1:<port>`. */
  url: string;
  close(): Promise<void>;
}

export interface ConsoleServerOptions {
  store: ObjectStore;
  leaseSeconds?: number;
  /** FULMAR_SESSION_KEY; pods that share it accept each other's sessions. Default: a random one. */
  sessionKey?: Buffer;
  /**
   * OIDC sign-in, built once the URL is known (the provider must list
   * `<url>/console/oidc/callback` as a redirect URI).
   */
  oidc?: (url: string) => Promise<OidcConfig> | OidcConfig;
  port?: number;
}

export async function startConsole(options: ConsoleServerOptions): Promise<ConsoleServer> {
  if (!existsSync(path.join(CONSOLE_DIST, 'index.html'))) {
    throw new Error(`${CONSOLE_DIST}/index.html is missing: run \`npm run build\` first`);
  }
  // Listen first: the session cookie, /console/config and the OIDC redirect URI need the address.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const site = new ConsoleSite(url, undefined);
  site.use(url);
  const api = makeApi(options.store, {
    leaseSeconds: options.leaseSeconds,
    consoleDir: CONSOLE_DIST,
    console: { sessionKey: options.sessionKey ?? randomBytes(32), sessionTtlSeconds: 3600, site, oidc: await options.oidc?.(url) },
  });
  server.on('request', api.app);
  return {
    ...api,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
