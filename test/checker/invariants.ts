/**
 * The invariants, checked over a recorded history and the final snapshot. Pure: no I/O.
 *
 * Reasoning about outcomes: a 2xx is an acknowledgement and must be honoured; a request with no
 * answer or a 5xx may or may not have happened, and may still happen later (its pod may still be
 * working on it), so its effect window is open-ended; any request that reached a pod "was
 * attempted" and may excuse an outcome whatever it answered — but an answered request (2xx or
 * 4xx) must have finished whatever it did by the time it answered: a 409 that takes effect
 * seconds later is a bug the checker reports.
 *
 * Incarnations are identified by the stack `id` (it survives rename and transfer, and a re-create
 * gets a new one). An update's incarnation is pinned by any read whose `activeUpdate` names it
 * while it runs (`currentOperation`) — only the incarnation holding its lease can say so. An
 * import's incarnation is pinned when the same client read the same id just before and just
 * after it, and no rename or transfer from or to that name was attempted in between.
 */
import { acked, attempted, describeOp, effectUntil, nameKey, type Op, type StackName } from './history.js';
import type { FinalSnapshot, FinalStack } from './final-phase.js';

export interface Violation {
  invariant: string;
  message: string;
  ops: Op[];
}

export interface CheckInput {
  ops: Op[];
  final: FinalSnapshot;
  /** Faults the S3 proxy injected (a 503 from a pod is expected only when it did). */
  faultsInjected: number;
}

interface UpdateFacts {
  id: string;
  ref: StackName;
  start?: Op;
  checkpoints: Op[];
  /** Journal batches (retries included). */
  batches: Op[];
  import?: Op;
  incarnation?: string;
  pinnedBy?: Op;
}

const same = (a: StackName | undefined, b: StackName) => !!a && a.org === b.org && a.project === b.project && a.stack === b.stack;
/**
 * An id appears at a name only by a create (a fresh id) or a move; a deleted id never comes
 * back. So two reads of one id at one name, with no move from or to that name attempted in
 * between, mean that incarnation held the name throughout.
 */
const MOVES = new Set<Op['kind']>(['rename', 'transfer']);

