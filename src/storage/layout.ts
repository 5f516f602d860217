/**
 * The bucket layout — a public contract (README "Bucket layout", LAYOUT_VERSION). Every key
 * Fulmar reads or writes is built here and nowhere else. Names reaching these functions have
 * already been validated by src/domain/names.ts, so they contain no `/` and no `..`.
 */

export const LAYOUT_VERSION = 2;

/** Written once at first start: `{"layout": 1, "createdAt": "…"}`. */
export const LAYOUT_KEY = 'fulmar.json';

/** Everything Fulmar keeps that is not a stack lives under this prefix (not a legal org name). */
export const SYSTEM_PREFIX = '_system/';

/** Zero-padded so that lexical order is numeric order (S3 lists keys lexically). */
export const pad = (n: number, width = 10): string => String(n).padStart(width, '0');

export const layout = {
  tokenKey: (tokenHash: string) => `${SYSTEM_PREFIX}tokens/${tokenHash}.json`,
  tokensPrefix: () => `${SYSTEM_PREFIX}tokens/`,
  /** "login owns token id": lets a user's tokens be counted and listed without reading all tokens. */
  tokenOwnerKey: (login: string, tokenHash: string) => `${SYSTEM_PREFIX}token-owners/${login}/${tokenHash}.json`,
  tokenOwnerPrefix: (login: string) => `${SYSTEM_PREFIX}token-owners/${login}/`,
  userKey: (login: string) => `${SYSTEM_PREFIX}users/${login}.json`,
  usersPrefix: () => `${SYSTEM_PREFIX}users/`,
  /**
   * The org registry: one object per name, created once — by a site admin (an org), by the first
   * user of that login (a personal org), or when an org that predates the registry is first met
   * (docs/design.md, "Organizations"). Logins and org names share it, so they never collide.
   */
  orgKey: (org: string) => `${SYSTEM_PREFIX}orgs/${org}.json`,
  orgsPrefix: () => `${SYSTEM_PREFIX}orgs/`,
  /** A probe object written and removed by the startup check of conditional writes. */
  probeKey: (nonce: string) => `${SYSTEM_PREFIX}probe/${nonce}`,
  /** Proves the configured master keyring can unwrap what earlier pods wrapped. */
  keyCanaryKey: () => `${SYSTEM_PREFIX}secrets-canary.json`,
  orgPrefix: (org: string) => `${org}/`,
  projectPrefix: (org: string, project: string) => `${org}/${project}/`,
  stackPrefix: (s: StackRef) => `${s.org}/${s.project}/${s.stack}/`,
  /** The stack register: the only stack object ever overwritten (always by compare-and-swap). */
  metaKey: (s: StackRef) => `${layout.stackPrefix(s)}meta.json`,
  /** Where the objects of every incarnation of a name live (layout 2). */
  incarnationsPrefix: (s: StackRef) => `${layout.stackPrefix(s)}i/`,
  /**
   * Where the objects of ONE incarnation live. A register written by layout 1 has no
   * incarnation; its objects sit directly under the stack prefix, where layout 1 put them.
   */
  objectsPrefix: (s: StackLoc) => (s.incarnation ? `${layout.incarnationsPrefix(s)}${s.incarnation}/` : layout.stackPrefix(s)),
  /** The deployment committed as version `v`; write-once. */
  checkpointKey: (s: StackLoc, version: number) => `${layout.objectsPrefix(s)}checkpoints/${pad(version)}.json`,
  /** The history entry (UpdateInfo) of version `v`; write-once. */
  historyKey: (s: StackLoc, version: number) => `${layout.objectsPrefix(s)}history/${pad(version)}.json`,
  /** An update record (kind, status, result, version, config, metadata, times). */
  updateKey: (s: StackLoc, updateId: string) => `${layout.objectsPrefix(s)}updates/${updateId}.json`,
  updatesPrefix: (s: StackLoc) => `${layout.objectsPrefix(s)}updates/`,
  /** Intermediate checkpoints of a running update, write-once by sequence number. */
  updateCheckpointKey: (s: StackLoc, updateId: string, sequence: number) =>
    `${layout.objectsPrefix(s)}updates/${updateId}/checkpoints/${pad(sequence)}.json`,
  updateCheckpointsPrefix: (s: StackLoc, updateId: string) => `${layout.objectsPrefix(s)}updates/${updateId}/checkpoints/`,
  /** Engine-event batches, write-once, keyed by the first and last sequence they hold. */
  updateEventsKey: (s: StackLoc, updateId: string, first: number, last: number) =>
    `${layout.objectsPrefix(s)}updates/${updateId}/events/${pad(first)}-${pad(last)}.json`,
  updateEventsPrefix: (s: StackLoc, updateId: string) => `${layout.objectsPrefix(s)}updates/${updateId}/events/`,
  /**
   * Journal batches of a journaled update, write-once, keyed by their first and last sequence ids;
   * gzip-compressed JSON (src/services/journal-batch-codec.ts; batches written before that are `.json`).
   */
  updateJournalKey: (s: StackLoc, updateId: string, first: number, last: number) =>
    `${layout.objectsPrefix(s)}updates/${updateId}/journal/${pad(first)}-${pad(last)}.json.gz`,
  updateJournalPrefix: (s: StackLoc, updateId: string) => `${layout.objectsPrefix(s)}updates/${updateId}/journal/`,
} as const;

