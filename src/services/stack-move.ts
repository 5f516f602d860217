/**
 * Rename and transfer (docs/design.md, "Rename and transfer"): a move of a stack to another name,
 * as a sequence of conditional writes any pod can resume or undo:
 *
 *  1. freeze the source: CAS `moving: {to, incarnation: J}` (J fresh) onto its live register;
 *  2. claim the target: create-once, or CAS over a tombstone, a register of incarnation J marked
 *     `movingIn` — if the name is taken, undo step 1 (CAS the mark away) and answer 409: nothing
 *     was copied anywhere another stack owns;
 *  3. copy the source incarnation's objects into `i/J/` at the target (create-once, URNs
 *     rewritten in committed checkpoints);
 *  4. flip: CAS the source register (still marked with J) into a tombstone that records
 *     `movedTo: {target, J}` — the commit point;
 *  5. finish the target: CAS its register (still J, `movingIn`) into a live stack;
 *  6. sweep the source name's dead objects.
 *
 * Whoever meets a mark settles it: a source marked `moving` runs the steps from 2; a target
 * marked `movingIn` runs them if its source is still marked with J, finishes itself if the source
 * was flipped to J, and otherwise (the move was undone) gives the name back as a tombstone. A
 * name whose tombstone records `movedTo` is re-used only after step 5 (StackService.create and
 * step 2 call settleTarget first), so "the source is no longer marked" can only mean "undone".
 */
import type { ObjectStore } from '../storage/object-store.js';
import { createOnce, getOrUndefined } from '../storage/conditional-writes.js';
import { layout, type StackLoc, type StackRef } from '../storage/layout.js';
import { conflict, unavailable } from '../domain/errors.js';
import { isTombstone, locOf, movedTo, refOf, registerState, type StackMeta } from '../domain/stack-meta.js';
import { requireRole, type Principal } from '../domain/roles.js';
import { validateOrgName, validateProjectName, validateStackName } from '../domain/names.js';
import { rewriteDeploymentUrns } from '../domain/urn-rewrite.js';
import type { Clock } from '../domain/clock.js';
import type { MetaRegister, MetaSnapshot } from './meta-register.js';
import type { OrgService } from './org-service.js';
import { listAllKeys } from './json-objects.js';
import { mapLimit } from './prefix-ops.js';
import { newIncarnation, type StackService } from './stack-service.js';
import { stackLabel } from '../domain/stack-label.js';

type Outcome = 'moved' | 'refused' | 'abandoned';

const sameRef = (a: StackRef, b: StackRef) => a.org === b.org && a.project === b.project && a.stack === b.stack;

export class StackMover {
  constructor(
    private readonly store: ObjectStore,
    private readonly register: MetaRegister,
    private readonly stacks: StackService,
    private readonly orgs: OrgService,
    private readonly clock: Clock,
  ) {}

  /**
   * `POST S/rename {"newName","newProject"}`; empty values keep the current ones
   * (client.go: RenameStack).
   */
  async rename(principal: Principal, from: StackRef, newProject: string | undefined, newName: string | undefined) {
    requireRole(principal, from.org, 'admin', stackLabel(from));
    const to: StackRef = {
      org: from.org,
      project: newProject ? validateProjectName(newProject) : from.project,
      stack: newName ? validateStackName(newName) : from.stack,
    };
    await this.move(from, to);
  }

  /** `POST S/transfer {"toOrg"}`: admin of the stack, member of the target org. */
  async transfer(principal: Principal, from: StackRef, toOrg: string) {
    requireRole(principal, from.org, 'admin', stackLabel(from));
    requireRole(principal, validateOrgName(toOrg), 'member', `organization '${toOrg}'`);
    await this.orgs.require(toOrg, principal);
    await this.move(from, { ...from, org: toOrg });
  }

