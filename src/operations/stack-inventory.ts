/**
 * Walking the bucket stack by stack, for the operations that look at all of it (verify, gc,
 * backup, leases): the stacks of a scope found by listing "folders" (org → project → stack, as
 * README "Bucket layout" lays them out), and the objects of one stack, each classified by
 * `parseStackKey`. Everything is streamed: one stack's keys are held at a time.
 */
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import { SYSTEM_PREFIX, layout, parseStackKey, type StackKey, type StackRef } from '../storage/layout.js';

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
  const names: string[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.list({ prefix, delimiter: '/', continuationToken });
    for (const p of page.commonPrefixes) names.push(p.slice(prefix.length, -1));
    continuationToken = page.nextContinuationToken;
  } while (continuationToken);
  return names;
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
