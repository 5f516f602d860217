/**
 * The update lifecycle (protocol §2.4, §5.2–5.6; DESIGN §4): create → start (lease + token) →
 * checkpoints and events (CheckpointWriter, EventService) → complete, which commits one version
 * (VersionCommitter). Cancel and lease takeover roll the dead update forward.
 */
import { randomBytes } from 'node:crypto';
import type { StackRef } from '../storage/layout.js';
import { conflict } from '../domain/errors.js';
import { leaseIsLive, type Lease, type UpdateKind } from '../domain/stack-meta.js';
import { nowSeconds, type ConfigValue, type UpdateRecord, type UpdateStatus } from '../domain/update-record.js';
import { requireRole, type Principal } from '../domain/roles.js';
import { newUpdateId } from '../domain/names.js';
import { freshNonce, type MetaRegister } from './meta-register.js';
import { hashToken, leaseLost, sameHash, type UpdateAuthorizer } from './update-auth.js';
import { isTerminal, type UpdateRecords } from './update-records.js';
import type { VersionCommitter } from './version-commit.js';
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

export class UpdateService {
  constructor(
    private readonly register: MetaRegister,
    private readonly records: UpdateRecords,
    private readonly auth: UpdateAuthorizer,
    private readonly committer: VersionCommitter,
    private readonly writer: CheckpointWriter,
    private readonly leaseSeconds: number,
  ) {}

  async create(principal: Principal, ref: StackRef, kind: Exclude<UpdateKind, 'import'>, program: UpdateProgram) {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    await this.register.read(ref);
    const id = newUpdateId();
    const record: UpdateRecord = {
      id,
      // `pulumi preview` creates a `preview`; `up`'s preview phase is an `update` with dryRun
      // (protocol §2.4.1) — both are recorded as previews and never enter the history.
      kind,
      dryRun: program.dryRun || kind === 'preview',
      status: 'not started',
      createdAt: nowSeconds(),
      author: principal.login,
      program: { name: program.name, runtime: program.runtime, main: program.main, description: program.description },
      message: program.message,
      environment: program.environment,
      config: program.config,
      nonce: freshNonce(),
    };
    await this.records.create(ref, record);
    return { updateID: id };
  }

  async start(principal: Principal, ref: StackRef, updateId: string, tags: Record<string, string> | undefined) {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    const { record } = await this.records.read(ref, updateId);
    if (record.status !== 'not started') throw conflict(`update '${updateId}' has already been started`);
    const token = randomBytes(32).toString('base64url');
    const tokenHash = hashToken(token);
    const startedAt = nowSeconds();

    let version: number;
    if (record.dryRun) {
      // Previews never write state, so they take no lease (protocol §5.2 leaves it to us).
      version = (await this.register.read(ref)).meta.version;
    } else {
      version = await this.register.mutate(ref, async (snap) => {
        let meta = snap.meta;
        if (meta.lease && meta.lease.updateId !== updateId) {
          if (leaseIsLive(meta.lease, snap.storeTime)) {
            // The CLI shows this with its update-conflict guidance (backend.go: createAndStartUpdate).
            throw conflict('Another update is currently in progress.');
          }
          meta = await this.committer.rollForward(meta, meta.lease, 'failed');
        }
        const next = meta.version + 1;
        const lease: Lease = {
          updateId,
          kind: record.kind,
          version: next,
          tokenHash,
          epoch: meta.leaseEpoch + 1,
          renewedAt: snap.storeTime.toISOString(),
          durationSeconds: this.leaseSeconds,
          author: principal.login,
          startedAt,
        };
        // Start tags replace the stack's tags (protocol §2.4.2).
        return { write: { ...meta, lease, leaseEpoch: lease.epoch, tags: tags ?? meta.tags }, result: next };
      });
    }
    await this.records.mutate(ref, updateId, (r) => ({ ...r, status: 'running', startTime: startedAt, version, tokenHash }));
    return {
      version,
      token,
      tokenExpiration: startedAt + this.leaseSeconds,
      // Journaling is not offered yet; 0 makes the CLI send checkpoints (protocol §5.5).
      journalVersion: 0,
    };
  }

