/**
 * An update record (`updates/<id>.json`) and the history entry written when a version is
 * committed (`history/<v>.json`). Shapes of the history entry follow apitype.UpdateInfo
 * (sdk/go/common/apitype/history.go).
 */
import type { FinalStatus, UpdateKind } from './stack-meta.js';

export type UpdateStatus = 'not started' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface ConfigValue {
  string: string;
  secret: boolean;
  object: boolean;
}

export interface UpdateRecord {
  id: string;
  /** What the CLI asked for (`update`, `preview`, `refresh`, `destroy`) or `import`. */
  kind: UpdateKind;
  dryRun: boolean;
  status: UpdateStatus;
  createdAt: number;
  startTime?: number;
  endTime?: number;
  /** The version it committed (non-dry-run) or saw (dry-run). */
  version?: number;
  /** SHA-256 of the update token handed out at start. */
  tokenHash?: string;
  author: string;
  program: { name: string; runtime: string; main: string; description: string };
  message: string;
  environment: Record<string, string>;
  config: Record<string, ConfigValue>;
  resourceChanges?: Record<string, number>;
  resourceCount?: number;
  /** An import that brings in an update made elsewhere: its history entry tells that update. */
  adopted?: AdoptedUpdate;
  nonce: string;
}

/**
 * An update that happened in another backend and is committed here by an import
 * (`fulmar adopt-diy`, docs/operating.md): the history entry carries its own kind, times and
 * result instead of the import's, and says where it came from, so a rerun knows what is in.
 */
export interface AdoptedUpdate {
  /** The backend it came from, as `fulmar adopt-diy` names it (`file:///…`, `s3://bucket/prefix`). */
  source: string;
  /** Which update of that backend: its history file's stem, or `current` for its latest state alone. */
  entry: string;
  kind: string;
  startTime: number;
  endTime: number;
  result: HistoryEntry['result'];
}

/**
 * The wire kind recorded in history (docs/protocol.md#versions-and-kinds: dry-runs are previews,
 * not history).
 */
export function historyKind(kind: UpdateKind): string {
  return kind;
}

export interface HistoryEntry {
  updateId: string;
  kind: string;
  startTime: number;
  endTime: number;
  message: string;
  environment: Record<string, string>;
  config: Record<string, ConfigValue>;
  result: 'succeeded' | 'failed' | 'in-progress' | 'not-started';
  /** How the update's record ends: the status its lease was sealed with. */
  status?: FinalStatus;
  version: number;
  resourceChanges?: Record<string, number>;
  resourceCount: number;
  /**
   * Who ran the update (the login that started it; for an import or rollback, who imported).
   * Absent on entries written before it was kept, and on versions adopted from a DIY backend.
   */
  requestedBy?: string;
  /** Set on versions imported from another backend: where from (never sent to the CLI). */
  adopted?: { source: string; entry: string };
}

