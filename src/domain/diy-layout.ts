/**
 * Where the pulumi CLI's DIY ("self-managed") backend keeps things, read off its source at
 * v3.259.0 — keys in, names out, no I/O (`fulmar adopt-diy` lists and reads; this decides):
 *
 *  - `.pulumi/meta.yaml` `version:` picks the layout (pkg/backend/diy/meta.go, backend.go:
 *    newDIYBackend): 0 is the legacy layout, 1 the project layout, anything else is refused. With
 *    no meta.yaml the CLI takes legacy when legacy stack files exist, else project (ensurePulumiMeta);
 *  - stack files (pkg/backend/diy/store.go: StackBasePath, ListReferences): project layout
 *    `.pulumi/stacks/<project>/<stack>.json`, legacy `.pulumi/stacks/<stack>.json`, each possibly
 *    `.json.gz` or `.json.zst`; a name whose extension, once `.gz`/`.zst` is stripped, is not a
 *    marshaler's (`.json`, `.yaml`) is no stack file — `.json.bak` backups and `.pulumi-tags`;
 *  - when several variants of one stack exist the CLI reads the most recently modified, the later
 *    in listing order on a tie (pkg/backend/diy/state.go: stackPath);
 *  - history (state.go: addToHistory, getHistory): `.pulumi/history/[<project>/]<stack>/` holds
 *    `<stack>-<unix nanos>.history.json[.gz|.zst]` (an UpdateInfo) and, beside it, the stack file
 *    as it was after that update, `<same stem>.checkpoint.json[.gz|.zst]`; entries are told in key
 *    order, oldest first;
 *  - tags (stack_tags.go): `<stack file without extension>.pulumi-tags`, `{"version":1,"tags":{}}`;
 *  - locks (lock.go): `.pulumi/locks/<fully qualified name>/<id>.json`, the name being
 *    `organization/<project>/<stack>` in the project layout and `<stack>` in the legacy one.
 */

export const META_KEY = '.pulumi/meta.yaml';
export const STACKS_PREFIX = '.pulumi/stacks/';
const HISTORY_PREFIX = '.pulumi/history/';
const LOCKS_PREFIX = '.pulumi/locks/';

export type DiyLayout = 'project' | 'legacy';
export type Compression = 'none' | 'gzip' | 'zstd';

/** A DIY stack: `project` is absent in the legacy layout, whose paths do not name one. */
export interface DiyStackRef {
  project?: string;
  stack: string;
}

export interface DiyStackFile extends DiyStackRef {
  key: string;
  /** `json`, or `yaml` (which the CLI would read but never writes). */
  format: 'json' | 'yaml';
  compression: Compression;
}

export interface DiyHistoryFiles {
  /** `<stack>-<unix nanos>`: names the entry (and marks it once adopted). */
  stem: string;
  historyKey: string;
  /** Absent when the CLI failed to copy the stack file after writing the entry. */
  checkpointKey?: string;
}

export class DiyLayoutError extends Error {
  override readonly name = 'DiyLayoutError';
}

// sdk/go/common/tokens/names.go: IsName (projects); stack_name.go: ParseStackName (stacks).
const NAME = /^[A-Za-z0-9_.-]+$/;

/** The `version` of `.pulumi/meta.yaml` (a one-key YAML document the CLI writes). */
export function parseMetaVersion(text: string): number {
  const match = /^version:\s*(\d+)\s*(?:#.*)?$/m.exec(text);
  // meta.go: readPulumiMeta refuses a file without a version as a corrupt store.
  if (!match) throw new DiyLayoutError(`corrupt store: ${META_KEY} has no version`);
  return Number(match[1]);
}

/** Which layout the CLI would use (meta.go: ensurePulumiMeta; backend.go: newDIYBackend). */
export function layoutOf(metaVersion: number | undefined, legacyFilesExist: boolean): DiyLayout {
  if (metaVersion === undefined) return legacyFilesExist ? 'legacy' : 'project';
  if (metaVersion === 0) return 'legacy';
  if (metaVersion === 1) return 'project';
  throw new DiyLayoutError(`${META_KEY} version ${metaVersion} is not one pulumi v3.259.0 knows (0 or 1)`);
}

/** The stack a key under `.pulumi/stacks/` holds in `layout`, or undefined for anything else. */
export function stackFileOf(key: string, layout: DiyLayout): DiyStackFile | undefined {
  if (!key.startsWith(STACKS_PREFIX)) return undefined;
  const parts = key.slice(STACKS_PREFIX.length).split('/');
  const [project, file] = layout === 'project' ? parts : [undefined, ...parts];
  if (parts.length !== (layout === 'project' ? 2 : 1) || file === undefined) return undefined;
  if (project !== undefined && !NAME.test(project)) return undefined;
  let name = file;
  let compression: Compression = 'none';
  if (name.endsWith('.gz')) [name, compression] = [name.slice(0, -3), 'gzip'];
  else if (name.endsWith('.zst')) [name, compression] = [name.slice(0, -4), 'zstd'];
  const format = name.endsWith('.json') ? 'json' : name.endsWith('.yaml') ? 'yaml' : undefined;
  if (!format) return undefined;
  const stack = name.slice(0, -(format.length + 1));
  if (!NAME.test(stack)) return undefined;
  return { ...(project !== undefined && { project }), stack, key, format, compression };
}

/**
 * One file per stack, as the CLI picks it among `.json`, `.json.gz` and `.json.zst`: the newest,
 * the later in key order on a tie. `files` come in listing (key) order.
 */
export function pickStackFiles<T extends DiyStackFile & { lastModified: Date }>(files: readonly T[]): T[] {
  const best = new Map<string, T>();
  for (const f of files) {
    const id = labelOf(f);
    const seen = best.get(id);
    if (!seen || f.lastModified.getTime() >= seen.lastModified.getTime()) best.set(id, f);
  }
  return [...best.values()];
}

/** `project/stack`, or `stack` alone in the legacy layout (how the CLI names it there). */
export const labelOf = (ref: DiyStackRef): string => (ref.project === undefined ? ref.stack : `${ref.project}/${ref.stack}`);

export const historyPrefix = (ref: DiyStackRef): string => `${HISTORY_PREFIX}${labelOf(ref)}/`;

export const tagsKey = (ref: DiyStackRef): string => `${STACKS_PREFIX}${labelOf(ref)}.pulumi-tags`;

export const lockPrefix = (ref: DiyStackRef): string =>
  `${LOCKS_PREFIX}${ref.project === undefined ? ref.stack : `organization/${ref.project}/${ref.stack}`}/`;

const HISTORY_FILE = /^(.+)\.(history|checkpoint)\.json(?:\.gz|\.zst)?$/;

/**
 * The history entries among the keys directly under a stack's history folder, oldest first (key
 * order, as the CLI lists them), each with its checkpoint when one was written.
 */
export function historyEntries(keys: readonly string[], prefix: string): DiyHistoryFiles[] {
  const histories = new Map<string, string>();
  const checkpoints = new Map<string, string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const match = HISTORY_FILE.exec(key.slice(prefix.length));
    if (!match || match[1]!.includes('/')) continue;
    (match[2] === 'history' ? histories : checkpoints).set(match[1]!, key);
  }
  return [...histories.entries()]
    .sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([stem, historyKey]) => ({ stem, historyKey, ...(checkpoints.has(stem) && { checkpointKey: checkpoints.get(stem) }) }));
}