  private async move(from: StackRef, to: StackRef) {
    if (sameRef(from, to)) {
      await this.register.read(from);
      return;
    }
    const incarnation = newIncarnation();
    // Step 1: freeze the source.
    await this.register.mutate(from, ({ meta }) => {
      if (meta.lease) throw conflict('Another update is currently in progress.');
      return { write: { ...meta, moving: { to, incarnation } }, result: undefined };
    });
    const outcome = await this.drive(from, incarnation);
    if (outcome === 'refused') throw conflict(`${stackLabel(to)} already exists`);
    if (outcome === 'abandoned') throw conflict(`the move of ${stackLabel(from)} was interrupted by another request; please retry`);
  }

  /** Settles whatever move mark a register carries (MetaRegister.settleMove). */
  async settle(snap: MetaSnapshot): Promise<void> {
    const meta = snap.meta;
    if (registerState(meta) === 'moving-out' && meta.moving) await this.drive(refOf(meta), meta.moving.incarnation);
    else if (registerState(meta) === 'moving-in') await this.settleClaim(meta);
  }

  /** Before a tombstone that records a move is replaced, that move must have landed. */
  async settleTarget(tombstone: StackMeta): Promise<void> {
    const target = movedTo(tombstone);
    if (!target) return;
    await this.finishTarget(target, target.incarnation);
  }

  /** Steps 2–6 for the move of `from` marked with `incarnation`; idempotent, any pod. */
  private async drive(from: StackRef, incarnation: string): Promise<Outcome> {
    const snap = await this.register.readRaw(from);
    const flippedTo = snap && movedTo(snap.meta);
    if (flippedTo?.incarnation === incarnation) {
      await this.finishTarget(flippedTo, incarnation);
      return 'moved';
    }
    if (!snap || isTombstone(snap.meta) || snap.meta.moving?.incarnation !== incarnation) return 'abandoned';
    const source = snap.meta;
    const to = { ...(source.moving as { to: StackRef }).to };

    // Step 2: claim the target name for incarnation J.
    const claimed = await this.register.mutateRaw(to, async (t) => {
      // Ours already, unless it was released because the move was undone meanwhile.
      if (t?.meta.incarnation === incarnation) return { result: !isTombstone(t.meta) };
      if (t && !isTombstone(t.meta)) return { result: false };
      if (t) await this.settleTarget(t.meta);
      const { moving: _moving, deleted: _deleted, ...rest } = source;
      const claim: StackMeta = {
        ...rest,
        ...to,
        incarnation,
        lease: null,
        moves: (source.moves ?? 0) + 1,
        initialState: source.initialState === undefined ? undefined : rewriteValue(source.initialState, from, to),
        movingIn: { from },
      };
      return { write: claim, result: true };
    });
    if (!claimed) {
      // Undo the freeze. Should that fail, the mark stays and a later reader may still carry the
      // move out: the outcome is then unknown, and saying 409 would be a lie.
      await this.register
        .mutateRaw(from, ({ meta } = {} as MetaSnapshot) =>
          meta?.moving?.incarnation === incarnation && !isTombstone(meta)
            ? { write: withoutMoving(meta), result: undefined }
            : { result: undefined },
        )
        .catch((err: unknown) => {
          throw unavailable('the move could not be undone yet; read the stack to see where it is', 1, err);
        });
      // Another pod may have carried the move through before the name was taken again.
      const after = await this.register.readRaw(from);
      return after && movedTo(after.meta)?.incarnation === incarnation ? 'moved' : 'refused';
    }

    // Step 3: copy into the claimed incarnation.
    await this.copyObjects(locOf(source), { ...to, incarnation } as StackLoc, from, to);

    // Step 4: flip the source — the commit point.
    const flipped = await this.register.mutateRaw(from, ({ meta } = {} as MetaSnapshot) => {
      if (meta && movedTo(meta)?.incarnation === incarnation) return { result: true };
      if (!meta || isTombstone(meta) || meta.moving?.incarnation !== incarnation) return { result: false };
      const tombstone: StackMeta = { ...withoutMoving(meta), deleted: { at: this.clock.now().toISOString(), movedTo: { ...to, incarnation } } };
      return { write: tombstone, result: true };
    });
    if (!flipped) {
      await this.releaseClaim(to, incarnation);
      return 'abandoned';
    }
    // Steps 5 and 6.
    await this.finishTarget(to, incarnation);
    await this.stacks.sweep(from);
    return 'moved';
  }

