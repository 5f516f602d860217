/**
 * Walking the bucket stack by stack, for the operations that look at all of it (verify, gc,
 * backup, leases): the stacks of a scope found by listing "folders" (org → project → stack, as
 * README "Bucket layout" lays them out), and the objects of one stack, each classified by
 * `parseStackKey`. Everything is streamed: one stack's keys are held at a time.
 */
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import { getOrUndefined } from '../storage/conditional-writes.js';
import { LAYOUT_KEY, SYSTEM_PREFIX, layout, parseStackKey, type StackKey, type StackRef } from '../storage/layout.js';

export interface Scope {
  org?: string;
  project?: string;
  stack?: string;
}

/** Every stack name with a folder in the bucket (registered or not: a crashed create leaves objects). */
export async function* stacksIn(store: ObjectStore, scope: Scope = {}): AsyncGenerator<StackRef> {
  const orgs = scope.org ? [scope.org] : (await folders(store, '')).filter((o) => `${o}/` !== SYSTEM_PREFIX);
  for (const org of orgs) {
    const projects = scope.project ? [scope.project] : await folders(store, layout.orgPrefix(org));
    for (const project of projects) {
      const stacks = scope.stack ? [scope.stack] : await folders(store, layout.projectPrefix(org, project));
      for (const stack of stacks) yield { org, project, stack };
    }
  }
}

/** Names of the folders directly under `prefix`. */
export async function folders(store: ObjectStore, prefix: string): Promise<string[]> {
  return (await entriesAt(store, prefix)).folders;
}

/** The folders (names) and the objects directly under `prefix`: one delimiter listing. */
export async function entriesAt(store: ObjectStore, prefix: string): Promise<{ folders: string[]; objects: ObjectInfo[] }> {
  const names: string[] = [];
  const objects: ObjectInfo[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.list({ prefix, delimiter: '/', continuationToken });
    for (const p of page.commonPrefixes) names.push(p.slice(prefix.length, -1));
    objects.push(...page.objects);
    continuationToken = page.nextContinuationToken;
  } while (continuationToken);
  return { folders: names, objects };
}

/**
 * Like `stacksIn`, collected, with the objects found lying beside the folders on the way (at the
 * top, in an org's or a project's folder): no stack owns those, and `fulmar verify` reports them.
 * The top level is listed only for a whole-bucket scope; `_system/` is not walked.
 */
export async function stackFolders(store: ObjectStore, scope: Scope = {}): Promise<{ stacks: StackRef[]; loose: ObjectInfo[] }> {
  const stacks: StackRef[] = [];
  const loose: ObjectInfo[] = [];
  const at = async (prefix: string, given: string | undefined): Promise<string[]> => {
    if (given) return [given];
    const found = await entriesAt(store, prefix);
    loose.push(...found.objects);
    return found.folders;
  };
  for (const org of (await at('', scope.org)).filter((o) => `${o}/` !== SYSTEM_PREFIX)) {
    for (const project of await at(layout.orgPrefix(org), scope.project)) {
      for (const stack of await at(layout.projectPrefix(org, project), scope.stack)) stacks.push({ org, project, stack });
    }
  }
  return { stacks, loose };
}

/** Every object under `prefix`, page by page, in key order. */
export async function* objectsUnder(store: ObjectStore, prefix: string): AsyncGenerator<ObjectInfo> {
  let continuationToken: string | undefined;
  do {
    const page = await store.list({ prefix, continuationToken });
    yield* page.objects;
    continuationToken = page.nextContinuationToken;
  } while (continuationToken);
}

export interface StackObject {
  info: ObjectInfo;
  what: StackKey;
}

/** The objects under one stack's prefix (register included), classified. */
export async function stackObjects(store: ObjectStore, ref: StackRef): Promise<StackObject[]> {
  const found: StackObject[] = [];
  for await (const info of objectsUnder(store, layout.stackPrefix(ref))) found.push({ info, what: parseStackKey(ref, info.key) });
  return found;
}

/**
 * The store's clock now (docs/design.md, "Conditional writes": ages are judged by it, never by
 * this machine's), for a name that has no register to read it from.
 */
export async function storeNow(store: ObjectStore): Promise<Date> {
  return (await getOrUndefined(store, LAYOUT_KEY))?.storeTime ?? new Date();
}
