/**
 * The update lifecycle (pkg/backend/httpstate/client/client.go: CreateUpdate, StartUpdate,
 * RenewUpdateLease, CompleteUpdate, CancelUpdate; docs/design.md, "Updates and leases"): create →
 * start (lease + token) → checkpoints and events (CheckpointWriter, EventService) → complete, which
 * commits one version (VersionCommitter). Cancel and takeover of a dead lease commit the dead
 * update's work the same way, so nothing it was told was saved is lost.
 */
import { randomBytes } from 'node:crypto';
import type { StackLoc, StackRef } from '../storage/layout.js';
import { conflict } from '../domain/errors.js';
import { leaseIsDead, locOf, type FinalStatus, type Lease, type StackMeta, type UpdateKind } from '../domain/stack-meta.js';
import type { AdoptedUpdate, ConfigValue, UpdateRecord, UpdateStatus } from '../domain/update-record.js';
import { unixSeconds, type Clock } from '../domain/clock.js';
import { requireRole, type Principal } from '../domain/roles.js';
import { newUpdateId } from '../domain/names.js';
import { freshNonce, type MetaRegister, type MetaSnapshot } from './meta-register.js';
import { hashToken, leaseLost, sameHash, type UpdateAuthorizer } from './update-auth.js';
import { isTerminal, type UpdateRecords } from './update-records.js';
import { sealed, type VersionCommitter } from './version-commit.js';
import type { CheckpointWriter } from './checkpoint-writer.js';
import { stackLabel } from '../domain/stack-label.js';

export interface UpdateProgram {
  name: string;
  runtime: string;
  main: string;
  description: string;
  dryRun: boolean;
  config: Record<string, ConfigValue>;
  message: string;
  environment: Record<string, string>;
}

/** A decide step that sealed a dead lease asks to be run again, to list after the seal. */
const AGAIN = Symbol('again');

export class UpdateService {
  constructor(
    private readonly register: MetaRegister,
    private readonly records: UpdateRecords,
    private readonly auth: UpdateAuthorizer,
    private readonly committer: VersionCommitter,
    private readonly writer: CheckpointWriter,
    private readonly leaseSeconds: number,
    private readonly clock: Clock,
    private readonly journaling: boolean,
  ) {}

  private now = () => unixSeconds(this.clock.now());

  async create(principal: Principal, ref: StackRef, kind: Exclude<UpdateKind, 'import'>, program: UpdateProgram) {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    const id = newUpdateId();
    const record: UpdateRecord = {
      id,
      // `pulumi preview` creates a `preview`; `up`'s preview phase is an `update` with dryRun
      // (client.go: CreateUpdate) — both are recorded as previews and never enter the history.
      kind,
      dryRun: program.dryRun || kind === 'preview',
      status: 'not started',
      createdAt: this.now(),
      author: principal.login,
      program: { name: program.name, runtime: program.runtime, main: program.main, description: program.description },
      message: program.message,
      environment: program.environment,
      config: program.config,
      nonce: freshNonce(),
    };
    await this.records.create(locOf(meta), record);
    return { updateID: id };
  }