  async renewLease(ref: StackRef, updateId: string, token: string) {
    const hash = hashToken(token);
    const auth = await this.auth.authorize(ref, updateId, token);
    if (auth.record?.dryRun) return { token, tokenExpiration: nowSeconds() + this.leaseSeconds };
    if (!auth.lease) throw leaseLost(); // 403 stops the CLI's renewals (state.go: RenewLeaseFunc)
    await this.register.mutate(ref, ({ meta, storeTime }) => {
      const lease = meta.lease;
      if (!lease || lease.updateId !== updateId || !sameHash(hash, lease.tokenHash)) throw leaseLost();
      return { write: { ...meta, lease: { ...lease, renewedAt: storeTime.toISOString() } }, result: undefined };
    });
    return { token, tokenExpiration: nowSeconds() + this.leaseSeconds };
  }

  /** `POST …/complete` — idempotent: a retry after a lost answer finds the work done and says 200. */
  async complete(ref: StackRef, updateId: string, token: string, status: 'succeeded' | 'failed' | 'cancelled') {
    const auth = await this.auth.authorize(ref, updateId, token);
    const final: UpdateStatus = status;
    if (auth.lease) {
      await this.committer.commit(ref, updateId, status === 'succeeded' ? 'succeeded' : 'failed');
    } else if (auth.record && !auth.record.dryRun && !isTerminal(auth.record.status)) {
      // The lease is gone but the record was never finished: either our own earlier attempt
      // committed and crashed before this step, or the update was cancelled / taken over.
      const committed = auth.snap.meta.version >= (auth.record.version ?? Infinity);
      if (!committed) throw leaseLost();
    }
    await this.records.finish(ref, updateId, final);
  }

  /** `POST …/cancel` (API token): ends the update; a non-preview's newest checkpoint is committed. */
  async cancel(principal: Principal, ref: StackRef, updateId: string) {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    const { record } = await this.records.read(ref, updateId);
    if (isTerminal(record.status)) return;
    await this.register.mutate(ref, async ({ meta }) => {
      if (meta.lease?.updateId !== updateId) return { result: undefined };
      return { write: await this.committer.rollForward(meta, meta.lease, 'failed'), result: undefined };
    });
    await this.records.finish(ref, updateId, 'cancelled');
  }

  /** `GET …/update/{id}` (protocol §2.3.3): status, polled by `stack import` and `state` edits. */
  async status(principal: Principal, ref: StackRef, updateId: string) {
    requireRole(principal, ref.org, 'viewer', stackLabel(ref));
    const { record } = await this.records.read(ref, updateId);
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

  /** `POST S/import` (seed 000): one shot — reserve a version, store the state, commit. */
  async importDeployment(principal: Principal, ref: StackRef, untypedDeployment: Buffer) {
    requireRole(principal, ref.org, 'member', stackLabel(ref));
    const id = newUpdateId();
    const record: UpdateRecord = {
      id,
      kind: 'import',
      dryRun: false,
      status: 'running',
      createdAt: nowSeconds(),
      startTime: nowSeconds(),
      author: principal.login,
      program: { name: ref.project, runtime: '', main: '', description: '' },
      message: '',
      environment: {},
      config: {},
      nonce: freshNonce(),
    };
    await this.register.read(ref);
    await this.records.create(ref, record);
    const version = await this.register.mutate(ref, async (snap) => {
      let meta = snap.meta;
      if (meta.lease) {
        if (leaseIsLive(meta.lease, snap.storeTime)) throw conflict('Another update is currently in progress.');
        meta = await this.committer.rollForward(meta, meta.lease, 'failed');
      }
      const lease: Lease = {
        updateId: id,
        kind: 'import',
        version: meta.version + 1,
        tokenHash: '',
        epoch: meta.leaseEpoch + 1,
        renewedAt: snap.storeTime.toISOString(),
        durationSeconds: this.leaseSeconds,
        author: principal.login,
        startedAt: record.createdAt,
      };
      return { write: { ...meta, lease, leaseEpoch: lease.epoch }, result: lease.version };
    });
    await this.writer.writeIntermediate(ref, id, 1, untypedDeployment);
    await this.committer.commit(ref, id, 'succeeded');
    await this.records.mutate(ref, id, (r) => ({ ...r, status: 'succeeded', endTime: nowSeconds(), version }));
    return { updateId: id, version };
  }
}

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

