/**
 * What every admin command (`fulmar token …`, `verify`, `gc`, `backup`, …) works with: the
 * configured store, opened and checked exactly as a pod opens it (same env vars, the conditional-
 * write probe, the master keyring), and the same services a pod builds over it — so a command run
 * while pods serve takes part in the same protocols (docs/operating.md) and never writes blindly.
 *
 * The filesystem store serves one process: its folder lock is taken first, so a command on the
 * embedded default runs while no pod uses that folder.
 */
import type { Config } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import type { ObjectStore } from '../storage/object-store.js';
import { createObjectStore } from '../storage/create-store.js';
import { prepareBucket } from '../storage/probe.js';
import { DataDirInUse, lockDataDir, type DataDirLock } from '../storage/data-dir-lock.js';
import { resolveKeyring, verifyKeyring } from '../services/master-keys.js';
import { buildServiceGraph, type ServiceGraph } from '../services/build-services.js';
import type { Services } from '../http/services.js';
import type { Keyring } from '../domain/secrets-crypto.js';
import { resolvePublicUrl } from '../http/host-watch.js';

export interface AdminContext {
  config: Config;
  store: ObjectStore;
  keyring: Keyring;
  services: Services;
  /** The parts under the services, for operations that walk registers and versions themselves. */
  graph: ServiceGraph;
  logger: Logger;
  /** Where clients log in (FULMAR_PUBLIC_URL or its default), for the lines commands print. */
  publicUrl: string;
  close(): Promise<void>;
}

export async function openAdmin(config: Config, logger: Logger): Promise<AdminContext> {
  if (config.storage.kind === 'memory') throw new Error('the memory store lives and dies inside one pod; use the HTTP API of that pod');
  let lock: DataDirLock | undefined;
  if (config.storage.kind === 'filesystem') {
    try {
      lock = await lockDataDir(config.dataDir);
    } catch (err) {
      if (!(err instanceof DataDirInUse)) throw err;
      throw new Error(
        `the data folder ${err.dataDir} is in use by process ${err.pid}, and the filesystem store serves one process: ` +
          'stop it to run this command on that folder, or do the same over HTTP (README, "Using it with the pulumi CLI")',
      );
    }
  }
  const store = createObjectStore(config, logger);
  const close = async () => {
    await store.close?.();
    await lock?.release();
  };
  try {
    await prepareBucket(store);
    const keyring = await resolveKeyring(config, logger);
    await verifyKeyring(store, keyring);
    const graph = buildServiceGraph({
      store,
      keyring,
      logger,
      adminToken: config.adminToken,
      // A command reads each object about once: no point holding them.
      cacheBytes: 0,
      leaseSeconds: config.leaseSeconds,
      journaling: config.journaling,
    });
    return { config, store, keyring, services: graph.services, graph, logger, publicUrl: resolvePublicUrl(config.publicUrl, config.port).url, close };
  } catch (err) {
    await close();
    throw err;
  }
}
