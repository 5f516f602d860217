/**
 * Wires the services over one store. Used by the pod's boot (src/main.ts) and by tests, which
 * build several "pods" over one store this way.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { ImmutableCache } from '../storage/immutable-cache.js';
import type { Keyring } from '../domain/secrets-crypto.js';
import type { Logger } from '../observability/logger.js';
import type { Capability, Services } from '../http/services.js';
import { MetaRegister } from './meta-register.js';
import { AuthService } from './auth-service.js';
import { OrgService } from './org-service.js';
import { SecretsService } from './secrets-service.js';
import { StackService } from './stack-service.js';
import { StackMover } from './stack-move.js';
import { StateService } from './state-service.js';
import { UpdateService } from './update-service.js';
import { UpdateRecords } from './update-records.js';
import { UpdateAuthorizer } from './update-auth.js';
import { VersionCommitter } from './version-commit.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { JournalReplays } from './journal-replays.js';
import { JournalWriter } from './journal-writer.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { EventService } from './event-service.js';
import { HistoryService } from './history-service.js';
import { Checkpoints } from './checkpoints.js';
import { ConsoleSessions } from './console-session.js';
import { ConsoleSite } from './console-site.js';
import { OidcSignIn } from './oidc-sign-in.js';
import { CliLogin } from './cli-login.js';
import type { OidcConfig } from '../config/config.js';

/**
 * Below this size the CLI sends whole checkpoints; above, byte-offset deltas
 * (docs/protocol.md#capabilities).
 */
export const DELTA_CUTOFF_BYTES = 256 * 1024;

export function capabilities(deltaCutoffBytes = DELTA_CUTOFF_BYTES): Capability[] {
  // Advertise only what works end to end (apitype/service.go: CapabilitiesResponse.Parse).
  return [
    { capability: 'delta-checkpoint-uploads-v2', version: 2, configuration: { checkpointCutoffSizeBytes: deltaCutoffBytes } },
    { capability: 'batch-encrypt' },
    // Deployments are stored as sent, so schema 4 passes through unchanged.
    { capability: 'deployment-schema-version', version: 1, configuration: { version: 4 } },
  ];
}

export interface ServiceParts {
  store: ObjectStore;
  keyring: Keyring;
  logger: Logger;
  adminToken?: string;
  cacheBytes?: number;
  leaseSeconds?: number;
  maxBodyBytes?: number;
  deltaCutoffBytes?: number;
  ready?: () => Promise<boolean>;
  readyTimeoutMs?: number;
  metrics?: Services['metrics'];
  /** Offer journaling to CLIs that ask for it (FULMAR_JOURNALING). */
  journaling?: boolean;
  journalMaxBatchBytes?: number;
  /** Bound of the per-pod replays of running journaled updates. */
  replayCacheBytes?: number;
  /** How often at most a pod lists an update's batches to replay other pods' ahead of a commit; undefined = never (FULMAR_JOURNAL_CATCH_UP_MS). */
  replayCatchUpMs?: number;
  /** Lease times and record times come from here; the stores have their own (tests share one). */
  clock?: Clock;
  /** The web console's sessions and sign-in (docs/console.md); without it, console sign-in answers 503. */
  console?: {
    sessionKey: Buffer | undefined;
    sessionTtlSeconds: number;
    site: ConsoleSite;
    oidc?: OidcConfig;
  };
}

/**
 * The parts below the HTTP-facing services that admin operations (src/operations) use directly:
 * the register, committed versions, the commit itself and update records.
 */
export interface ServiceGraph {
  services: Services;
  register: MetaRegister;
  checkpoints: Checkpoints;
  committer: VersionCommitter;
  records: UpdateRecords;
  journals: JournalReplays;
}

export function buildServices(p: ServiceParts): Services {
  return buildServiceGraph(p).services;
}

export function buildServiceGraph(p: ServiceParts): ServiceGraph {
  const clock = p.clock ?? systemClock;
  const cache = new ImmutableCache(p.cacheBytes ?? 64 * 1024 * 1024);
  p.metrics?.watchCache?.(() => cache.stats());
  const register = new MetaRegister(p.store);
  const checkpoints = new Checkpoints(p.store, cache, register);
  const secrets = new SecretsService(p.keyring, register);
  const orgs = new OrgService(p.store, clock);
  const stacks = new StackService(p.store, register, secrets, orgs, clock, p.logger);
  const mover = new StackMover(p.store, register, stacks, orgs, clock);
  register.settleMove = (snap) => mover.settle(snap);
  stacks.settleTombstone = (meta) => mover.settleTarget(meta);
  const records = new UpdateRecords(p.store, clock);
  const auth = new UpdateAuthorizer(register, records);
  const journals = new JournalReplays(p.store, checkpoints, cache, clock, p.logger, p.replayCacheBytes, p.replayCatchUpMs);
  p.metrics?.watchReplays?.(() => journals.stats());
  const committer = new VersionCommitter(p.store, register, checkpoints, journals, records, cache, clock, p.logger);
  const writer = new CheckpointWriter(p.store, checkpoints, auth);
  stacks.finishSealed = (ref, updateId) => committer.finishSealed(ref, updateId);
  const authService = new AuthService(p.store, p.adminToken, orgs);
  const c = p.console ?? { sessionKey: undefined, sessionTtlSeconds: 3600, site: new ConsoleSite(undefined, undefined) };
  const sessions = new ConsoleSessions(c.sessionKey, authService, orgs, c.site, c.sessionTtlSeconds, clock);
  const services: Services = {
    auth: authService,
    orgs,
    stacks,
    mover,
    state: new StateService(p.store, register, checkpoints, journals),
    updates: new UpdateService(register, records, auth, committer, writer, p.leaseSeconds ?? 300, clock, p.journaling ?? true),
    checkpoints: writer,
    journal: new JournalWriter(p.store, auth, p.journalMaxBatchBytes ?? 32 * 1024 * 1024, cache, journals),
    events: new EventService(p.store, register, auth, records, cache),
    history: new HistoryService(p.store, register, cache, p.logger),
    secrets,
    capabilities: capabilities(p.deltaCutoffBytes),
    ready: p.ready ?? (async () => true),
    readyTimeoutMs: p.readyTimeoutMs ?? 2_000,
    metrics: p.metrics,
    logger: p.logger,
    maxBodyBytes: p.maxBodyBytes ?? 512 * 1024 * 1024,
    console: {
      sessions,
      oidc: c.oidc && new OidcSignIn(c.oidc, sessions, authService, p.logger),
      cliLogin: new CliLogin(authService),
    },
  };
  return { services, register, checkpoints, committer, records, journals };
}
