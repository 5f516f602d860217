/**
 * What `fulmar verify` judges about one stack (docs/operating.md, "Verify"), as pure decisions
 * over what the operation read: the register's bytes, one listing of the name taken while the
 * register did not change, and the bodies of the committed objects. Each problem names the key
 * it is about and says what to do.
 *
 * Written not to cry wolf while pods serve: a running update's objects (`updates/<id>/…`) are
 * not judged; a version being committed may already have its objects beyond the register's
 * version (a lease names it); leftovers younger than the margin may belong to a sweep about to
 * run; and a name being moved into is not complete until its move lands.
 */
import { layout, type StackRef } from '../storage/layout.js';
import { checkDeployment } from './deployment-check.js';
import { isFulmarError } from './errors.js';
import { unwrapDataKey, type Keyring } from './secrets-crypto.js';
import { META_SCHEMA, locOf, registerState, retainedFrom, type StackMeta } from './stack-meta.js';
import { byIncarnation, deadObjects, olderThan, type ListedObject } from './stack-leftovers.js';
import { stackPath } from './stack-label.js';

export type ProblemKind =
  | 'register-unreadable'
  | 'register-schema'
  | 'checkpoint-missing'
  | 'checkpoint-invalid'
  | 'history-missing'
  | 'history-invalid'
  | 'stray-version'
  | 'data-key'
  | 'lease-dead'
  | 'commit-unfinished'
  | 'orphan'
  | 'unregistered'
  | 'unknown-key'
  | 'system-object';

export interface Problem {
  kind: ProblemKind;
  /** The bucket key (or prefix, for a group of objects) the problem is about. */
  key: string;
  /** `org/project/stack`, when the problem belongs to a stack. */
  stack?: string;
  message: string;
}

/** How long past its expiry a lease must be before verify calls its holder dead. */
export const LEASE_GRACE_MS = 60 * 60_000;

const problem = (kind: ProblemKind, key: string, ref: StackRef | undefined, message: string): Problem => ({
  kind,
  key,
  ...(ref && { stack: stackPath(ref) }),
  message,
});

/** The register's bytes as a register this Fulmar can read, or the problem with them. */
export function parseRegister(ref: StackRef, body: Buffer): { meta: StackMeta } | { problem: Problem } {
  const key = layout.metaKey(ref);
  let meta: StackMeta;
  try {
    meta = JSON.parse(body.toString('utf8')) as StackMeta;
  } catch {
    return { problem: problem('register-unreadable', key, ref, 'not valid JSON: every read of the stack fails; restore it from a backup') };
  }
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) {
    return { problem: problem('register-unreadable', key, ref, 'not a JSON object: every read of the stack fails; restore it from a backup') };
  }
  if (!Number.isSafeInteger(meta.schema) || meta.schema < 1) {
    return { problem: problem('register-schema', key, ref, `"schema" is ${JSON.stringify(meta.schema)}, not a register schema`) };
  }
  if (meta.schema > META_SCHEMA) {
    return { problem: problem('register-schema', key, ref, `schema ${meta.schema} is newer than this Fulmar reads (${META_SCHEMA}): run verify with the Fulmar the pods run`) };
  }
  const missing = [
    typeof meta.stackId !== 'string' && 'stackId',
    !(Number.isSafeInteger(meta.version) && meta.version >= 0) && 'version',
    !(meta.secrets && typeof meta.secrets === 'object') && 'secrets',
  ].filter(Boolean);
  if (missing.length > 0) {
    return { problem: problem('register-unreadable', key, ref, `not a stack register (bad or missing ${missing.join(', ')}); restore it from a backup`) };
  }
  return { meta };
}

export interface ListingAudit {
  problems: Problem[];
  /** Committed objects of the live incarnation whose bodies are to be checked. */
  checkpoints: { version: number; key: string }[];
  history: { version: number; key: string }[];
}

export interface ListingInput<T extends ListedObject> {
  ref: StackRef;
  /** The register (read before the listing and unchanged after it); undefined when there is none. */
  meta: StackMeta | undefined;
  objects: readonly T[];
  storeTime: Date;
  marginMs: number;
  leaseGraceMs?: number;
}

