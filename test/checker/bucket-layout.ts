/**
 * Everything the checker knows about the bucket layout, in one place (layout version 1, README
 * "Bucket layout"). The checker reads the bucket only through `scanBucket`, so a new layout is a
 * change to this file alone.
 *
 * Layout v1: `<org>/<project>/<stack>/meta.json` is the register; committed versions are
 * `<org>/<project>/<stack>/checkpoints/<v>.json`; every object of a stack lives under its prefix.
 *
 * For layout v2 (objects of one incarnation under `<org>/<project>/<stack>/i/<incarnation>/…`,
 * `incarnation` a field of meta.json, tombstones kept in place, `sweepStack(store, ref)` removing
 * dead incarnations): `prepare` calls sweepStack for every stack prefix found; `classify` takes the
 * live incarnation's `i/<incarnation>/checkpoints/<v>.json` as its committed versions and every
 * other `i/*\/checkpoints/*` key as stray.
 */
import type { ObjectStore } from '../../src/storage/object-store.js';
import type { StackName } from './history.js';

export const BUCKET_LAYOUT = 1;

export interface RegisterView {
  stackId: string;
  version: number;
  deleted: boolean;
  renaming: boolean;
  hasLease: boolean;
}

export interface StackInBucket {
  name: StackName;
  /** The register, if meta.json exists. */
  register?: RegisterView;
  /** A register that is neither deleted nor being moved away. */
  live: boolean;
  /** Versions of the committed checkpoints that belong to the live incarnation. */
  committedVersions: number[];
  /** Keys of committed checkpoints that belong to no live incarnation. */
  strayCommitted: string[];
}

const SYSTEM = /^(_system\/|fulmar\.json$)/;
const CHECKPOINT = /^checkpoints\/(\d+)\.json$/;

/** Lets the layout tidy up before a scan (v2: sweepStack on every stack). Nothing to do in v1. */
export async function prepare(_store: ObjectStore, _names: StackName[]): Promise<void> {}

export async function scanBucket(store: ObjectStore): Promise<StackInBucket[]> {
  const byStack = new Map<string, { name: StackName; keys: string[] }>();
  let continuationToken: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const listed = await store.list({ continuationToken });
    for (const { key } of listed.objects) {
      if (SYSTEM.test(key)) continue;
      const parts = key.split('/');
      if (parts.length < 4) continue;
      const [org, project, stack] = parts as [string, string, string];
      const id = `${org}/${project}/${stack}/`;
      const entry = byStack.get(id) ?? { name: { org, project, stack }, keys: [] };
      entry.keys.push(key.slice(id.length));
      byStack.set(id, entry);
    }
    continuationToken = listed.nextContinuationToken;
    if (!continuationToken) break;
  }
  const out: StackInBucket[] = [];
  for (const [prefix, { name, keys }] of byStack) {
    const register = keys.includes('meta.json') ? await readRegister(store, `${prefix}meta.json`) : undefined;
    const live = !!register && !register.deleted && !register.renaming;
    const committed = keys.flatMap((k) => {
      const m = CHECKPOINT.exec(k);
      return m ? [{ key: prefix + k, version: Number(m[1]) }] : [];
    });
    out.push({
      name,
      register,
      live,
      committedVersions: live ? committed.map((c) => c.version).sort((a, b) => a - b) : [],
      strayCommitted: live ? [] : committed.map((c) => c.key),
    });
  }
  return out;
}

async function readRegister(store: ObjectStore, key: string): Promise<RegisterView | undefined> {
  try {
    const meta = JSON.parse((await store.get(key)).body.toString('utf8')) as {
      stackId: string;
      version: number;
      deleted?: boolean;
      renaming?: unknown;
      lease?: unknown;
    };
    return { stackId: meta.stackId, version: meta.version, deleted: !!meta.deleted, renaming: !!meta.renaming, hasLease: !!meta.lease };
  } catch {
    return undefined; // deleted between the listing and the read
  }
}
