/**
 * The manifest of a backup, `fulmar-backup.json` at the top of the backup's location
 * (docs/operating.md, "Backup and restore"). A backup is a copy in the bucket layout, under the
 * same keys; the manifest is written LAST, so its presence is what says the copy is complete —
 * `fulmar restore` refuses a location without one. It is JSON for people too: what was captured,
 * when, by which Fulmar, and which master keys its secrets need.
 */
import { FulmarError } from '../domain/errors.js';
import { LAYOUT_VERSION } from '../storage/layout.js';

export const MANIFEST_KEY = 'fulmar-backup.json';
export const MANIFEST_FORMAT = 'fulmar-backup';
export const MANIFEST_FORMAT_VERSION = 1;

/** What a backup holds, by kind of object. */
export const BACKUP_KINDS = ['registers', 'checkpoints', 'history', 'updates', 'events', 'system', 'layout'] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

export type Tally = Record<BackupKind, { count: number; bytes: number }>;

export const emptyTally = (): Tally =>
  Object.fromEntries(BACKUP_KINDS.map((k) => [k, { count: 0, bytes: 0 }])) as Tally;

export function addTo(tally: Tally, kind: BackupKind, bytes: number): void {
  tally[kind].count += 1;
  tally[kind].bytes += bytes;
}

export interface BackupStack {
  /** `org/project/stack` */
  stack: string;
  stackId: string;
  state: 'live' | 'tombstone';
  /** The committed version the stack was captured at (what restore brings back). */
  version: number;
  /** Absent for a register of layout 1, whose objects sit directly under the stack's prefix. */
  incarnation?: string;
  /** When its register was read (the last time, if the stack had to be captured again). */
  capturedAt: string;
  /** The update that held the stack when it was captured: left out, its version never committed. */
  leftOutUpdate?: { updateId: string; kind: string; sealed: boolean };
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: number;
  /** Random; names this backup (a restore with --force derives fresh incarnations from it). */
  id: string;
  /** Bucket layout of the keys inside (src/storage/layout.ts). */
  layout: number;
  fulmarVersion: string;
  /** Where it was taken from, without credentials. */
  source: string;
  startedAt: string;
  /** When every register had been read the first time. */
  capturedAt: string;
  finishedAt: string;
  objects: Tally;
  /** Master key ids that wrap the data keys of the backup's stacks and its secrets canary. */
  keyIds: string[];
  stacks: BackupStack[];
  /**
   * What the captured incarnations held that a backup does not carry: records of updates that had
   * not committed (the one holding a lease at capture, later ones, ones never started) and the
   * objects of updates (their events, intermediate checkpoints and journal batches); keys the
   * layout does not name.
   */
  leftOut: { updates: number; updateObjects: number; unknownObjects: number };
}

/** Reads and checks a manifest; anything else at that key is refused with a clear message. */
export function parseManifest(body: Buffer, where: string): BackupManifest {
  let value: Partial<BackupManifest>;
  try {
    value = JSON.parse(body.toString('utf8')) as Partial<BackupManifest>;
  } catch {
    throw new FulmarError('bad-request', `${where}/${MANIFEST_KEY} is not JSON; not a Fulmar backup`);
  }
  if (value.format !== MANIFEST_FORMAT || typeof value.formatVersion !== 'number' || !Array.isArray(value.stacks)) {
    throw new FulmarError('bad-request', `${where}/${MANIFEST_KEY} is not a Fulmar backup manifest`);
  }
  if (value.formatVersion > MANIFEST_FORMAT_VERSION || typeof value.layout !== 'number' || value.layout > LAYOUT_VERSION) {
    throw new FulmarError(
      'bad-request',
      `the backup at ${where} was written by a newer Fulmar (${value.fulmarVersion ?? 'unknown'}; manifest format ${value.formatVersion}, layout ${value.layout}); restore it with that version or newer`,
    );
  }
  return value as BackupManifest;
}