export function checkInvariants(input: CheckInput): Violation[] {
  const { ops, final } = input;
  const out: Violation[] = [];
  const violate = (invariant: string, message: string, involved: (Op | undefined)[]) =>
    out.push({ invariant, message, ops: involved.filter((o): o is Op => !!o) });

  // ---- facts from the history
  const updates = new Map<string, UpdateFacts>();
  const factsOf = (id: string, ref: StackName) => {
    let f = updates.get(id);
    if (!f) updates.set(id, (f = { id, ref, checkpoints: [], batches: [] }));
    return f;
  };
  const markerSource = new Map<string, Op>();
  for (const op of ops) {
    if (op.marker && attempted(op)) markerSource.set(op.marker, op);
    if (op.batch && attempted(op)) for (const m of [...op.batch.markers, ...op.batch.begins]) markerSource.set(m, op);
    if (!op.updateId || !op.ref) continue;
    const f = factsOf(op.updateId, op.ref);
    if (op.kind === 'update-start' && acked(op)) f.start = op;
    if (op.kind === 'checkpoint') f.checkpoints.push(op);
    if (op.kind === 'journal') f.batches.push(op);
    if (op.kind === 'import') f.import = op;
  }
  for (const op of ops) {
    const body = op.body as { id?: string; activeUpdate?: string; currentOperation?: unknown } | undefined;
    // Only a read made while the update holds the lease (`currentOperation`) pins it.
    if (op.kind !== 'get' || !acked(op) || !body?.activeUpdate || !body.currentOperation || !body.id) continue;
    const f = updates.get(body.activeUpdate);
    if (!f) continue;
    if (f.incarnation && f.incarnation !== body.id) {
      violate('one-incarnation-per-update', `update ${f.id} was reported active in two stack incarnations (${f.incarnation}, ${body.id})`, [f.pinnedBy, op]);
    } else if (!f.incarnation) {
      f.incarnation = body.id;
      f.pinnedBy = op;
    }
  }
  pinImports(ops, updates);

  const finalById = new Map(final.stacks.map((s) => [s.id, s]));
  const entryOf = (u: UpdateFacts): { stack: FinalStack; version: number } | undefined => {
    const candidates = u.incarnation ? [finalById.get(u.incarnation)].filter((s): s is FinalStack => !!s) : final.stacks;
    for (const stack of candidates) {
      const e = stack.history.find((h) => h.updateID === u.id);
      if (e) return { stack, version: e.version };
    }
    return undefined;
  };

  // ---- no 5xx but the 503s the fault proxy caused
  for (const op of ops) {
    if (op.status >= 500 && (op.status !== 503 || input.faultsInjected === 0)) {
      violate('no-5xx', `${op.status} from a pod${op.status === 503 ? ' while the proxy injected no fault' : ''}`, [op]);
    }
  }

  // ---- every acknowledged write is visible
  for (const u of updates.values()) {
    if (u.start) {
      const live = u.incarnation ? finalById.get(u.incarnation) : undefined;
      if (live && !live.history.some((h) => h.updateID === u.id)) {
        violate(
          'acked-update-committed',
          `update ${u.id} was started (200) on incarnation ${u.incarnation}, which still exists as ${nameKey(live.name)}, but its history has no entry for it`,
          [u.start, u.pinnedBy, live.historyOp],
        );
      }
    }
    const where = entryOf(u);
    for (const cp of u.checkpoints.filter(acked)) {
      if (!where) continue; // its incarnation is gone (or unknown and nowhere to be seen)
      const exported = where.stack.versions.get(where.version);
      const allowed = new Set([cp.marker, ...u.checkpoints.filter((c) => c !== cp && attempted(c) && effectUntil(c) > cp.start).map((c) => c.marker)]);
      const seen = exported?.markers ?? [];
      if (!seen.some((m) => allowed.has(m))) {
        const shown = seen.map((m) => markerSource.get(m)).filter((o): o is Op => !!o);
        violate(
          'acked-checkpoint-committed',
          `checkpoint with marker ${cp.marker} of update ${u.id} was acknowledged (200), but the version it committed as (v${where.version} of ${nameKey(where.stack.name)}) exports [${seen.join(', ')}] — expected ${[...allowed].join(' or ')}`,
          [cp, ...enders(ops, u.id), ...shown, exported?.op],
        );
      }
    }
    if (u.import && acked(u.import)) {
      const live = u.incarnation ? finalById.get(u.incarnation) : undefined;
      if (live && !where) {
        violate(
          'acked-import-committed',
          `import ${u.id} (marker ${u.import.marker}) was acknowledged on incarnation ${u.incarnation}, which still exists as ${nameKey(live.name)}, but its history has no entry for it`,
          [u.import, u.pinnedBy, live.historyOp],
        );
      } else if (where) {
        const exported = where.stack.versions.get(where.version);
        if (!exported?.markers.includes(u.import.marker as string)) {
          violate(
            'acked-import-committed',
            `import ${u.id} was acknowledged with marker ${u.import.marker}, but its version v${where.version} of ${nameKey(where.stack.name)} exports [${exported?.markers.join(', ')}]`,
            [u.import, exported?.op],
          );
        }
      }
    }
  }

  // ---- journaling: negotiated when asked, batches never refused for their content, every
  // acknowledged batch in the version its update committed
  for (const op of ops) {
    const answered = (op.body as { journalVersion?: unknown } | undefined)?.journalVersion;
    if (op.kind === 'update-start' && acked(op) && op.journalVersion === 1 && answered !== 1) {
      violate('journal-negotiated', `update ${op.updateId} asked for journalVersion 1 and was started (200) with journalVersion ${JSON.stringify(answered)}`, [op]);
    }
    if (op.kind === 'journal' && (op.status === 400 || op.status === 409 || op.status === 413)) {
      violate(
        'journal-batch-accepted',
        `a well-formed journal batch${op.batch?.retry ? ' sent again with the same bytes' : ''} answered ${op.status}: a batch (or its retry) is stored or refused for the lease (403), never for its content`,
        [op, ...ops.filter((o) => o !== op && o.updateId === op.updateId && o.kind === 'journal' && o.batch?.first === op.batch?.first)],
      );
    }
  }
  for (const u of updates.values()) checkJournal(u, entryOf(u), { ops, updates, markerSource, violate });

  // ---- an acknowledged create stays visible unless something removed or moved the name
  for (const c of ops) {
    if (c.kind !== 'create' || !acked(c) || !c.ref) continue;
    const lost = ops.find((g) => g.kind === 'get' && g.status === 404 && same(g.ref, c.ref!) && g.start > c.end);
    if (!lost) continue;
    const excuse = ops.find(
      (d) =>
        (d.kind === 'delete' || d.kind === 'rename' || d.kind === 'transfer') &&
        same(d.ref, c.ref!) &&
        attempted(d) &&
        d.start < lost.end &&
        effectUntil(d) > c.start,
    );
    if (!excuse) {
      violate('acked-create-visible', `create of ${nameKey(c.ref)} was acknowledged, then GET answered 404 with no delete, rename or transfer of that name attempted since the create began`, [c, lost]);
    }
  }

  // ---- per incarnation: dense versions, readable exports, nothing from elsewhere
  for (const s of final.stacks) checkStack(s, { ops, updates, markerSource, violate });

  // ---- leases: every takeover of a dead holder succeeds, nothing is left active
  for (const t of final.takeovers) {
    if (!t.ok) violate('no-stuck-lease', `${nameKey(t.name)} still held by ${t.holder} after its lease expired; a new update could not take it over`, t.ops);
  }
  for (const s of final.stacks) {
    const body = s.getOp.body as { activeUpdate?: string; currentOperation?: unknown };
    if (body.currentOperation) violate('no-stuck-lease', `${nameKey(s.name)} still reports update ${body.activeUpdate} running after the takeovers`, [s.getOp]);
  }

  // ---- no stranded stack; listings agree with reads
  for (const [key, got] of final.gets) {
    if (got.status !== 200 && got.status !== 404) violate('no-stranded-stack', `GET ${key} answers ${got.status} once the system is quiet`, [got]);
  }
  const listed = new Map(final.listing.map((l) => [nameKey(l.name), l.id]));
  for (const s of final.stacks) {
    if (listed.get(nameKey(s.name)) !== s.id) {
      violate('listing-matches-reads', `${nameKey(s.name)} (id ${s.id}) answers GET 200 but the listing ${listed.has(nameKey(s.name)) ? `shows id ${listed.get(nameKey(s.name))}` : 'does not show it'}`, [s.getOp, ...final.listingOps]);
    }
  }
  for (const [key] of listed) {
    const got = final.gets.get(key);
    if (got && got.status !== 200) violate('listing-matches-reads', `${key} is listed but GET answers ${got.status}`, [got, ...final.listingOps]);
  }
  for (const r of final.removals) {
    if (!r.ok) violate('no-stranded-stack', `${nameKey(r.name)}: ${r.why}`, r.ops);
  }

  // ---- the bucket
  for (const b of final.bucket) {
    if (b.strayCommitted.length > 0) {
      violate('bucket-no-stray-committed', `${nameKey(b.name)}/ holds committed checkpoints [${b.strayCommitted.join(', ')}] but its register is ${b.register ? (b.register.deleted ? 'a tombstone' : 'being moved') : 'missing'}`, []);
    }
    if (b.register?.renaming && !b.register.deleted) {
      // Any read finishes a move it meets; one still marked after the final reads never will.
      const got = final.gets.get(nameKey(b.name));
      violate('no-stranded-stack', `${nameKey(b.name)}/meta.json is still marked as being moved after every name was read${got ? ` (GET answered ${got.status})` : ''}: the stack is in no listing and cannot finish its move`, got ? [got] : []);
    }
    if (b.live && b.register) {
      const want = Array.from({ length: b.register.version }, (_, i) => i + 1);
      const extra = b.committedVersions.filter((v) => v > b.register!.version);
      const missing = want.filter((v) => !b.committedVersions.includes(v));
      if (extra.length > 0) {
        violate('bucket-committed-match-register', `${nameKey(b.name)}/ holds committed versions [${extra.join(', ')}] beyond its register's version ${b.register.version}: the next commit there would adopt them`, []);
      }
      if (missing.length > 0) {
        violate('bucket-committed-match-register', `${nameKey(b.name)}/ register says version ${b.register.version} but committed versions [${missing.join(', ')}] are missing`, []);
      }
    }
  }
  for (const b of final.bucketAfterRemoval) {
    if (b.live || b.strayCommitted.length > 0) {
      violate('bucket-clean-after-delete', `after every stack was deleted, ${nameKey(b.name)}/ still holds ${b.live ? 'a live register' : `committed checkpoints [${b.strayCommitted.join(', ')}]`}`, []);
    }
  }
  return out;
}

