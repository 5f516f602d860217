/**
 * The bucket layout — a public contract (README "Bucket layout", LAYOUT_VERSION). Every key
 * Fulmar reads or writes is built here and nowhere else. Names reaching these functions have
 * already been validated by src/domain/names.ts, so they contain no `/` and no `..`.
 */

export const LAYOUT_VERSION = 1;

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
  /** A probe object written and removed by the startup check of conditional writes. */
  probeKey: (nonce: string) => `${SYSTEM_PREFIX}probe/${nonce}`,
  /** Proves the configured master keyring can unwrap what earlier pods wrapped. */
  keyCanaryKey: () => `${SYSTEM_PREFIX}secrets-canary.json`,
  /** A rename in progress; any pod finishes it (see services/rename). */
  renameMarkerKey: (org: string, project: string, stack: string) =>
    `${SYSTEM_PREFIX}renames/${org}/${project}/${stack}.json`,
  renamesPrefix: () => `${SYSTEM_PREFIX}renames/`,

  orgPrefix: (org: string) => `${org}/`,
  projectPrefix: (org: string, project: string) => `${org}/${project}/`,
  stackPrefix: (s: StackRef) => `${s.org}/${s.project}/${s.stack}/`,
  /** The stack register: the only stack object ever overwritten (always by compare-and-swap). */
  metaKey: (s: StackRef) => `${layout.stackPrefix(s)}meta.json`,
  /** The deployment committed as version `v`; write-once. */
  checkpointKey: (s: StackRef, version: number) => `${layout.stackPrefix(s)}checkpoints/${pad(version)}.json`,
  /** The history entry (UpdateInfo) of version `v`; write-once. */
  historyKey: (s: StackRef, version: number) => `${layout.stackPrefix(s)}history/${pad(version)}.json`,
  /** An update record (kind, status, result, version, config, metadata, times). */
  updateKey: (s: StackRef, updateId: string) => `${layout.stackPrefix(s)}updates/${updateId}.json`,
  updatesPrefix: (s: StackRef) => `${layout.stackPrefix(s)}updates/`,
  /** Intermediate checkpoints of a running update, write-once by sequence number. */
  updateCheckpointKey: (s: StackRef, updateId: string, sequence: number) =>
    `${layout.stackPrefix(s)}updates/${updateId}/checkpoints/${pad(sequence)}.json`,
  updateCheckpointsPrefix: (s: StackRef, updateId: string) =>
    `${layout.stackPrefix(s)}updates/${updateId}/checkpoints/`,
  /** Engine-event batches, write-once, keyed by the first and last sequence they hold. */
  updateEventsKey: (s: StackRef, updateId: string, first: number, last: number) =>
    `${layout.stackPrefix(s)}updates/${updateId}/events/${pad(first)}-${pad(last)}.json`,
  updateEventsPrefix: (s: StackRef, updateId: string) => `${layout.stackPrefix(s)}updates/${updateId}/events/`,
} as const;

export interface StackRef {
  readonly org: string;
  readonly project: string;
  readonly stack: string;
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
