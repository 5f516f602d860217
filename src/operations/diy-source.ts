/**
 * Reading a pulumi DIY backend (a folder or a bucket, opened read-only) for `fulmar adopt-diy`:
 * which layout it has, its stacks, and each stack's state, tags, history and locks. Where the
 * CLI keeps what is src/domain/diy-layout.ts; how a file reads is src/domain/diy-checkpoint.ts
 * and diy-history.ts. Nothing here writes.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { getOrUndefined } from '../storage/conditional-writes.js';
import {
  historyEntries,
  historyPrefix,
  layoutOf,
  lockPrefix,
  META_KEY,
  parseMetaVersion,
  pickStackFiles,
  stackFileOf,
  STACKS_PREFIX,
  tagsKey,
  type DiyHistoryFiles,
  type DiyLayout,
  type DiyStackFile,
  type DiyStackRef,
} from '../domain/diy-layout.js';
import { inflate, readDiyState, type DiyState } from '../domain/diy-checkpoint.js';
import { readDiyUpdate, type DiyUpdate } from '../domain/diy-history.js';
import { objectsUnder } from './stack-inventory.js';

export interface DiyStack extends DiyStackFile {
  lastModified: Date;
}

export interface DiyScan {
  layout: DiyLayout;
  /** `.pulumi/meta.yaml`'s version; undefined when there is none. */
  metaVersion?: number;
  stacks: DiyStack[];
  /** Files that look like stacks but are not adopted, each with why. */
  ignored: string[];
}

/** A DIY file that cannot be read as what it should be; names the file. */
export class DiyReadError extends Error {
  override readonly name = 'DiyReadError';
}

export async function scanDiy(store: ObjectStore): Promise<DiyScan> {
  const meta = await getOrUndefined(store, META_KEY);
  const metaVersion = meta ? parseMetaVersion(meta.body.toString('utf8')) : undefined;
  const objects = [];
  for await (const o of objectsUnder(store, STACKS_PREFIX)) objects.push(o);
  const legacy = objects.filter((o) => stackFileOf(o.key, 'legacy'));
  const layout = layoutOf(metaVersion, legacy.length > 0);
  const ignored: string[] = [];
  if (layout === 'project') {
    // backend.go: newDIYBackend warns of these and never reads them; `pulumi state upgrade` moves them.
    for (const o of legacy) ignored.push(`${o.key}: a legacy stack file in a project-layout backend, which the CLI ignores (pulumi state upgrade moves it)`);
  }
  const files: DiyStack[] = [];
  for (const o of objects) {
    const file = stackFileOf(o.key, layout);
    if (!file) continue;
    if (file.format !== 'json') ignored.push(`${o.key}: a YAML stack file, which only JSON-writing CLIs produce; not adopted`);
    else files.push({ ...file, lastModified: o.lastModified });
  }
  return { layout, ...(metaVersion !== undefined && { metaVersion }), stacks: pickStackFiles(files), ignored };
}

async function read(store: ObjectStore, key: string): Promise<Buffer> {
  const got = await getOrUndefined(store, key);
  if (!got) throw new DiyReadError(`${key} is gone (was the DIY backend changed while it was read?)`);
  return got.body;
}

function readAs<T>(key: string, body: Buffer, parse: (bytes: Buffer) => T): T {
  try {
    return parse(body);
  } catch (err) {
    throw new DiyReadError(`${key}: ${(err as Error).message}`, { cause: err });
  }
}

/** The state a stack file (or a history checkpoint) holds. */
export async function readState(store: ObjectStore, key: string): Promise<DiyState> {
  return readAs(key, await read(store, key), readDiyState);
}

/** An update a history file tells. */
export async function readUpdate(store: ObjectStore, key: string): Promise<DiyUpdate> {
  return readAs(key, await read(store, key), (b) => readDiyUpdate(inflate(b).toString('utf8')));
}

/** The stack's history entries, oldest first. */
export async function historyOf(store: ObjectStore, ref: DiyStackRef): Promise<DiyHistoryFiles[]> {
  const prefix = historyPrefix(ref);
  const keys: string[] = [];
  for await (const o of objectsUnder(store, prefix)) keys.push(o.key);
  return historyEntries(keys, prefix);
}

/** The stack's tags (stack_tags.go: loadStackTags); none when it has no tags file. */
export async function tagsOf(store: ObjectStore, ref: DiyStackRef): Promise<Record<string, string>> {
  const key = tagsKey(ref);
  const got = await getOrUndefined(store, key);
  if (!got) return {};
  return readAs(key, got.body, (b) => {
    const file = JSON.parse(b.toString('utf8')) as { version?: unknown; tags?: unknown };
    if (file.version !== 1) throw new Error(`unsupported stack tags version ${String(file.version)}`);
    const tags = typeof file.tags === 'object' && file.tags !== null ? (file.tags as Record<string, unknown>) : {};
    return Object.fromEntries(Object.entries(tags).filter((e): e is [string, string] => typeof e[1] === 'string'));
  });
}

/** The lock files of an update running on the stack in the DIY backend (lock.go: checkForLock). */
export async function locksOf(store: ObjectStore, ref: DiyStackRef): Promise<string[]> {
  const page = await store.list({ prefix: lockPrefix(ref), delimiter: '/' });
  return page.objects.map((o) => o.key);
}