interface StackCheckContext {
  ops: Op[];
  updates: Map<string, UpdateFacts>;
  markerSource: Map<string, Op>;
  violate: (invariant: string, message: string, ops: (Op | undefined)[]) => void;
}

function checkStack(s: FinalStack, ctx: StackCheckContext): void {
  const { violate, updates, markerSource, ops } = ctx;
  const label = `${nameKey(s.name)} (id ${s.id})`;
  const versions = s.history.map((h) => h.version).sort((a, b) => a - b);
  const dense = versions.length === s.version && versions.every((v, i) => v === i + 1);
  if (!dense) violate('versions-contiguous', `${label} is at version ${s.version} but its history holds versions [${versions.join(', ')}]`, [s.getOp, s.historyOp]);
  const ids = s.history.map((h) => h.updateID);
  if (new Set(ids).size !== ids.length) violate('versions-contiguous', `${label} has two history entries for one update`, [s.historyOp]);
  for (const [v, e] of s.versions) {
    if (!e.valid) violate('versions-export', `${label}: version ${v} is committed but GET …/export/${v} answers ${e.op.status}${acked(e.op) ? ` with no valid deployment (${e.problem})` : ''}`, [e.op]);
  }
  const newest = s.versions.get(s.version);
  if (s.version > 0 && newest && newest.op.text !== s.latest.op.text) {
    violate('versions-export', `${label}: GET …/export differs from GET …/export/${s.version}`, [s.latest.op, newest.op]);
  }
  if (s.version === 0 && s.latest.markers.length > 0) {
    violate('no-cross-incarnation', `${label} was never updated, yet exports [${s.latest.markers.join(', ')}]`, [s.latest.op, ...s.latest.markers.map((m) => markerSource.get(m))]);
  }

  // Every committed update ran on this incarnation (when we know where it ran).
  const byVersion = new Map(s.history.map((h) => [h.version, h]));
  for (const h of s.history) {
    const u = updates.get(h.updateID);
    if (u?.incarnation && u.incarnation !== s.id) {
      violate(
        'no-cross-incarnation',
        `${label}: version ${h.version} is update ${h.updateID}, which ran on another incarnation (${u.incarnation}, on ${nameKey(u.ref)})`,
        [s.historyOp, u.pinnedBy, u.start ?? u.import],
      );
    }
  }
  // Every marker a version exports was written to this incarnation, by this version's update or an earlier one.
  const reach = reachability(ops);
  for (const [v, e] of s.versions) {
    for (const m of [...e.markers, ...e.pending]) {
      const src = markerSource.get(m);
      if (!src) {
        violate('no-cross-incarnation', `${label}: version ${v} exports marker ${m}, which no request wrote`, [e.op]);
        continue;
      }
      const u = src.updateId ? updates.get(src.updateId) : undefined;
      if (u?.incarnation && u.incarnation !== s.id) {
        violate('no-cross-incarnation', `${label}: version ${v} exports marker ${m}, written to incarnation ${u.incarnation} (${nameKey(u.ref)})`, [e.op, src, u.pinnedBy]);
        continue;
      }
      // Without a pinned incarnation, fall back to names: the marker's name must lead here.
      if (!u?.incarnation && src.ref && nameKey(src.ref) !== nameKey(s.name) && !reach(src.ref, src.start).has(nameKey(s.name))) {
        const org = src.ref.org !== s.name.org;
        violate(
          org ? 'no-cross-org' : 'no-cross-incarnation',
          `${label}: version ${v} exports marker ${m}, written to ${nameKey(src.ref)}, but no rename or transfer from there to ${nameKey(s.name)} was attempted`,
          [e.op, src],
        );
        continue;
      }
      // An import that got no answer has no update id: any import of this history that no known
      // update accounts for may be it, so only the earliest of them can be held against v.
      const committedBy = src.updateId
        ? [...byVersion.values()].find((h) => h.updateID === src.updateId)
        : [...byVersion.values()].filter((h) => h.kind === 'import' && !updates.has(h.updateID)).sort((a, b) => a.version - b.version)[0];
      if (src.updateId && !committedBy) {
        violate('no-cross-incarnation', `${label}: version ${v} exports marker ${m} of update ${src.updateId}, which is not in this stack's history`, [e.op, src, s.historyOp]);
      } else if (committedBy && committedBy.version > v) {
        violate('no-cross-incarnation', `${label}: version ${v} exports marker ${m} of update ${committedBy.updateID}, which committed later (v${committedBy.version})`, [e.op, src]);
      }
    }
  }
}

