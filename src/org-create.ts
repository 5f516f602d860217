/**
 * `fulmar org create NAME`: creates an org straight in the configured store, as the site admin,
 * without a running pod — the same record `POST /api/orgs` writes (docs/design.md,
 * "Organizations"). The store is opened as a pod opens it: the filesystem store's folder lock
 * first (it serves one process), then the conditional-write probe and the layout check.
 */
import type { Config } from './config/config.js';
import type { Logger } from './observability/logger.js';
import { createObjectStore } from './storage/create-store.js';
import { lockDataDir } from './storage/data-dir-lock.js';
import { prepareBucket } from './storage/probe.js';
import { ADMIN_LOGIN, type Principal } from './domain/roles.js';
import { systemClock } from './domain/clock.js';
import { OrgService, type OrgRecord } from './services/org-service.js';

const SITE_ADMIN: Principal = { login: ADMIN_LOGIN, name: 'Site administrator', siteAdmin: true, orgs: {} };

export async function createOrgInStore(config: Config, logger: Logger, name: string): Promise<OrgRecord> {
  if (config.storage.kind === 'memory') {
    throw new Error('the memory store lives inside one running pod; create the org there with POST /api/orgs');
  }
  let lock;
  if (config.storage.kind === 'filesystem') {
    try {
      lock = await lockDataDir(config.dataDir);
    } catch (err) {
      throw new Error(`${(err as Error).message}; while that pod runs, create the org through it with POST /api/orgs`);
    }
  }
  const store = createObjectStore(config, logger);
  try {
    await prepareBucket(store);
    return await new OrgService(store, systemClock).create(SITE_ADMIN, name);
  } finally {
    await store.close?.();
    await lock?.release();
  }
}
