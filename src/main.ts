/**
 * The composition root: config → logger → store → services → app → server. Nothing here is a
 * singleton; tests build their own with `buildServices`/`createApp`.
 */
import type { Config } from './config/config.js';
import { redactConfig } from './config/config.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { createObjectStore } from './storage/create-store.js';
import { prepareBucket } from './storage/probe.js';
import { lockDataDir } from './storage/data-dir-lock.js';
import { bucketAnswers } from './storage/readiness.js';
import { resolveKeyring, verifyKeyring } from './services/master-keys.js';
import { createApp } from './http/app.js';
import { buildServices } from './services/build-services.js';
import { listen, type RunningServer } from './http/server.js';
import { HostWatch, resolvePublicUrl, type PublicUrl } from './http/host-watch.js';
import { FIRST_TOKEN_ADVICE } from './services/auth-service.js';
import { ConsoleSite } from './services/console-site.js';
import { resolveSessionKey } from './services/session-keys.js';
import { consoleDomainAdvice } from './domain/console-url.js';
import { accessWithoutKeptToken, keepAdminToken, loginInstructions, type Access } from './services/admin-access.js';

export interface Running {
  url: string;
  /** FULMAR_PUBLIC_URL, or its default once the port is bound. */
  publicUrl: string;
  /** FULMAR_CONSOLE_URL, or its default (docs/console.md#console-address). */
  consoleUrl: string;
  /** Where the console's own listener is bound, when FULMAR_CONSOLE_PORT gives it one. */
  consoleListenUrl?: string;
  stop(): Promise<void>;
}

/** Boots a pod: refuses to start on a bucket without conditional writes or with the wrong key. */
export async function startFulmar(config: Config, logger = createLogger(config.logLevel)): Promise<Running> {
  logger.info({ config: redactConfig(config) }, 'starting');
  const lock = config.storage.kind === 'filesystem' ? await lockDataDir(config.dataDir) : undefined;
  const metrics = config.metrics ? createMetrics() : undefined;
  const store = createObjectStore(config, logger, metrics?.storage);
  await prepareBucket(store);
  const keyring = await resolveKeyring(config, logger);
  await verifyKeyring(store, keyring);

  let draining = false;
  const site = new ConsoleSite(config.console.url, config.console.port);
  const bucketReady = bucketAnswers(store);
  const services = buildServices({
    store,
    keyring,
    logger,
    adminToken: config.adminToken,
    cacheBytes: config.cacheBytes,
    leaseSeconds: config.leaseSeconds,
    maxBodyBytes: config.maxBodyBytes,
    deltaCutoffBytes: config.deltaCutoffBytes,
    journaling: config.journaling,
    journalMaxBatchBytes: config.journalMaxBatchBytes,
    replayCatchUpMs: config.journalCatchUpMs,
    metrics,
    readyTimeoutMs: config.readyTimeoutMs,
    ready: async () => !draining && (await bucketReady()),
    console: {
      sessionKey: await resolveSessionKey(config, logger),
      sessionTtlSeconds: config.console.sessionTtlSeconds,
      site,
      oidc: config.console.oidc,
    },
  });
  // The embedded default keeps an admin token of its own; anything else is told how to get one.
  const access =
    config.storage.kind === 'filesystem' && !config.adminToken
      ? await keepAdminToken(config.dataDir, services.auth, logger)
      : await accessWithoutKeptToken(config.adminToken, services.auth);
  const hostWatch = new HostWatch(logger);
  const app = createApp(services, { trustProxy: config.trustProxy, hostWatch });
  const server: RunningServer = await listen(app, config.host, config.port, logger);
  // The console's own port serves the same app (docs/console.md#console-address).
  const consoleServer =
    config.console.port === undefined
      ? undefined
      : await listen(app, config.host, config.console.port, logger).catch(async (err: unknown) => {
          const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
          // A newcomer's `npm start` must not fail because something else has port 3000: the
          // console is on PORT too, and the warning says what the CLI's links then miss.
          if (inUse && config.console.portDefaulted) {
            logger.warn(
              { consolePort: config.console.port },
              `port ${config.console.port} is in use, so the console is served on port ${server.port} only; the links the pulumi CLI prints point at ${config.console.port} — free it, or set FULMAR_CONSOLE_PORT (0 for none) and PULUMI_CONSOLE_DOMAIN (docs/console.md)`,
            );
            return undefined;
          }
          await server.drain(0);
          if (!inUse) throw err;
          throw new Error(`the console's port ${config.console.port} is in use: set FULMAR_CONSOLE_PORT to another port, or 0 for none`, { cause: err });
        });
  const publicUrl = resolvePublicUrl(config.publicUrl, server.port);
  hostWatch.use(publicUrl);
  site.use(publicUrl.url);
  announceAccess(access, publicUrl, logger);
  announceConsole(publicUrl.url, site.consoleUrl, logger);
  return {
    url: server.url,
    publicUrl: publicUrl.url,
    consoleUrl: site.consoleUrl,
    ...(consoleServer && { consoleListenUrl: consoleServer.url }),
    async stop() {
      draining = true;
      logger.info('draining');
      await Promise.all([server.drain(config.shutdownGraceMs), consoleServer?.drain(config.shutdownGraceMs)]);
      await store.close?.();
      await lock?.release();
      logger.info('stopped');
    },
  };
}

/**
 * Where the console is, and — when the CLI would derive another address from the API URL
 * (pkg/backend/httpstate/client/console.go: CloudConsoleURL) — what clients must set for the links
 * it prints and its browser login to reach it.
 */
function announceConsole(apiUrl: string, consoleUrl: string, logger: Logger): void {
  const advice = consoleDomainAdvice(apiUrl, consoleUrl);
  process.stderr.write(
    `\nWeb console: ${consoleUrl}\n` +
      (advice && !advice.schemeDiffers ? `For the CLI's links and browser login, clients set PULUMI_CONSOLE_DOMAIN=${advice.consoleDomain}\n` : ''),
  );
  if (!advice) logger.info({ consoleUrl }, `web console at ${consoleUrl}`);
  else if (advice.schemeDiffers) {
    logger.warn({ consoleUrl, apiUrl }, 'the console and the API differ in scheme: the CLI can print no links to this console (docs/console.md#console-address)');
  } else {
    logger.info(
      { consoleUrl, consoleDomain: advice.consoleDomain },
      `web console at ${consoleUrl}; for CLI links and browser login, clients set PULUMI_CONSOLE_DOMAIN=${advice.consoleDomain}`,
    );
  }
}

/** The JSON log records where clients log in; the lines to paste go to stderr as plain text, apart from the logs. */
function announceAccess(access: Access, publicUrl: PublicUrl, logger: Logger): void {
  const fields = { publicUrl: publicUrl.url, publicUrlFrom: publicUrl.configured ? 'FULMAR_PUBLIC_URL' : 'default' };
  if (access.kind === 'no-token-yet') logger.warn(fields, FIRST_TOKEN_ADVICE);
  else logger.info({ ...fields, ...(access.kind === 'kept-token' && { tokenFile: access.file }) }, `clients log in with: pulumi login ${publicUrl.url}`);
  process.stderr.write(loginInstructions(access, publicUrl.url));
}
