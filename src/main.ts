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
import { accessWithoutKeptToken, keepAdminToken, loginInstructions, type Access } from './services/admin-access.js';

export interface Running {
  url: string;
  /** FULMAR_PUBLIC_URL, or its default once the port is bound. */
  publicUrl: string;
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
    metrics,
    readyTimeoutMs: config.readyTimeoutMs,
    ready: async () => !draining && (await bucketReady()),
  });
  // The embedded default keeps an admin token of its own; anything else is told how to get one.
  const access =
    config.storage.kind === 'filesystem' && !config.adminToken
      ? await keepAdminToken(config.dataDir, services.auth, logger)
      : await accessWithoutKeptToken(config.adminToken, services.auth);
  const hostWatch = new HostWatch(logger);
  const app = createApp(services, { trustProxy: config.trustProxy, hostWatch });
  const server: RunningServer = await listen(app, config.host, config.port, logger);
  const publicUrl = resolvePublicUrl(config.publicUrl, server.port);
  hostWatch.use(publicUrl);
  announceAccess(access, publicUrl, logger);
  return {
    url: server.url,
    publicUrl: publicUrl.url,
    async stop() {
      draining = true;
      logger.info('draining');
      await server.drain(config.shutdownGraceMs);
      await store.close?.();
      await lock?.release();
      logger.info('stopped');
    },
  };
}

/** The JSON log records where clients log in; the lines to paste go to stderr as plain text, apart from the logs. */
function announceAccess(access: Access, publicUrl: PublicUrl, logger: Logger): void {
  const fields = { publicUrl: publicUrl.url, publicUrlFrom: publicUrl.configured ? 'FULMAR_PUBLIC_URL' : 'default' };
  if (access.kind === 'no-token-yet') logger.warn(fields, FIRST_TOKEN_ADVICE);
  else logger.info({ ...fields, ...(access.kind === 'kept-token' && { tokenFile: access.file }) }, `clients log in with: pulumi login ${publicUrl.url}`);
  process.stderr.write(loginInstructions(access, publicUrl.url));
}