  async start(
    principal: Principal,
    ref: StackRef,
    updateId: string,
    tags: Record<string, string> | undefined,
    client: { journalVersion: number; cliVersion: string } = { journalVersion: 0, cliVersion: '' },
  ) {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    const { meta: current } = await this.register.read(ref);
    const loc = locOf(current);
    const { record } = await this.records.read(loc, updateId);
    if (record.status !== 'not started') throw conflict(`update '${updateId}' has already been started`);
    const token = randomBytes(32).toString('base64url');
    const tokenHash = hashToken(token);
    const startedAt = this.now();

    // Journaling for non-previews the CLI asked for (it sends journalVersion 1 unless
    // PULUMI_DISABLE_JOURNALING is set; client.go: StartUpdate); previews keep checkpoints.
    const journal = this.journaling && !record.dryRun && client.journalVersion >= 1 ? { cliVersion: client.cliVersion } : undefined;
    let version: number;
    if (record.dryRun) {
      // Previews never write state, so they take no lease.
      version = current.version;
    } else {
      version = await this.takeLease(ref, loc, (snap, meta) => ({
        updateId,
        kind: record.kind,
        version: meta.version + 1,
        tokenHash,
        epoch: meta.leaseEpoch + 1,
        renewedAt: snap.storeTime.toISOString(),
        durationSeconds: this.leaseSeconds,
        author: principal.login,
        startedAt,
        ...(journal && { journal }),
      }), tags);
    }
    await this.records.mutate(loc, updateId, (r) => (isTerminal(r.status) ? undefined : { ...r, status: 'running', startTime: startedAt, version, tokenHash }));
    return {
      version,
      token,
      tokenExpiration: startedAt + this.leaseSeconds,
      // Exactly 1 makes the CLI journal; anything else, checkpoints (pkg/backend/httpstate/backend.go).
      journalVersion: journal ? 1 : 0,
    };
  }

  /**
   * Takes the stack's lease for a new holder. A dead holder (expired, or sealed: a commit in
   * progress) is first committed — sealed in one CAS, then listed and committed in the same CAS
   * that installs the new lease — so what it was told was saved stays. Refused (409) when the
   * incarnation changed since `loc` was read: the update's objects belong to a dead stack.
   */
  private async takeLease(
    ref: StackRef,
    loc: StackLoc,
    leaseFor: (snap: MetaSnapshot, meta: StackMeta) => Lease,
    tags?: Record<string, string>,
  ): Promise<number> {
    for (;;) {
      let dead: { meta: StackMeta; updateId: string; status: FinalStatus } | undefined;
      const outcome = await this.register.mutate<number | typeof AGAIN>(ref, async (snap) => {
        dead = undefined;
        let meta = snap.meta;
        if (meta.incarnation !== loc.incarnation) throw conflict(`${stackLabel(ref)} was deleted and created again; please retry`);
        const held = meta.lease;
        if (held) {
          // The CLI shows this with its update-conflict guidance (backend.go: createAndStartUpdate).
          if (!leaseIsDead(held, snap.storeTime)) throw conflict('Another update is currently in progress.');
          if (!held.sealed) return { write: sealed(meta, 'failed'), result: AGAIN };
          dead = { meta, updateId: held.updateId, status: held.sealed.status };
          meta = await this.committer.committed(meta, held);
        }
        const lease = leaseFor(snap, meta);
        // Start tags replace the stack's tags (client.go: StartUpdate sends them all).
        return { write: { ...meta, lease, leaseEpoch: lease.epoch, lastUpdateId: lease.updateId, tags: tags ?? meta.tags }, result: lease.version };
      });
      if (dead) await this.committer.afterCommit(dead.meta, dead.updateId, dead.status);
      if (outcome !== AGAIN) return outcome;
    }
  }

  /** Is this the token the update was given (before its request body is read)? */
  verifyToken(ref: StackRef, updateId: string, token: string): Promise<void> {
    return this.auth.verifyToken(ref, updateId, token);
  }

  async renewLease(ref: StackRef, updateId: string, token: string) {
    const auth = await this.auth.authorizeRunning(ref, updateId, token);
    if (!auth.lease) return { token, tokenExpiration: this.now() + this.leaseSeconds };
    const hash = hashToken(token);
    await this.register.mutate(ref, ({ meta, storeTime }) => {
      const lease = meta.lease;
      // 403 stops the CLI's renewals (pkg/backend/httpstate/state.go: RenewLeaseFunc).
      if (!lease || lease.updateId !== updateId || lease.sealed || !sameHash(hash, lease.tokenHash)) throw leaseLost();
      return { write: { ...meta, lease: { ...lease, renewedAt: storeTime.toISOString() } }, result: undefined };
    });
    return { token, tokenExpiration: this.now() + this.leaseSeconds };
  }

