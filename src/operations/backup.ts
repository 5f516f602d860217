/**
 * `fulmar backup DEST` (docs/operating.md, "Backup and restore"): a copy of the bucket, in the
 * bucket layout and under the same keys, that restores to a state where every stack is at a
 * version that was committed — while pods keep serving. The order is what makes it so:
 *
 *  1. every register is read first (src/operations/backup-capture.ts: leases dropped, moves seen
 *     from one side, tombstones kept), and captures torn by a move are read again;
 *  2. then the immutable objects those registers name (src/operations/backup-plan.ts) are
 *     copied, bounded in flight. Committed objects never change, so a copy taken later still
 *     holds exactly the bytes of the captured versions; one that disappeared went with its
 *     incarnation (the stack was deleted, or moved and swept), and that name is captured again;
 *  3. then the `_system/` objects (users, tokens, orgs, the reference index, the secrets canary —
 *     not the probes) and `fulmar.json`;
 *  4. then the registers, so a backup stopped midway never holds a register whose objects are
 *     not there;
 *  5. the manifest `fulmar-backup.json`, last: only a backup that has one is complete.
 *
 * It only reads the source: nothing is settled, committed or swept there.
 */
import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../storage/object-store.js';
import { getOrUndefined } from '../storage/conditional-writes.js';
import { LAYOUT_KEY, LAYOUT_VERSION, SYSTEM_PREFIX, layout, type StackRef } from '../storage/layout.js';
import { conflict, FulmarError } from '../domain/errors.js';
import { liveIncarnation, type StackMeta } from '../domain/stack-meta.js';
import type { KeyCanary } from '../domain/secrets-crypto.js';
import { decodeJson, encodeJson } from '../services/json-objects.js';
import { mapLimit } from '../services/prefix-ops.js';
import { fulmarVersion } from '../version.js';
import { objectsUnder, stacksIn } from './stack-inventory.js';
import { silentProgress, type Progress } from './progress.js';
import { captureRegister, labelOf, registerBytes, unsettledNames, type Captured } from './backup-capture.js';
import { MissingObject, planStack, type PlannedObject, type StackPlan } from './backup-plan.js';
import { BackupDestination } from './backup-dest.js';
import { MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, type BackupManifest, type BackupStack } from './backup-manifest.js';

export interface BackupOptions {
  /** Replace what the destination holds; without it the destination must be empty. */
  force?: boolean;
  /** Where the backup is taken from, for the manifest (never with credentials). */
  source?: string;
  progress?: Progress;
  /** Copies in flight (default 16). */
  concurrency?: number;
  now?: () => Date;
}

export interface BackupResult {
  manifest: BackupManifest;
  /** --force: keys the destination held that this backup does not, removed. */
  removed: number;
  /** --force: immutable objects already at the destination, kept instead of copied again. */
  reused: number;
}

/** Rounds of capturing names again (moves landing between reads, stacks vanishing under the copy). */
const MAX_ROUNDS = 8;

const probePrefix = layout.probeKey('');

