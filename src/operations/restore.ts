/**
 * `fulmar restore SRC` (docs/operating.md, "Backup and restore"): a backup written by
 * `fulmar backup` brought into the configured store, so that every stack is at the version the
 * manifest names with byte-identical checkpoints and history. In order:
 *
 *  1. the backup must be complete (its manifest, written last, is there) and whole (every
 *     register's versions present), and the configured keyring must open every stack's data key
 *     and the backup's canary — all checked before anything is written;
 *  2. the target must be empty but for what a fresh pod writes at its first start (`fulmar.json`,
 *     the secrets canary, probe objects), unless `force`;
 *  3. the objects — `_system/` and every stack's — are created once;
 *  4. the registers last, each created once: a restore stopped midway leaves no register that
 *     names a missing object, and is run again (with `force`, which finds its own objects
 *     there) to finish.
 *
 * With `force`, over a store that has stacks of its own: a register already there is replaced by
 * compare-and-swap, and the restored stack takes a fresh incarnation (derived from the backup and
 * the replaced register, so a rerun picks the same one), whose objects are the backup's; the name's
 * older incarnations are then swept. Writing the backup's objects under the old incarnation
 * instead could leave that incarnation's later versions in place, and the next commit would find
 * "its" checkpoint already written (docs/design.md, "Commit", step 2). A tombstone in the backup
 * never replaces a register: it holds nothing to bring back. `_system/` objects with other bytes
 * are replaced (compare-and-swap); a name the backup does not know is left alone.
 */
import { createHash } from 'node:crypto';
import type { ObjectStore } from '../storage/object-store.js';
import { createOnce, getOrUndefined } from '../storage/conditional-writes.js';
import { isPreconditionFailed } from '../storage/storage-error.js';
import { LAYOUT_KEY, SYSTEM_PREFIX, incarnationOfKey, layout, parseStackKey, type StackRef } from '../storage/layout.js';
import { conflict, FulmarError, notFound } from '../domain/errors.js';
import { locOf, type StackMeta } from '../domain/stack-meta.js';
import type { KeyCanary, Keyring } from '../domain/secrets-crypto.js';
import { decodeJson, encodeJson } from '../services/json-objects.js';
import { freshNonce, MetaRegister } from '../services/meta-register.js';
import { mapLimit } from '../services/prefix-ops.js';
import { sweepStack } from '../services/stack-sweep.js';
import { objectsUnder } from './stack-inventory.js';
import { silentProgress, type Progress } from './progress.js';
import { MANIFEST_KEY, addTo, emptyTally, parseManifest, type BackupKind, type BackupManifest, type Tally } from './backup-manifest.js';
import { checkBackupKeys, keyProblemsError } from './backup-keys.js';

export interface RestoreOptions {
  force?: boolean;
  /** Check and count, write nothing. */
  dryRun?: boolean;
  /** How messages name the backup (a location without credentials). */
  where?: string;
  progress?: Progress;
  concurrency?: number;
  /** The backup as `readBackup` already read it (the command reads it before opening the target). */
  contents?: BackupContents;
}

export type RegisterAction = 'create' | 'replace' | 'unchanged' | 'keep-target';

export interface RestoredStack {
  stack: string;
  state: 'live' | 'tombstone';
  version: number;
  action: RegisterAction;
  /** The incarnation it has in the target (a fresh one when it replaced a register). */
  incarnation?: string;
}

export interface RestoreResult {
  backup: Pick<BackupManifest, 'id' | 'source' | 'startedAt' | 'finishedAt' | 'fulmarVersion'>;
  dryRun: boolean;
  /** Objects written (with dryRun: to be written), by kind; ones already there with the same bytes count too. */
  objects: Tally;
  registers: Record<RegisterAction, number>;
  stacks: RestoredStack[];
}

/** Keys a pod writes into an empty store at its first start (src/storage/probe.ts, src/services/master-keys.ts). */
export function isFirstStartKey(key: string): boolean {
  return key === LAYOUT_KEY || key === layout.keyCanaryKey() || key.startsWith(layout.probeKey(''));
}