export interface StackRef {
  readonly org: string;
  readonly project: string;
  readonly stack: string;
}

/** A stack name together with the incarnation whose objects are meant (see `objectsPrefix`). */
export interface StackLoc extends StackRef {
  readonly incarnation?: string;
}

/** Sequence and version numbers are zero-padded to 10 digits: larger ones would break key order. */
export const MAX_SEQUENCE = 9_999_999_999;

/**
 * The incarnation a key under a stack's prefix belongs to: `i/<incarnation>/…` → that id; the
 * register itself → undefined; anything else under the prefix → '' (a layout-1 object).
 */
export function incarnationOfKey(s: StackRef, key: string): string | undefined {
  const rel = key.slice(layout.stackPrefix(s).length);
  if (rel === 'meta.json') return undefined;
  if (rel.startsWith('i/')) return rel.slice(2, rel.indexOf('/', 2) === -1 ? undefined : rel.indexOf('/', 2));
  return '';
}

/** Parses the number out of a zero-padded key segment such as `…/checkpoints/0000000007.json`. */
export function sequenceOfKey(key: string): number {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return Number.parseInt(name, 10);
}

/** Downstream-reference index: one empty-ish object per (referenced stack, referencing stack). */
export const referenceLayout = {
  prefixFor: (target: StackRef) => `${SYSTEM_PREFIX}references/${target.org}/${target.project}/${target.stack}/`,
  key: (target: StackRef, source: StackRef) =>
    `${referenceLayout.prefixFor(target)}${source.org}/${source.project}/${source.stack}.json`,
} as const;

/**
 * What a key under a stack's prefix is, read back off the layout above (verify, gc and backup
 * walk the bucket with it). `incarnation` is '' for layout-1 objects; anything the layout does not
 * name is `unknown`.
 */
export type StackKey =
  | { kind: 'register' }
  | { kind: 'checkpoint' | 'history'; incarnation: string; version: number }
  | { kind: 'update-record'; incarnation: string; updateId: string }
  | { kind: 'update-checkpoint' | 'update-events' | 'update-journal'; incarnation: string; updateId: string }
  | { kind: 'unknown'; incarnation: string };

const VERSIONED = /^(checkpoints|history)\/(\d{10})\.json$/;
const UPDATE_RECORD = /^updates\/([^/]+)\.json$/;
const UPDATE_PART = /^updates\/([^/]+)\/(checkpoints|events|journal)\/[^/]+$/;
const UPDATE_PARTS = { checkpoints: 'update-checkpoint', events: 'update-events', journal: 'update-journal' } as const;

export function parseStackKey(s: StackRef, key: string): StackKey {
  const incarnation = incarnationOfKey(s, key);
  if (incarnation === undefined) return { kind: 'register' };
  const rel = key.slice((incarnation ? layout.objectsPrefix({ ...s, incarnation }) : layout.stackPrefix(s)).length);
  const versioned = VERSIONED.exec(rel);
  if (versioned) return { kind: versioned[1] === 'checkpoints' ? 'checkpoint' : 'history', incarnation, version: Number(versioned[2]) };
  const record = UPDATE_RECORD.exec(rel);
  if (record) return { kind: 'update-record', incarnation, updateId: record[1] as string };
  const part = UPDATE_PART.exec(rel);
  if (part) return { kind: UPDATE_PARTS[part[2] as keyof typeof UPDATE_PARTS], incarnation, updateId: part[1] as string };
  return { kind: 'unknown', incarnation };
}