/**
 * The journal batches of one update against the version it committed (docs/design.md,
 * "Journaling": seal, then list, holds for batches as for checkpoints). Batches accumulate, so
 * every marker an acknowledged batch wrote is there — unless a batch of the same update that
 * may have landed (any attempted one: the replay sorts by sequenceID) replaced it. An operation
 * an acknowledged batch began is pending in that version unless a batch that may have landed
 * ended it; one an acknowledged batch ended is not pending.
 */
function checkJournal(u: UpdateFacts, where: { stack: FinalStack; version: number } | undefined, ctx: StackCheckContext): void {
  if (!where || u.batches.length === 0) return;
  const exported = where.stack.versions.get(where.version);
  if (!exported?.valid) return; // versions-export says why
  const seen = new Set(exported.markers);
  const pending = new Set(exported.pending);
  const mayHaveLanded = u.batches.filter(attempted);
  const at = `v${where.version} of ${nameKey(where.stack.name)}`;
  for (const b of u.batches.filter(acked)) {
    const facts = b.batch as NonNullable<Op['batch']>;
    const missing = facts.markers.filter((m) => !seen.has(m) && !mayHaveLanded.some((x) => x.batch?.replaces.includes(m)));
    if (missing.length > 0) {
      ctx.violate(
        'acked-journal-committed',
        `journal batch (entries ${facts.first}–${facts.last}) of update ${u.id} was acknowledged (200), but the version it committed as (${at}) lacks [${missing.join(', ')}] and exports [${exported.markers.join(', ')}]`,
        [b, ...enders(ctx.ops, u.id), exported.op],
      );
    }
    const open = facts.begins.filter((p) => !pending.has(p) && !mayHaveLanded.some((x) => x.batch?.ends.includes(p)));
    if (open.length > 0) {
      ctx.violate(
        'acked-journal-pending',
        `journal batch (entries ${facts.first}–${facts.last}) of update ${u.id} was acknowledged (200) and began [${open.join(', ')}], which no batch ended, but the pending operations of ${at} are [${exported.pending.join(', ')}]`,
        [b, ...enders(ctx.ops, u.id), exported.op],
      );
    }
    const stillOpen = facts.ends.filter((p) => pending.has(p));
    if (stillOpen.length > 0) {
      ctx.violate(
        'acked-journal-pending',
        `journal batch (entries ${facts.first}–${facts.last}) of update ${u.id} was acknowledged (200) and ended [${stillOpen.join(', ')}], yet ${at} still holds them as pending operations`,
        [b, exported.op],
      );
    }
  }
}