/** Everything the listing alone tells: missing versions, leftovers, stuck leases, unknown keys. */
export function auditListing<T extends ListedObject>({ ref, meta, objects, storeTime, marginMs, leaseGraceMs = LEASE_GRACE_MS }: ListingInput<T>): ListingAudit {
  const out: ListingAudit = { problems: [], checkpoints: [], history: [] };
  const dead = deadObjects(objects, meta).filter((o) => olderThan(o.info, storeTime, marginMs));
  if (!meta) {
    if (dead.length > 0) {
      out.problems.push(
        problem('unregistered', layout.stackPrefix(ref), ref, `${describe(dead)} under a name with no register (no protocol leaves this; a register deleted by hand?): fulmar gc removes them`),
      );
    }
    return out;
  }
  for (const group of byIncarnation(ref, dead)) {
    const whose = group.incarnation ? `incarnation ${group.incarnation}, which the register does not name` : 'layout 1, which the register no longer uses';
    out.problems.push(problem('orphan', group.prefix, ref, `${describe(group.objects)} of ${whose} (a delete or move whose sweep never ran): fulmar gc removes them`));
  }
  const state = registerState(meta);
  if (state === 'tombstone') return out;

  const live = objects.filter((o) => !dead.includes(o) && o.what.kind !== 'register' && o.what.incarnation === (meta.incarnation ?? ''));
  for (const o of live) {
    if (o.what.kind === 'unknown') out.problems.push(problem('unknown-key', o.info.key, ref, 'not an object of the bucket layout (README, "Bucket layout"); Fulmar never reads it'));
  }
  // A name being moved into fills up while its move copies; the move's end makes it whole.
  if (state === 'moving-in') return out;

  const loc = locOf(meta);
  const lease = meta.lease;
  const committed = { checkpoint: new Set<number>(), history: new Set<number>() };
  for (const o of live) {
    const w = o.what;
    if (w.kind !== 'checkpoint' && w.kind !== 'history') continue;
    if (w.version <= meta.version) committed[w.kind].add(w.version);
    // A commit writes version v's objects before the register says v (docs/design.md, "Commit").
    else if (lease?.version !== w.version) {
      out.problems.push(problem('stray-version', o.info.key, ref, `version ${w.version} is beyond the register's ${meta.version} and no update holds it: a commit that never landed; it is never served, and may be removed by hand`));
    }
  }
  const floor = retainedFrom(meta);
  for (let v = 1; v <= meta.version; v++) {
    if (v >= floor) {
      const key = layout.checkpointKey(loc, v);
      if (committed.checkpoint.has(v)) out.checkpoints.push({ version: v, key });
      else out.problems.push(missingProblem(ref, 'checkpoint', key, v));
    }
    const key = layout.historyKey(loc, v);
    if (committed.history.has(v)) out.history.push({ version: v, key });
    else out.problems.push(missingProblem(ref, 'history', key, v));
  }
  if (lease) {
    const past = storeTime.getTime() - (Date.parse(lease.renewedAt) + lease.durationSeconds * 1000);
    if (past > leaseGraceMs) {
      const hours = (past / 3_600_000).toFixed(1);
      const cmd = `fulmar leases break ${stackPath(ref)}`;
      out.problems.push(
        lease.sealed
          ? problem('commit-unfinished', layout.metaKey(ref), ref, `update ${lease.updateId} was sealed ${hours} h past its lease and nobody finished the commit: ${cmd} (or the next update) finishes it`)
          : problem('lease-dead', layout.metaKey(ref), ref, `update ${lease.updateId} stopped renewing its lease ${hours} h past expiry; its holder is dead: run ${cmd}`),
      );
    }
  }
  return out;
}

/** A committed version's checkpoint or history entry is not in the bucket. */
export function missingProblem(ref: StackRef, what: 'checkpoint' | 'history', key: string, version: number): Problem {
  return what === 'checkpoint'
    ? problem('checkpoint-missing', key, ref, `version ${version} is committed but its deployment is not in the bucket: exports of it fail; restore the object from a backup`)
    : problem('history-missing', key, ref, `version ${version} is committed but its history entry is not in the bucket: pulumi stack history leaves it out`);
}

/** A committed checkpoint's body: a deployment the CLI can read back, or the problem. */
export function checkpointProblem(ref: StackRef, key: string, body: Buffer): Problem | undefined {
  try {
    checkDeployment(body, 'checkpoint');
    return undefined;
  } catch (err) {
    if (!isFulmarError(err)) throw err;
    return problem('checkpoint-invalid', key, ref, `${err.message}: exports of this version fail; restore the object from a backup`);
  }
}

/** A history entry's body: JSON naming the version it is filed under. */
export function historyProblem(ref: StackRef, key: string, version: number, body: Buffer): Problem | undefined {
  let entry: { version?: unknown; updateId?: unknown };
  try {
    entry = JSON.parse(body.toString('utf8')) as typeof entry;
  } catch {
    return problem('history-invalid', key, ref, 'not valid JSON: pulumi stack history leaves it out');
  }
  if (entry?.version !== version) {
    return problem('history-invalid', key, ref, `names version ${JSON.stringify(entry?.version)}, not ${version}: pulumi stack history shows it wrongly`);
  }
  return undefined;
}

/** The stack's data key must unwrap with the keyring, or its secrets cannot be read. */
export function dataKeyProblem(ref: StackRef, meta: StackMeta, keyring: Keyring): Problem | undefined {
  try {
    unwrapDataKey(keyring, meta.secrets, meta.stackId);
    return undefined;
  } catch (err) {
    return problem(
      'data-key',
      layout.metaKey(ref),
      ref,
      `${(err as Error).message}: pulumi cannot read or write this stack's secrets; give FULMAR_MASTER_KEYS the key that wrapped it`,
    );
  }
}

/** A `_system/` object that does not parse, for the key's kind. */
export function systemProblem(key: string, message: string): Problem {
  return problem('system-object', key, undefined, message);
}

export function unknownKeyProblem(key: string): Problem {
  return problem('unknown-key', key, undefined, 'not an object of the bucket layout (README, "Bucket layout"); Fulmar never reads it');
}

function describe(objects: readonly ListedObject[]): string {
  const bytes = objects.reduce((n, o) => n + o.info.size, 0);
  return `${objects.length} object${objects.length === 1 ? '' : 's'} (${bytes} bytes)`;
}