interface BackupRegister {
  ref: StackRef;
  label: string;
  key: string;
  body: Buffer;
  meta: StackMeta;
}

interface Decision {
  action: RegisterAction;
  /** The target's register when replacing it (its ETag is the compare-and-swap's condition). */
  etag?: string;
  /** The restored register's incarnation in the target, when it differs from the backup's. */
  incarnation?: string;
}

/** What restore reads off a backup before it writes anything. */
export interface BackupContents {
  manifest: BackupManifest;
  registers: Map<string, BackupRegister>;
  /** Every other key, grouped: `_system/` ones, and each stack's objects by stack label. */
  system: { key: string; size: number }[];
  stackObjects: Map<string, { key: string; size: number }[]>;
  canary: KeyCanary | undefined;
}

/** Reads and checks a backup: manifest present, every register's committed versions there. */
export async function readBackup(backupStore: ObjectStore, where: string, progress: Progress = silentProgress, limit = 16): Promise<BackupContents> {
  const manifestObject = await getOrUndefined(backupStore, MANIFEST_KEY);
  if (!manifestObject) {
    throw notFound(`${where} holds no ${MANIFEST_KEY}: it is not a Fulmar backup, or one that did not finish (the manifest is written last)`);
  }
  const manifest = parseManifest(manifestObject.body, where);
  progress.phase('listing the backup');
  const system: { key: string; size: number }[] = [];
  const registerKeys: { ref: StackRef; key: string }[] = [];
  const stackObjects = new Map<string, { key: string; size: number }[]>();
  const keys = new Set<string>();
  for await (const info of objectsUnder(backupStore, '')) {
    progress.tick();
    keys.add(info.key);
    const parts = info.key.split('/');
    if (info.key === MANIFEST_KEY || isFirstStartKey(info.key)) continue;
    if (info.key.startsWith(SYSTEM_PREFIX)) system.push({ key: info.key, size: info.size });
    else if (parts.length === 4 && parts[3] === 'meta.json') registerKeys.push({ ref: refOfParts(parts), key: info.key });
    else if (parts.length > 4) {
      const label = parts.slice(0, 3).join('/');
      const list = stackObjects.get(label) ?? [];
      list.push({ key: info.key, size: info.size });
      stackObjects.set(label, list);
    }
  }
  progress.phase('reading registers', registerKeys.length);
  const registers = new Map<string, BackupRegister>();
  await mapLimit(registerKeys, limit, async ({ ref, key }) => {
    const got = await backupStore.get(key);
    const label = `${ref.org}/${ref.project}/${ref.stack}`;
    registers.set(label, { ref, label, key, body: got.body, meta: decodeJson<StackMeta>(key, got.body) });
    progress.tick();
  });
  const canaryObject = await getOrUndefined(backupStore, layout.keyCanaryKey());
  const canary = canaryObject && decodeJson<KeyCanary>(layout.keyCanaryKey(), canaryObject.body);

  const damage: string[] = [];
  for (const s of manifest.stacks) if (!registers.has(s.stack)) damage.push(`${s.stack}: its register is missing`);
  for (const r of registers.values()) {
    if (r.meta.deleted) continue;
    const loc = locOf(r.meta);
    for (let v = 1; v <= r.meta.version; v++) {
      for (const key of [layout.checkpointKey(loc, v), layout.historyKey(loc, v)]) if (!keys.has(key)) damage.push(`${r.label}: ${key} is missing`);
    }
  }
  if (damage.length > 0) {
    throw new FulmarError('conflict', `the backup at ${where} is damaged: ${damage.slice(0, 5).join('; ')}${damage.length > 5 ? ` (and ${damage.length - 5} more)` : ''}`);
  }
  return { manifest, registers, system, stackObjects, canary };
}

function refOfParts(parts: string[]): StackRef {
  return { org: parts[0] as string, project: parts[1] as string, stack: parts[2] as string };
}