/** The complete and cancel requests of an update. */
const enders = (ops: Op[], updateId: string) => ops.filter((o) => o.updateId === updateId && (o.kind === 'complete' || o.kind === 'cancel'));

/** Names a stack written at `name` may have moved to, through rename/transfer attempts not over before `since`. */
function reachability(ops: Op[]): (name: StackName, since: number) => Set<string> {
  const moves = ops.filter((o) => (o.kind === 'rename' || o.kind === 'transfer') && o.ref && o.to && attempted(o));
  return (name, since) => {
    const seen = new Set([nameKey(name)]);
    const queue = [nameKey(name)];
    while (queue.length > 0) {
      const from = queue.shift() as string;
      for (const m of moves) {
        if (nameKey(m.ref!) !== from || effectUntil(m) <= since) continue;
        const to = nameKey(m.to!);
        if (!seen.has(to)) {
          seen.add(to);
          queue.push(to);
        }
      }
    }
    return seen;
  };
}

/** Pins an import's incarnation from its client's reads right before and after it (module doc). */
function pinImports(ops: Op[], updates: Map<string, UpdateFacts>): void {
  const byClient = new Map<string, Op[]>();
  for (const op of ops) {
    const list = byClient.get(`${op.phase}/${op.client}`) ?? [];
    list.push(op);
    byClient.set(`${op.phase}/${op.client}`, list);
  }
  for (const list of byClient.values()) {
    for (let i = 1; i + 1 < list.length; i++) {
      const imp = list[i] as Op;
      if (imp.kind !== 'import' || !imp.updateId || !imp.ref) continue;
      const before = list[i - 1] as Op;
      const after = list[i + 1] as Op;
      const idOf = (o: Op) => (o.kind === 'get' && acked(o) && same(o.ref, imp.ref!) ? (o.body as { id?: string }).id : undefined);
      const id = idOf(before);
      if (!id || idOf(after) !== id) continue;
      const disturbed = ops.some(
        (o) =>
          o !== imp &&
          MOVES.has(o.kind) &&
          attempted(o) &&
          (same(o.ref, imp.ref!) || same(o.to, imp.ref!)) &&
          o.start < after.end &&
          effectUntil(o) > before.start,
      );
      const f = updates.get(imp.updateId);
      if (!disturbed && f && !f.incarnation) {
        f.incarnation = id;
        f.pinnedBy = after;
      }
    }
  }
}

/** A readable report: one block per violation, with the requests involved. */
export function formatViolations(seed: number | string, violations: Violation[], limitPerInvariant = 5): string {
  const byInvariant = new Map<string, Violation[]>();
  for (const v of violations) byInvariant.set(v.invariant, [...(byInvariant.get(v.invariant) ?? []), v]);
  const lines: string[] = [];
  for (const [invariant, list] of byInvariant) {
    lines.push(`  ✗ ${invariant} (${list.length}) — seed ${seed}`);
    for (const v of list.slice(0, limitPerInvariant)) {
      lines.push(`    - ${v.message}`);
      for (const op of v.ops.slice(0, 6)) lines.push(`        ${describeOp(op)}`);
    }
    if (list.length > limitPerInvariant) lines.push(`    … and ${list.length - limitPerInvariant} more`);
  }
  return lines.join('\n');
}

