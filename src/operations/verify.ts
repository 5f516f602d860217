/**
 * `fulmar verify` (docs/operating.md, "Verify"): reads the bucket stack by stack and reports
 * every object that breaks a promise of the layout — a register that does not parse, a committed
 * version without its deployment or history entry, a deployment the CLI could not read back, a
 * data key the keyring cannot unwrap, a lease whose holder is long dead, objects nobody owns —
 * each with the key involved. It only reads, so it is safe while pods serve.
 *
 * One stack is judged on a consistent view: its register is read BEFORE the listing (so every
 * version it names was written before the listing began) and its ETag checked again AFTER (every
 * register write carries a fresh nonce, so an unchanged ETag means nothing was committed, deleted,
 * moved or pruned meanwhile — gc raises its floor by CAS before removing anything). A stack that
 * keeps changing is retried a few times, then reported as busy rather than judged. The decisions
 * themselves are pure: src/domain/stack-audit.ts.
 */
import type { ObjectStore } from '../storage/object-store.js';
import { getOrUndefined } from '../storage/conditional-writes.js';
import { isStorageError } from '../storage/storage-error.js';
import { LAYOUT_KEY, layout, type StackRef } from '../storage/layout.js';
import type { Keyring } from '../domain/secrets-crypto.js';
import { registerState } from '../domain/stack-meta.js';
import { LEFTOVER_MARGIN_MS } from '../domain/stack-leftovers.js';
import {
  auditListing,
  checkpointProblem,
  dataKeyProblem,
  historyProblem,
  missingProblem,
  parseRegister,
  systemProblem,
  unknownKeyProblem,
  type Problem,
} from '../domain/stack-audit.js';
import { stackPath } from '../domain/stack-label.js';
import { mapLimit } from '../services/prefix-ops.js';
import { objectsUnder, stackFolders, stackObjects, storeNow, type Scope } from './stack-inventory.js';
import { silentProgress, type Progress } from './progress.js';

export interface VerifyOptions {
  /** Leftovers younger than this are not reported (a sweep may be about to remove them). */
  marginMs?: number;
  /** How long past its expiry a lease must be to count as dead. */
  leaseGraceMs?: number;
}

export interface VerifyReport {
  problems: Problem[];
  /** Stack names walked. */
  stacks: number;
  /** Objects looked at (listed). */
  objects: number;
  /** Stacks that changed under every attempt to read them consistently (`org/project/stack`). */
  busy: string[];
}

/** Reads of one stack until register and listing agree. */
const ATTEMPTS = 4;
const READ_PARALLELISM = 8;

export async function verifyBucket(
  store: ObjectStore,
  keyring: Keyring,
  scope: Scope = {},
  progress: Progress = silentProgress,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  progress.phase('finding stacks');
  const { stacks, loose } = await stackFolders(store, scope);
  const report: VerifyReport = { problems: [], stacks: stacks.length, objects: loose.length, busy: [] };
  for (const o of loose) if (o.key !== LAYOUT_KEY) report.problems.push(unknownKeyProblem(o.key));
  progress.phase('verifying stacks', stacks.length);
  for (const ref of stacks) {
    const judged = await verifyStack(store, keyring, ref, options);
    if (judged === 'busy') report.busy.push(stackPath(ref));
    else {
      report.problems.push(...judged.problems);
      report.objects += judged.objects;
    }
    progress.tick();
  }
  if (!scope.org) await verifySystem(store, report, progress);
  progress.done();
  return report;
}