export async function restore(
  backupStore: ObjectStore,
  target: ObjectStore,
  keyring: Keyring,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const progress = options.progress ?? silentProgress;
  const limit = options.concurrency ?? 16;
  const where = options.where ?? backupStore.kind;
  const force = Boolean(options.force);

  // 1. A complete, whole backup whose secrets this keyring opens.
  const contents = options.contents ?? (await readBackup(backupStore, where, progress, limit));
  const { manifest, registers } = contents;
  const problems = checkBackupKeys(keyring, registers.values(), contents.canary);
  if (problems.length > 0) throw keyProblemsError(problems, keyring);

  // 2. An empty target, or --force.
  progress.phase('checking the target');
  if (!force) {
    for await (const info of objectsUnder(target, '')) {
      if (isFirstStartKey(info.key)) continue;
      throw conflict(
        `the target store is not empty (it holds ${info.key}); restore into an empty bucket, prefix or data folder, ` +
          'or pass --force to restore over what is there (docs/operating.md, "Backup and restore")',
      );
    }
  }
  const decisions = new Map<string, Decision>();
  await mapLimit([...registers.values()], limit, async (r) => {
    decisions.set(r.label, force ? await decide(target, r, manifest.id) : { action: 'create' });
  });

  // What would be written, by kind.
  const objects = emptyTally();
  const copies: { from: string; to: string; kind: BackupKind; mutable: boolean }[] = [];
  for (const { key, size } of contents.system) {
    copies.push({ from: key, to: key, kind: 'system', mutable: true });
    addTo(objects, 'system', size);
  }
  for (const [label, list] of contents.stackObjects) {
    const r = registers.get(label);
    const d = decisions.get(label);
    // Objects of a name without a live register in the backup, or already restored, are not copied.
    if (!r || r.meta.deleted || !d || d.action === 'unchanged' || d.action === 'keep-target') continue;
    const incarnation = r.meta.incarnation ?? '';
    const from = layout.objectsPrefix(locOf(r.meta));
    const to = d.incarnation ? layout.objectsPrefix({ ...r.ref, incarnation: d.incarnation }) : from;
    for (const { key, size } of list) {
      // Only the objects of the incarnation the register names (a backup holds no others).
      if (incarnationOfKey(r.ref, key) !== incarnation) continue;
      const kind = kindOf(r.ref, key);
      const mapped = to + key.slice(from.length);
      copies.push({ from: key, to: mapped, kind, mutable: kind === 'updates' });
      addTo(objects, kind, size);
    }
  }
  for (const r of registers.values()) {
    const action = decisions.get(r.label)?.action;
    if (action === 'create' || action === 'replace') addTo(objects, 'registers', r.body.length);
  }
  const count = (a: RegisterAction) => [...decisions.values()].filter((d) => d.action === a).length;
  const result: RestoreResult = {
    backup: { id: manifest.id, source: manifest.source, startedAt: manifest.startedAt, finishedAt: manifest.finishedAt, fulmarVersion: manifest.fulmarVersion },
    dryRun: Boolean(options.dryRun),
    objects,
    registers: { create: count('create'), replace: count('replace'), unchanged: count('unchanged'), 'keep-target': count('keep-target') },
    stacks: [...registers.values()]
      .sort((a, b) => a.label.localeCompare(b.label))
      .map((r) => {
        const d = decisions.get(r.label) as Decision;
        const incarnation = d.incarnation ?? r.meta.incarnation;
        return { stack: r.label, state: r.meta.deleted ? 'tombstone' : 'live', version: r.meta.version, action: d.action, ...(incarnation && { incarnation }) };
      }),
  };
  if (options.dryRun) {
    progress.done();
    return result;
  }

  // 3. Objects, created once. A fresh pod's marker and canary are the target's own; the backup's
  // are written only where there are none (the keyring was checked against the backup's canary).
  progress.phase('copying objects', copies.length + 2);
  for (const key of [LAYOUT_KEY, layout.keyCanaryKey()]) {
    const got = await getOrUndefined(backupStore, key);
    if (got) await createOnce(target, key, got.body);
    progress.tick();
  }
  await mapLimit(copies, limit, async (c) => {
    const got = await backupStore.get(c.from);
    await putOnce(target, c.to, got.body, force && c.mutable);
    progress.tick();
  });

  // 4. Registers, last.
  const written = [...registers.values()].filter((r) => ['create', 'replace'].includes(decisions.get(r.label)?.action as string));
  progress.phase('writing registers', written.length);
  const register = new MetaRegister(target);
  await mapLimit(written, limit, async (r) => {
    const d = decisions.get(r.label) as Decision;
    if (d.action === 'create') {
      if (!(await createOnce(target, r.key, r.body))) {
        const there = await getOrUndefined(target, r.key);
        if (!there?.body.equals(r.body)) throw conflict(`${r.label} was created in the target while restore ran; run restore again (with --force to replace it)`);
      }
    } else {
      const body = encodeJson({ ...r.meta, ...(d.incarnation && { incarnation: d.incarnation }), nonce: freshNonce() });
      try {
        await target.put(r.key, body, { ifMatch: d.etag as string, contentType: 'application/json' });
      } catch (err) {
        if (isPreconditionFailed(err)) throw conflict(`${r.label} changed in the target while restore ran; run restore again`);
        throw err;
      }
      // The name's earlier incarnations are dead now (docs/design.md, "Sweep").
      await sweepStack(target, register, r.ref);
    }
    progress.tick();
  });
  progress.done();
  return result;
}