export async function backup(source: ObjectStore, dest: ObjectStore, options: BackupOptions = {}): Promise<BackupResult> {
  const now = options.now ?? (() => new Date());
  const progress = options.progress ?? silentProgress;
  const limit = options.concurrency ?? 16;
  const startedAt = now();
  const out = await BackupDestination.open(dest, Boolean(options.force));

  // 1. Every register, before any object.
  progress.phase('listing stacks');
  const names: StackRef[] = [];
  for await (const ref of stacksIn(source)) {
    names.push(ref);
    progress.tick();
  }
  progress.phase('reading registers', names.length);
  const captures = new Map<string, Captured>();
  await mapLimit(names, limit, async (ref) => {
    captures.set(labelOf(ref), await captureRegister(source, ref, now()));
    progress.tick();
  });
  const capturedAt = now();

  const plans = new Map<string, StackPlan>();
  const todo = new Set<string>([...captures].filter(([, c]) => c.kind === 'live').map(([label]) => label));
  /** Reads a name again; true when what the backup would hold there changed. */
  const captureAgain = async (ref: StackRef): Promise<boolean> => {
    const label = labelOf(ref);
    const before = captures.get(label);
    const after = await captureRegister(source, ref, now());
    captures.set(label, after);
    if (before?.kind === 'live' && (after.kind !== 'live' || incarnationOf(after) !== incarnationOf(before))) {
      await out.forget(label);
      plans.delete(label);
    }
    const changed = !before || signature(before) !== signature(after);
    if (after.kind === 'live' && (changed || !plans.has(label))) todo.add(label);
    if (after.kind !== 'live') todo.delete(label);
    return changed;
  };

  // 2. The objects of every captured stack; names whose incarnation vanished are captured again.
  for (let round = 1; ; round++) {
    for (let settle = 1, again = unsettledNames(captures); again.length > 0; settle++, again = unsettledNames(captures)) {
      if (settle > MAX_ROUNDS) throw conflict(`stacks kept moving while the backup read them (${again.map(labelOf).join(', ')}); run it again`);
      let changed = false;
      for (const ref of again) changed = (await captureAgain(ref)) || changed;
      // Read twice the same: that is how the bucket is (a moved stack's target since deleted and
      // created anew, say), not a move landing between two reads.
      if (!changed) break;
    }
    if (todo.size === 0) break;
    if (round > MAX_ROUNDS) throw conflict(`stacks kept changing under the backup (${[...todo].join(', ')}); run it again`);
    const batch = [...todo].map((label) => captures.get(label) as Captured);
    todo.clear();
    const vanished = await copyStacks(source, out, batch, plans, limit, progress);
    for (const ref of vanished) await captureAgain(ref);
  }

  // 3. What is not a stack.
  progress.phase('copying _system objects');
  const system: string[] = [];
  for await (const info of objectsUnder(source, SYSTEM_PREFIX)) if (!info.key.startsWith(probePrefix)) system.push(info.key);
  progress.tick(0, system.length + 1);
  let canary: KeyCanary | undefined;
  await mapLimit([...system, LAYOUT_KEY], limit, async (key) => {
    // Gone since the listing (a revoked token): the backup holds the bucket as it is now.
    const got = await getOrUndefined(source, key);
    if (got) await out.write('', key, key === LAYOUT_KEY ? 'layout' : 'system', got.body);
    if (got && key === layout.keyCanaryKey()) canary = decodeJson<KeyCanary>(key, got.body);
    progress.tick();
  });

  // 4. The registers, after everything they name.
  const kept = [...captures.values()].filter((c) => c.kind !== 'none').sort((a, b) => labelOf(a.ref).localeCompare(labelOf(b.ref)));
  progress.phase('writing registers', kept.length);
  await mapLimit(kept, limit, async (c) => {
    await out.write(labelOf(c.ref), layout.metaKey(c.ref), 'registers', registerBytes(c, plans.get(labelOf(c.ref))?.lastUpdateOfVersion));
    progress.tick();
  });
  const removed = await out.removeStale();

  // 5. The manifest, last.
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    id: randomUUID(),
    layout: LAYOUT_VERSION,
    fulmarVersion: fulmarVersion(),
    source: options.source ?? source.kind,
    startedAt: startedAt.toISOString(),
    capturedAt: capturedAt.toISOString(),
    finishedAt: now().toISOString(),
    objects: out.tally,
    keyIds: [...new Set([...kept.filter((c) => c.kind === 'live').map((c) => (c.meta as StackMeta).secrets.keyId), ...(canary ? [canary.keyId] : [])])].sort(),
    stacks: kept.map(stackEntry),
    leftOut: [...plans.values()].reduce(
      (sum, p) => ({
        updates: sum.updates + p.leftOut.updates,
        updateObjects: sum.updateObjects + p.leftOut.updateObjects,
        unknownObjects: sum.unknownObjects + p.leftOut.unknownObjects,
      }),
      { updates: 0, updateObjects: 0, unknownObjects: 0 },
    ),
  };
  await out.writeManifest(encodeJson(manifest));
  progress.done();
  return { manifest, removed, reused: out.reused };
}

const incarnationOf = (c: Captured) => liveIncarnation(c.meta);
const signature = (c: Captured) => `${c.kind}|${c.meta?.stackId}|${c.meta?.incarnation}|${c.meta?.version}`;

function stackEntry(c: Captured): BackupStack {
  const meta = c.meta as StackMeta;
  return {
    stack: labelOf(c.ref),
    stackId: meta.stackId,
    state: c.kind === 'live' ? 'live' : 'tombstone',
    version: meta.version,
    ...(meta.incarnation && { incarnation: meta.incarnation }),
    capturedAt: c.capturedAt.toISOString(),
    ...(c.leftOutUpdate && { leftOutUpdate: c.leftOutUpdate }),
  };
}

/**
 * Plans and copies the objects of `batch`; answers the names whose incarnation went away under
 * the copy. An object missing while the register still names its incarnation is damage the
 * backup cannot paper over: it stops, and `fulmar verify` tells what else is wrong.
 */
async function copyStacks(
  source: ObjectStore,
  out: BackupDestination,
  batch: Captured[],
  plans: Map<string, StackPlan>,
  limit: number,
  progress: Progress,
): Promise<StackRef[]> {
  const vanished = new Map<string, StackRef>();
  const missing = async (c: Captured, key: string) => {
    const now = await getOrUndefined(source, layout.metaKey(c.ref));
    const nowMeta = now && decodeJson<StackMeta>(layout.metaKey(c.ref), now.body);
    if (liveIncarnation(nowMeta) !== incarnationOf(c)) {
      vanished.set(labelOf(c.ref), c.ref);
      return;
    }
    throw new FulmarError(
      'internal',
      `${labelOf(c.ref)} is at version ${(c.meta as StackMeta).version} but ${key} is missing from the source; run fulmar verify — the backup stops here`,
    );
  };

  progress.phase('listing objects', batch.length);
  const work: { c: Captured; o: PlannedObject }[] = [];
  await mapLimit(batch, Math.max(1, Math.floor(limit / 4)), async (c) => {
    try {
      const plan = await planStack(source, c.ref, c.meta as StackMeta);
      plans.set(labelOf(c.ref), plan);
      for (const o of plan.objects) work.push({ c, o });
    } catch (err) {
      if (!(err instanceof MissingObject)) throw err;
      await missing(c, err.key);
    }
    progress.tick();
  });

  const todo = work.filter(({ c }) => !vanished.has(labelOf(c.ref)));
  progress.phase('copying objects', todo.length);
  await mapLimit(todo, limit, async ({ c, o }) => {
    const owner = labelOf(c.ref);
    progress.tick();
    if (vanished.has(owner) || out.has(o.key) || out.reuse(owner, o.key, o.kind, o.size)) return;
    const body = o.body ?? (await getOrUndefined(source, o.key))?.body;
    if (body) await out.write(owner, o.key, o.kind, body);
    else await missing(c, o.key);
  });
  return [...vanished.values()];
}