async function verifyStack(store: ObjectStore, keyring: Keyring, ref: StackRef, options: VerifyOptions) {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const before = await getOrUndefined(store, layout.metaKey(ref));
    const objects = await stackObjects(store, ref);
    if ((await registerEtag(store, ref)) !== before?.etag) continue;
    const storeTime = before?.storeTime ?? (await storeNow(store));
    const marginMs = options.marginMs ?? LEFTOVER_MARGIN_MS;
    if (!before) {
      const { problems } = auditListing({ ref, meta: undefined, objects, storeTime, marginMs });
      return { problems, objects: objects.length };
    }
    const parsed = parseRegister(ref, before.body);
    if ('problem' in parsed) return { problems: [parsed.problem], objects: objects.length };
    const { meta } = parsed;
    const audit = auditListing({ ref, meta, objects, storeTime, marginMs, leaseGraceMs: options.leaseGraceMs });
    const problems = [...audit.problems];
    if (registerState(meta) !== 'tombstone') {
      const keyProblem = dataKeyProblem(ref, meta, keyring);
      if (keyProblem) problems.push(keyProblem);
    }
    // The bodies: listed a moment ago, so one found missing now was removed since — by a delete,
    // a move or gc, each of which changes the register first.
    const reads = [
      ...audit.checkpoints.map((c) => ({ ...c, what: 'checkpoint' as const, check: (body: Buffer) => checkpointProblem(ref, c.key, body) })),
      ...audit.history.map((h) => ({ ...h, what: 'history' as const, check: (body: Buffer) => historyProblem(ref, h.key, h.version, body) })),
    ];
    const found = await mapLimit(reads, READ_PARALLELISM, async (r) => {
      const got = await getOrUndefined(store, r.key);
      return got ? { problem: r.check(got.body) } : { gone: r };
    });
    const gone = found.flatMap((f) => (f.gone ? [f.gone] : []));
    if (gone.length > 0 && (await registerEtag(store, ref)) !== before.etag) continue;
    for (const f of found) if (f.problem) problems.push(f.problem);
    // Still the same register: removed by hand, between our listing and our read.
    for (const r of gone) problems.push(missingProblem(ref, r.what, r.key, r.version));
    return { problems, objects: objects.length };
  }
  return 'busy' as const;
}

async function registerEtag(store: ObjectStore, ref: StackRef): Promise<string | undefined> {
  try {
    return (await store.head(layout.metaKey(ref))).etag;
  } catch (err) {
    if (isStorageError(err, 'not-found')) return undefined;
    throw err;
  }
}

/**
 * The cheap checks of `_system/`: each org record, user record and token record parses, and
 * names what its key says. (The canary was proved when the store was opened; token-owner
 * entries without a token are pruned by readers, docs/design.md, "The way in".)
 */
async function verifySystem(store: ObjectStore, report: VerifyReport, progress: Progress): Promise<void> {
  const kinds: { prefix: string; check: (name: string, value: Record<string, unknown>) => string | undefined }[] = [
    {
      prefix: layout.orgsPrefix(),
      check: (name, v) =>
        v.name !== name ? `names org ${JSON.stringify(v.name)}, not '${name}'` : v.kind !== 'org' && v.kind !== 'personal' ? `kind ${JSON.stringify(v.kind)} is neither org nor personal` : undefined,
    },
    { prefix: layout.usersPrefix(), check: (name, v) => (v.login !== name ? `names login ${JSON.stringify(v.login)}, not '${name}'` : undefined) },
    { prefix: layout.tokensPrefix(), check: (_name, v) => (typeof v.login !== 'string' ? 'names no login' : undefined) },
  ];
  progress.phase('checking _system');
  let total = 0;
  for (const { prefix, check } of kinds) {
    const keys: string[] = [];
    for await (const o of objectsUnder(store, prefix)) keys.push(o.key);
    report.objects += keys.length;
    progress.tick(0, (total += keys.length));
    const problems = await mapLimit(keys, READ_PARALLELISM, async (key) => {
      progress.tick();
      const got = await getOrUndefined(store, key);
      if (!got) return undefined; // revoked or removed since the listing
      const name = key.slice(prefix.length).replace(/\.json$/, '');
      let value: unknown;
      try {
        value = JSON.parse(got.body.toString('utf8'));
      } catch {
        return systemProblem(key, 'not valid JSON: Fulmar fails on every request that reads it; restore it from a backup');
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) return systemProblem(key, 'not a JSON object; restore it from a backup');
      const wrong = check(name, value as Record<string, unknown>);
      return wrong === undefined ? undefined : systemProblem(key, `${wrong}; restore it from a backup`);
    });
    report.problems.push(...problems.filter((p): p is Problem => p !== undefined));
  }
}