/** With --force: what to do with a name whose register may already be in the target. */
async function decide(target: ObjectStore, r: BackupRegister, backupId: string): Promise<Decision> {
  const there = await getOrUndefined(target, r.key);
  if (!there) return { action: 'create' };
  if (there.body.equals(r.body)) return { action: 'unchanged' };
  if (r.meta.deleted) return { action: 'keep-target' };
  const current = decodeJson<StackMeta>(r.key, there.body);
  // Restored over by an earlier run of this restore: the same register under the incarnation it chose.
  if (sameApartFrom(current, r.meta)) return { action: 'unchanged', incarnation: current.incarnation };
  const incarnation = createHash('sha256').update(`fulmar-restore:${backupId}:${r.meta.stackId}:${current.nonce}`).digest('hex').slice(0, 32);
  return { action: 'replace', etag: there.etag, incarnation };
}

function sameApartFrom(a: StackMeta, b: StackMeta): boolean {
  const strip = ({ nonce: _n, incarnation: _i, ...rest }: StackMeta) => JSON.stringify(rest);
  return strip(a) === strip(b);
}

function kindOf(ref: StackRef, key: string): BackupKind {
  const what = parseStackKey(ref, key);
  if (what.kind === 'checkpoint') return 'checkpoints';
  if (what.kind === 'history') return 'history';
  if (what.kind === 'update-events') return 'events';
  return 'updates';
}

/**
 * Create-once; the same bytes already there is an earlier run of this restore. Other bytes are
 * replaced by compare-and-swap only where that is allowed (--force, mutable objects).
 */
async function putOnce(target: ObjectStore, key: string, body: Buffer, mayReplace: boolean): Promise<void> {
  if (await createOnce(target, key, body)) return;
  const there = await getOrUndefined(target, key);
  if (!there) {
    if (await createOnce(target, key, body)) return;
    throw conflict(`${key} kept changing in the target while restore ran; run restore again`);
  }
  if (there.body.equals(body)) return;
  if (!mayReplace) throw conflict(`${key} in the target holds other bytes than the backup's; restore into an empty store, or with --force`);
  try {
    await target.put(key, body, { ifMatch: there.etag, contentType: 'application/json' });
  } catch (err) {
    if (isPreconditionFailed(err)) throw conflict(`${key} changed in the target while restore ran; run restore again`);
    throw err;
  }
}