  /**
   * `POST …/complete`. Idempotent: a retry after a lost answer finds the work done and says 200.
   * Refused (403) when the update was cancelled or taken over first: its version was committed
   * as failed, with every checkpoint acknowledged before that.
   */
  async complete(ref: StackRef, updateId: string, token: string, status: FinalStatus) {
    const auth = await this.auth.authorize(ref, updateId, token);
    const loc = locOf(auth.snap.meta);
    if (auth.lease) {
      const sealedAs = await this.committer.sealAndCommit(ref, updateId, status);
      if (sealedAs !== undefined) {
        if (sealedAs !== status) throw leaseLost();
        return;
      }
    }
    const { record } = await this.records.read(loc, updateId);
    if (record.dryRun) {
      if (!isTerminal(record.status)) await this.records.finish(loc, updateId, status);
      else if (record.status !== status) throw leaseLost();
      return;
    }
    // The lease is gone: our own earlier attempt committed, or a cancel or takeover did.
    const ended = isTerminal(record.status) ? record.status : await this.finishFromHistory(auth.snap.meta, updateId, record.version ?? 0);
    if (ended !== status) throw leaseLost();
  }

  private async finishFromHistory(meta: StackMeta, updateId: string, version: number): Promise<UpdateStatus | undefined> {
    const entry = await this.committer.historyEntry(meta, version);
    if (entry?.updateId !== updateId) return undefined;
    const status: FinalStatus = entry.status ?? (entry.result === 'succeeded' ? 'succeeded' : 'failed');
    return (await this.records.finish(locOf(meta), updateId, status)).status;
  }

  /**
   * `POST …/cancel` (API token): ends a running update; a non-preview's newest checkpoint is
   * committed. An update that already finished — the idle stack's `activeUpdate` names its last
   * one — is a 409 saying how it ended: a 200 would make `pulumi cancel` print that the running
   * update "has been canceled" (pkg/cmd/pulumi/cancel/cancel.go).
   */
  async cancel(principal: Principal, ref: StackRef, updateId: string) {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    const loc = locOf(meta);
    const { record } = await this.records.read(loc, updateId);
    if (isTerminal(record.status)) throw alreadyFinished(ref, updateId, record.status);
    if (!record.dryRun) {
      const sealedAs = await this.committer.sealAndCommit(ref, updateId, 'cancelled');
      if (sealedAs !== undefined) {
        // A complete or a takeover sealed it first: it finished their way, not ours.
        if (sealedAs !== 'cancelled') throw alreadyFinished(ref, updateId, sealedAs);
        return;
      }
      const ended = await this.finishFromHistory(meta, updateId, record.version ?? 0);
      if (ended) throw alreadyFinished(ref, updateId, ended);
    }
    const finished = await this.records.finish(loc, updateId, 'cancelled');
    if (finished.status !== 'cancelled') throw alreadyFinished(ref, updateId, finished.status);
  }

