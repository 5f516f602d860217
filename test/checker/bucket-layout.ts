/**
 * Everything the checker knows about the bucket layout, in one place (README "Bucket layout").
 * The checker reads the bucket only through `prepare` and `scanBucket`; the layout version comes
 * from `fulmar.json` (`{"layout": N}`), so the checker follows the bucket it finds.
 *
 * Layout v1: `<org>/<project>/<stack>/meta.json` is the register; committed versions are
 * `<org>/<project>/<stack>/checkpoints/<v>.json`; every object of a stack lives under its prefix,
 * and a deleted stack's objects are removed with it.
 *
 * Layout v2: the objects of one incarnation live under `<org>/<project>/<stack>/i/<incarnation>/…`
 * (`incarnation` is a field of meta.json), tombstones (`"deleted": true`) stay in place, and
 * `sweepStack` (src/services/stack-sweep.ts) removes the objects of dead incarnations; `prepare`
 * runs it on every stack before a scan.
 */
import type { ObjectStore } from '../../src/storage/object-store.js';
import { MetaRegister } from '../../src/services/meta-register.js';
import { sweepStack } from '../../src/services/stack-sweep.js';
import { liveIncarnation, type StackMeta } from '../../src/domain/stack-meta.js';
import type { StackName } from './history.js';

export interface RegisterView {
  stackId: string;
  version: number;
  deleted: boolean;
  renaming: boolean;
  hasLease: boolean;
  /** Layout v2: the incarnation whose objects are live. */
  incarnation?: string;
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
const V1_CHECKPOINT = /^checkpoints\/(\d+)\.json$/;
const V2_CHECKPOINT = /^i\/([^/]+)\/checkpoints\/(\d+)\.json$/;

export async function layoutVersion(store: ObjectStore): Promise<number> {
  try {
    return (JSON.parse((await store.get('fulmar.json')).body.toString('utf8')) as { layout?: number }).layout ?? 1;
  } catch {
    return 1;
  }
}

/** Lets the layout tidy up before a scan: in v2, sweeps every stack's dead incarnations (docs/design.md, "Sweep"). */
export async function prepare(store: ObjectStore, names: StackName[]): Promise<void> {
  if ((await layoutVersion(store)) < 2) return;
  const register = new MetaRegister(store);
  for (const name of names) await sweepStack(store, register, name);
}

export async function scanBucket(store: ObjectStore): Promise<StackInBucket[]> {
  const version = await layoutVersion(store);
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
      if (version < 2) {
        const m = V1_CHECKPOINT.exec(k);
        return m ? [{ key: prefix + k, version: Number(m[1]), mine: live }] : [];
      }
      const m = V2_CHECKPOINT.exec(k);
      return m ? [{ key: prefix + k, version: Number(m[2]), mine: live && m[1] === register?.incarnation }] : [];
    });
    out.push({
      name,
      register,
      live,
      committedVersions: committed.filter((c) => c.mine).map((c) => c.version).sort((a, b) => a - b),
      strayCommitted: committed.filter((c) => !c.mine).map((c) => c.key),
    });
  }
  return out;
}

async function readRegister(store: ObjectStore, key: string): Promise<RegisterView | undefined> {
  try {
    const meta = JSON.parse((await store.get(key)).body.toString('utf8')) as StackMeta & { renaming?: unknown };
    return {
      stackId: meta.stackId,
      version: meta.version,
      deleted: !!meta.deleted,
      // v1: `renaming`; v2: a move mark on either end (docs/design.md, "Register states").
      renaming: !!(meta.renaming || meta.moving || meta.movingIn),
      hasLease: !!meta.lease,
      ...(liveIncarnation(meta) !== undefined && { incarnation: liveIncarnation(meta) }),
    };
  } catch {
    return undefined; // deleted between the listing and the read
  }
}
