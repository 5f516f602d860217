/**
 * Removes the objects of a name's dead incarnations (docs/design.md, "Sweep"). Safe at any time,
 * on any pod, concurrently with anything: it LISTS FIRST and reads the register AFTER. An object
 * is written only after its incarnation's register was, so any incarnation seen in the listing
 * that the later read does not name is dead for good (incarnation ids are never reused) — a
 * create that lands after the read cannot have objects in the listing.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { incarnationOfKey, layout, type StackRef } from '../storage/layout.js';
import { liveIncarnation } from '../domain/stack-meta.js';
import type { MetaRegister } from './meta-register.js';
import { listAllKeys } from './json-objects.js';
import { mapLimit } from './prefix-ops.js';

export async function sweepStack(store: ObjectStore, register: MetaRegister, ref: StackRef): Promise<number> {
  const keys = await listAllKeys(store, layout.stackPrefix(ref));
  const keep = liveIncarnation((await register.readRaw(ref))?.meta);
  const dead = keys.filter((key) => {
    const inc = incarnationOfKey(ref, key);
    return inc !== undefined && inc !== keep;
  });
  await mapLimit(dead, 16, (key) => store.delete(key));
  return dead.length;
}