  /** `GET …/update/{id}`: status, polled by `stack import` and `state` edits (backend.go: waitForUpdate). */
  async status(principal: Principal, ref: StackRef, updateId: string) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    const { record } = await this.records.read(locOf(meta), updateId);
    return {
      status: record.status === 'cancelled' ? 'failed' : record.status,
      kind: record.dryRun ? 'preview' : record.kind,
      result: resultOf(record.status),
      ...(record.version !== undefined && { version: record.version }),
      ...(record.startTime !== undefined && { startTime: record.startTime }),
      ...(record.endTime !== undefined && { endTime: record.endTime }),
      message: record.message,
      events: [],
      // Null ends the CLI's polling loop at once (backend.go: waitForUpdate).
      continuationToken: null,
    };
  }

  /**
   * `POST S/import` (docs/design.md, "Import"): the deployment is written first, under a fresh
   * update of the current incarnation; then a lease is taken already sealed — nothing else will be
   * written, so any pod that meets it may commit it at once — and committed. Answered 200 only once
   * the version is committed in the same incarnation.
   *
   * `options` tell the history entry more than a plain import has to say: a message (`fulmar
   * rollback`), or a whole update adopted from another backend (`fulmar adopt-diy`). With
   * `expectVersion` the import commits exactly that version or nothing (409): a rerun or a second
   * adopter that lost the race never appends the same update twice.
   */
  async importDeployment(principal: Principal, ref: StackRef, untypedDeployment: Buffer, options: ImportOptions = {}) {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    const { meta } = await this.register.read(ref);
    const loc = locOf(meta);
    const id = newUpdateId();
    const now = this.now();
    const expected = options.expectVersion;
    if (expected !== undefined && meta.version + 1 !== expected) throw versionTaken(ref, expected, meta.version);
    const record: UpdateRecord = {
      id,
      kind: 'import',
      dryRun: false,
      status: 'running',
      createdAt: now,
      startTime: now,
      author: principal.login,
      program: { name: ref.project, runtime: '', main: '', description: '' },
      message: options.message ?? '',
      environment: options.environment ?? {},
      config: options.config ?? {},
      ...(options.resourceChanges && { resourceChanges: options.resourceChanges }),
      ...(options.adopted && { adopted: options.adopted }),
      nonce: freshNonce(),
    };
    await this.records.create(loc, record);
    await this.writer.writeIntermediate(loc, id, 1, untypedDeployment);
    let taken = false;
    const version = await this.takeLease(ref, loc, (snap, current) => {
      if (expected !== undefined && current.version + 1 !== expected) throw versionTaken(ref, expected, current.version);
      taken = true;
      return {
        updateId: id,
        kind: 'import',
        version: current.version + 1,
        tokenHash: '',
        epoch: current.leaseEpoch + 1,
        renewedAt: snap.storeTime.toISOString(),
        durationSeconds: this.leaseSeconds,
        author: principal.login,
        startedAt: now,
        sealed: { status: 'succeeded' },
      };
    }).catch(async (err: unknown) => {
      // Refused before any lease named it: the record says so instead of staying "running".
      if (!taken) await this.records.finish(loc, id, 'failed').catch(() => undefined);
      throw err;
    });
    await this.records.mutate(loc, id, (r) => (isTerminal(r.status) ? undefined : { ...r, version }));
    await this.committer.finishSealed(ref, id);
    const after = await this.register.read(ref);
    const committed = after.meta.incarnation === loc.incarnation && after.meta.lease?.updateId !== id && after.meta.version >= version;
    if (!committed) throw conflict(`the import into ${stackLabel(ref)} could not be committed; please retry`);
    return { updateId: id, version };
  }
}

/** What an import may say besides its deployment (see UpdateService.importDeployment). */
export interface ImportOptions {
  message?: string;
  environment?: Record<string, string>;
  config?: Record<string, ConfigValue>;
  resourceChanges?: Record<string, number>;
  adopted?: AdoptedUpdate;
  /** Commit exactly this version, or refuse (409) when the stack has moved on. */
  expectVersion?: number;
}

const versionTaken = (ref: StackRef, expected: number, latest: number) =>
  conflict(`${stackLabel(ref)} is at version ${latest}, not ${expected - 1}: something else committed meanwhile; nothing was imported`);

const alreadyFinished = (ref: StackRef, updateId: string, status: UpdateStatus) =>
  conflict(`update '${updateId}' of ${stackLabel(ref)} already finished (${status}); there is nothing to cancel`);

function resultOf(status: UpdateStatus): string {
  switch (status) {
    case 'not started':
      return 'not-started';
    case 'running':
      return 'in-progress';
    case 'cancelled':
      return 'failed';
    default:
      return status;
  }
}
