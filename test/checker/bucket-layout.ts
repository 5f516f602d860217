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
 * `sweepStack(store, ref)` (exported by a module of src/services) removes the objects of dead
 * incarnations; `prepare` runs it on every stack before a scan, when it exists.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ObjectStore } from '../../src/storage/object-store.js';
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

type Sweep = (store: ObjectStore, ref: StackName) => Promise<unknown>;

export async function layoutVersion(store: ObjectStore): Promise<number> {
  try {
    return (JSON.parse((await store.get('fulmar.json')).body.toString('utf8')) as { layout?: number }).layout ?? 1;
  } catch {
    return 1;
  }
}

/** Lets the layout tidy up before a scan: in v2, sweeps every stack's dead incarnations. */
export async function prepare(store: ObjectStore, names: StackName[]): Promise<void> {
  if ((await layoutVersion(store)) < 2) return;
  const sweep = await findSweep();
  // Without a sweep, dead incarnations' objects are expected to stay, and the scan would flag them.
  if (!sweep) throw new Error('bucket layout v2, but no module of src/services exports sweepStack(store, ref)');
  for (const name of names) await sweep(store, name);
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
    const meta = JSON.parse((await store.get(key)).body.toString('utf8')) as {
      stackId: string;
      version: number;
      deleted?: boolean;
      renaming?: unknown;
      lease?: unknown;
      incarnation?: string;
    };
    return {
      stackId: meta.stackId,
      version: meta.version,
      deleted: !!meta.deleted,
      renaming: !!meta.renaming,
      hasLease: !!meta.lease,
      ...(meta.incarnation !== undefined && { incarnation: meta.incarnation }),
    };
  } catch {
    return undefined; // deleted between the listing and the read
  }
}

/** The services' `sweepStack`, wherever in src/services it lives (service modules have no import side effects). */
async function findSweep(): Promise<Sweep | undefined> {
  const dir = join(import.meta.dirname, '..', '..', 'src', 'services');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { sweepStack?: Sweep };
    if (typeof mod.sweepStack === 'function') return mod.sweepStack;
  }
  return undefined;
}
