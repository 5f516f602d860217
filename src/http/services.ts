/** Everything the HTTP layer may call: built by src/main.ts, or by a test with its own parts. */
import type { AuthService } from '../services/auth-service.js';
import type { OrgService } from '../services/org-service.js';
import type { StackService } from '../services/stack-service.js';
import type { StackMover } from '../services/stack-move.js';
import type { StateService } from '../services/state-service.js';
import type { UpdateService } from '../services/update-service.js';
import type { CheckpointWriter } from '../services/checkpoint-writer.js';
import type { JournalWriter } from '../services/journal-writer.js';
import type { EventService } from '../services/event-service.js';
import type { HistoryService } from '../services/history-service.js';
import type { SecretsService } from '../services/secrets-service.js';
import type { Logger } from '../observability/logger.js';
import type { ConsoleSessions } from '../services/console-session.js';
import type { OidcSignIn } from '../services/oidc-sign-in.js';
import type { CliLogin } from '../services/cli-login.js';
import type { RequestHandler } from 'express';
import type { CacheStats } from '../storage/immutable-cache.js';
import type { ReplayStats } from '../services/journal-replays.js';

export interface Capability {
  capability: string;
  version?: number;
  configuration?: unknown;
}

export interface Services {
  auth: AuthService;
  orgs: OrgService;
  stacks: StackService;
  mover: StackMover;
  state: StateService;
  updates: UpdateService;
  checkpoints: CheckpointWriter;
  journal: JournalWriter;
  events: EventService;
  history: HistoryService;
  secrets: SecretsService;
  capabilities: Capability[];
  /** True while the bucket answers and the pod is not draining. */
  ready: () => Promise<boolean>;
  /** How long /readyz waits for `ready` before answering 503. */
  readyTimeoutMs: number;
  metrics?: {
    contentType: string;
    render: () => Promise<string>;
    middleware?: RequestHandler;
    watchCache?: (stats: () => CacheStats) => void;
    watchReplays?: (stats: () => ReplayStats) => void;
  };
  logger: Logger;
  maxBodyBytes: number;
  /** The web console's sessions and sign-in (docs/console.md). */
  console: {
    sessions: ConsoleSessions;
    /** Absent when FULMAR_OIDC_ISSUER is unset. */
    oidc?: OidcSignIn;
    cliLogin: CliLogin;
  };
}