  /** A target found claimed: drive its move, finish it, or give the name back (see the header). */
  private async settleClaim(target: StackMeta) {
    const incarnation = target.incarnation as string;
    const from = (target.movingIn as { from: StackRef }).from;
    const source = await this.register.readRaw(from);
    if (source && movedTo(source.meta)?.incarnation === incarnation) {
      await this.finishTarget(refOf(target), incarnation);
      await this.stacks.sweep(from);
      return;
    }
    if (source && !isTombstone(source.meta) && source.meta.moving?.incarnation === incarnation) {
      await this.drive(from, incarnation);
      return;
    }
    await this.releaseClaim(refOf(target), incarnation);
  }

  /** Step 5: the claimed target becomes a live stack. */
  private async finishTarget(to: StackRef, incarnation: string) {
    await this.register.mutateRaw(to, ({ meta } = {} as MetaSnapshot) => {
      if (!meta || meta.incarnation !== incarnation || !meta.movingIn) return { result: undefined };
      const { movingIn: _movingIn, ...live } = meta;
      return { write: live, result: undefined };
    });
  }

  /** An undone move's claim becomes a tombstone; what was copied under it is swept. */
  private async releaseClaim(to: StackRef, incarnation: string) {
    await this.register.mutateRaw(to, ({ meta } = {} as MetaSnapshot) => {
      if (!meta || meta.incarnation !== incarnation || !meta.movingIn) return { result: undefined };
      return { write: { ...meta, deleted: { at: this.clock.now().toISOString() } }, result: undefined };
    });
    await this.stacks.sweep(to);
  }

  /** Step 3: create-once copies (an earlier attempt of this same step is the only other writer). */
  private async copyObjects(source: StackLoc, target: StackLoc, from: StackRef, to: StackRef) {
    const fromPrefix = layout.objectsPrefix(source);
    const toPrefix = layout.objectsPrefix(target);
    // A layout-1 source's prefix is the whole name's: leave out the register and incarnations.
    const keys = (await listAllKeys(this.store, fromPrefix)).filter(
      (k) => source.incarnation || (k !== layout.metaKey(from) && !k.startsWith(layout.incarnationsPrefix(from))),
    );
    await mapLimit(keys, 8, async (key) => {
      const rel = key.slice(fromPrefix.length);
      // Gone since the listing: an intermediate checkpoint cleaned up after its commit, or the
      // source swept because another pod carried this move through (the flip will tell).
      const got = await getOrUndefined(this.store, key);
      if (!got) return;
      const body = rel.startsWith('checkpoints/') ? rewriteCheckpoint(got.body, from, to) : got.body;
      await createOnce(this.store, toPrefix + rel, body);
    });
  }
}

function withoutMoving(meta: StackMeta): StackMeta {
  const { moving: _moving, ...rest } = meta;
  return rest;
}

function rewriteValue(value: unknown, from: StackRef, to: StackRef): unknown {
  return JSON.parse(rewriteCheckpoint(Buffer.from(JSON.stringify(value)), from, to).toString('utf8'));
}

function rewriteCheckpoint(body: Buffer, from: StackRef, to: StackRef): Buffer {
  const untyped = JSON.parse(body.toString('utf8')) as { version: number; features?: string[]; deployment?: unknown };
  if (!untyped.deployment || typeof untyped.deployment !== 'object') return body;
  const deployment = rewriteDeploymentUrns(untyped.deployment as never, {
    oldProject: from.project,
    oldStack: from.stack,
    newProject: to.project,
    newStack: to.stack,
  }) as { secrets_providers?: { type?: string; state?: Record<string, unknown> } };
  const sp = deployment.secrets_providers;
  if (sp?.type === 'service' && sp.state && sp.state.owner === from.org) {
    // The CLI addresses decrypt calls to the stack named here (pkg/secrets/service/manager.go).
    deployment.secrets_providers = { ...sp, state: { ...sp.state, owner: to.org } };
  }
  return Buffer.from(JSON.stringify({ ...untyped, deployment }));
}
